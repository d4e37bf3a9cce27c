// swift-tools-version:6.0
// The shared runtime: the plugin contract, tensor engine, datasets and plots, shipped as ONE
// dynamic library (libPluginAPI.so) so that the host and every plugin share one copy of the
// protocol types and of global state (see DESIGN.md, "The runtime must be one shared library").
import PackageDescription

/// Kernels are only fast with FMA/AVX2 and without bounds checks (DESIGN.md, "Compiler flags").
var optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
#if arch(x86_64)
optimized.append(.unsafeFlags(["-target-cpu", "haswell"]))
#endif

let package = Package(
    name: "PluginAPI",
    products: [
        .library(name: "PluginAPI", type: .dynamic, targets: ["PluginAPI"]),
    ],
    targets: [
        .target(name: "PluginAPI", path: "Sources/PluginAPI", swiftSettings: optimized),
    ],
    swiftLanguageModes: [.v5]
)
