// swift-tools-version:6.0
// The host executable, one dynamic library per plugin, and the tests. The runtime (plugin
// contract, engine, data, plots) is the nested package at Sources/PluginAPI, linked as one
// shared library by everything here (docs/ARCHITECTURE.md, "One runtime library").
import PackageDescription

/// Host and plugins keep Swift's checks in release builds; only the runtime's Kernels module
/// drops them (docs/ARCHITECTURE.md, "Checked everywhere but the kernel loops"). No
/// `-target-cpu`: they run on any x86-64, and the runtime's kernels pick the CPU's width.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo"], .when(configuration: .release))]

let runtime: Target.Dependency = .product(name: "PluginAPI", package: "PluginAPI")

/// Every assignment: `Plugins/<Name>/` builds `lib<Name>.so`.
let pluginNames = ["Parity", "ResNet", "SVM", "NNGP", "Review", "Autoencoder"]

let package = Package(
    name: "MLHost",
    products: [.executable(name: "host", targets: ["Host"])]
        + pluginNames.map { .library(name: $0, type: .dynamic, targets: [$0, $0 + "Entry"]) },
    dependencies: [.package(path: "Sources/PluginAPI")],
    targets: [
        .target(name: "HostKit", dependencies: [runtime], path: "Sources/Host/Core", swiftSettings: optimized),
        .executableTarget(name: "Host", dependencies: ["HostKit", runtime], path: "Sources/Host/CLI", swiftSettings: optimized),
        .testTarget(name: "HostTests", dependencies: ["HostKit", runtime], path: "Tests/HostTests", exclude: ["Fixtures"]),
        .testTarget(name: "PluginAPITests", dependencies: ["HostKit", runtime], path: "Tests/PluginAPITests", exclude: ["Fixtures"]),
        .testTarget(name: "EngineTests", dependencies: ["HostKit", runtime], path: "Tests/EngineTests"),
        .testTarget(name: "ImageTests", dependencies: [runtime], path: "Tests/ImageTests"),
        .testTarget(name: "PlotTests", dependencies: [runtime], path: "Tests/PlotTests"),
        .testTarget(name: "ParityTests", dependencies: ["Parity", runtime], path: "Tests/ParityTests"),
        .testTarget(name: "ResNetTests", dependencies: ["ResNet", "HostKit", runtime], path: "Tests/ResNetTests"),
        .testTarget(name: "SVMTests", dependencies: ["SVM", runtime], path: "Tests/SVMTests"),
        .testTarget(name: "NNGPTests", dependencies: ["NNGP", runtime], path: "Tests/NNGPTests"),
        .testTarget(name: "ReviewTests", dependencies: ["Review", runtime], path: "Tests/ReviewTests"),
        .testTarget(name: "AutoencoderTests", dependencies: ["Autoencoder", runtime], path: "Tests/AutoencoderTests"),
    ] + pluginNames.flatMap { name -> [Target] in [
        // The assignment's code (tests link it directly) and its C entry points (only in the .so).
        .target(name: name, dependencies: [runtime], path: "Plugins/\(name)", exclude: ["Entry"], swiftSettings: optimized),
        .target(name: name + "Entry", dependencies: [.target(name: name), runtime], path: "Plugins/\(name)/Entry", swiftSettings: optimized),
    ] },
    swiftLanguageModes: [.v5]
)
