// swift-tools-version:6.0
// The shared runtime: the plugin contract, tensor engine, datasets and plots, shipped as ONE
// dynamic library (libPluginAPI.so) so that the host and every plugin share one copy of the
// protocol types and of global state (docs/ARCHITECTURE.md, "One runtime library").
import PackageDescription

/// Everything but the kernels builds with Swift's checks on in release builds (overflow,
/// bounds, preconditions): readers, Tensor API, layers and optimizers check what users and
/// plugins hand them (docs/ARCHITECTURE.md, "Checked everywhere but the kernel loops").
var checked: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo"], .when(configuration: .release))]
/// The kernel loops alone (GEMM, vector math, the worker pool they run on) drop the checks;
/// their callers in the checked module validate shapes before calling them.
var unchecked: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
// No `-target-cpu` outside the kernel sets: everything else runs on any x86-64 (SSE2), and
// what needs the CPU's width is a kernel (docs/ARCHITECTURE.md, "Kernel sets").

/// The kernel sets: Sources/KernelSource compiled once per set, each target's folder holding
/// links to those files, with the set's CPU and defines (docs/ARCHITECTURE.md, "Kernel sets").
/// Which one runs is chosen at start-up (Kernels/KernelSet.swift).
let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
#if arch(x86_64)
let kernelSets: [(name: String, settings: [SwiftSetting])] = [
    // The x86-64 baseline (SSE2): no FMA, so multiply-adds are written as a multiply and an add.
    ("KernelsGeneric", kernelFlags + [.define("KERNELS_GENERIC"), .define("KERNELS_NO_FMA")]),
    ("KernelsAVX2", kernelFlags + [.unsafeFlags(["-target-cpu", "haswell"])]),
    ("KernelsAVX512", kernelFlags + [.unsafeFlags(["-target-cpu", "skylake-avx512"]), .define("KERNELS_AVX512")]),
]
#else
/// NEON and FMA are the aarch64 baseline: one set.
let kernelSets: [(name: String, settings: [SwiftSetting])] = [
    ("KernelsGeneric", kernelFlags + [.define("KERNELS_GENERIC")]),
]
#endif

let package = Package(
    name: "PluginAPI",
    products: [
        // All modules go into the one shared library.
        .library(name: "PluginAPI", type: .dynamic,
                 targets: ["PluginAPI", "Engine", "Datasets", "Plots", "Formats", "Kernels", "KernelSupport", "CPUID"] + kernelSets.map(\.name)),
    ],
    targets: [
        .target(name: "KernelSupport", path: "Sources/KernelSupport", swiftSettings: unchecked),
        // CPUID and XGETBV, which Swift cannot issue (Kernels/CPUIDFlags.swift).
        .target(name: "CPUID", path: "Sources/CPUID"),
        .target(name: "Kernels", dependencies: ["KernelSupport", "CPUID"] + kernelSets.map { .target(name: $0.name) },
                path: "Sources/Kernels", swiftSettings: unchecked),
        // The layers a plugin sees (docs/ARCHITECTURE.md, "The runtime's layers"), bottom up:
        // file formats and the error type; the engine (tensors, autograd, layers, optimizers,
        // with the kernels internal to it); the dataset readers; plots and images; and the
        // contract (plugin, experiments, settings, run context, training driver), which
        // re-exports the four below it, so a plugin writes `import PluginAPI`.
        .target(name: "Formats", path: "Sources/Formats", swiftSettings: checked),
        .target(name: "Engine", dependencies: ["Formats", "Kernels"], path: "Sources/Engine", swiftSettings: checked),
        .target(name: "Datasets", dependencies: ["Formats", "Engine"], path: "Sources/Datasets", swiftSettings: checked),
        .target(name: "Plots", dependencies: ["Formats", "Engine"], path: "Sources/Plots", swiftSettings: checked),
        .target(name: "PluginAPI", dependencies: ["Formats", "Engine", "Datasets", "Plots", "Kernels"], path: "Sources/PluginAPI", swiftSettings: checked),
    ] + kernelSets.map { set in
        .target(name: set.name, dependencies: ["KernelSupport"], path: "Sources/\(set.name)", swiftSettings: set.settings)
    },
    swiftLanguageModes: [.v5]
)
