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
#if arch(x86_64)
checked.append(.unsafeFlags(["-target-cpu", "haswell"]))
unchecked.append(.unsafeFlags(["-target-cpu", "haswell"]))
#endif

let package = Package(
    name: "PluginAPI",
    products: [
        // Both modules go into the one shared library.
        .library(name: "PluginAPI", type: .dynamic, targets: ["PluginAPI", "Kernels"]),
    ],
    targets: [
        .target(name: "Kernels", path: "Sources/Kernels", swiftSettings: unchecked),
        .target(name: "PluginAPI", dependencies: ["Kernels"], path: "Sources/PluginAPI", swiftSettings: checked),
    ],
    swiftLanguageModes: [.v5]
)
