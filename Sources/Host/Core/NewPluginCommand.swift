import Foundation
import PluginAPI

/// `host new-plugin <Name> [--dir DIR]`: writes an out-of-tree SwiftPM package for a new plugin
/// that builds against this host's runtime (the folder of the host executable, which holds
/// `libPluginAPI.so` and `Modules/`) and has a passing test that runs its experiment in-process
/// with `ExperimentHarness`. All files are written into a temporary folder first and moved into
/// place at the end, so a failure leaves nothing behind.
public enum NewPluginCommand {
    static func run(name: String, options: [String]) -> Result<Int32, HostError> {
        guard let first = name.unicodeScalars.first, ("A"..."Z").contains(first),
              name.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }),
              name.count <= 64 else {
            return .failure(HostError("'\(name)' is not a plugin name: use letters and digits, starting with a capital (it names the Swift module and lib\(name).so)",
                                      hint: "for example `host new-plugin Kmeans`"))
        }
        var folder = name
        var rest = options[...]
        while let option = rest.popFirst() {
            guard option == "--dir", let value = rest.popFirst() else {
                return .failure(HostError("unknown option \(option) for `host new-plugin`", hint: "usage: host new-plugin <Name> [--dir DIR]"))
            }
            folder = value
        }
        let fm = FileManager.default
        if let entries = try? fm.contentsOfDirectory(atPath: folder), !entries.isEmpty {
            return .failure(HostError("\(folder) already exists and is not empty", hint: "give a new folder with --dir, or remove it"))
        }
        guard let runtime = runtimeFolder() else {
            return .failure(HostError("the runtime's module files are not beside the host executable (libPluginAPI.so and Modules/PluginAPI.swiftmodule)",
                                      hint: "run the host that `swift build -c release` made: .build/release/host new-plugin \(name)", exitCode: ExitCode.failure))
        }
        let parent = ((folder as NSString).standardizingPath as NSString).deletingLastPathComponent
        let staging = (parent.isEmpty ? "." : parent) + "/.\(name)-new-plugin-\(getpid())"
        do {
            for (path, text) in files(name: name, runtime: runtime) {
                let target = staging + "/" + path
                try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: target, atomically: true, encoding: .utf8)
            }
            if fm.fileExists(atPath: folder) { try fm.removeItem(atPath: folder) }  // empty, checked above
            try fm.moveItem(atPath: staging, toPath: folder)
        } catch {
            try? fm.removeItem(atPath: staging)
            return .failure(HostError("cannot write \(folder): \(error.localizedDescription)", hint: "check that its parent folder exists and is writable", exitCode: ExitCode.failure))
        }
        print("""
            wrote the plugin package \(folder)/ (builds against the runtime in \(runtime))
              cd \(folder)
              make build     # swift build -c release: .build/release/lib\(name).so
              make test      # swift test: runs its experiment in-process (ExperimentHarness)
              make run       # \(runtime)/host run \(name) --plugins .build/release
            """)
        return .success(ExitCode.success)
    }

    /// The host executable's folder when it holds the runtime library and its module files.
    static func runtimeFolder() -> String? {
        guard let executable = HostCommand.executablePath().map({ ($0 as NSString).deletingLastPathComponent }) else { return nil }
        let fm = FileManager.default
        guard fm.fileExists(atPath: executable + "/libPluginAPI.so"), fm.fileExists(atPath: executable + "/Modules/PluginAPI.swiftmodule") else { return nil }
        return executable
    }

    /// The package's files, path -> text.
    static func files(name: String, runtime: String) -> [(String, String)] {
        [("Package.swift", packageManifest(name: name, runtime: runtime)),
         ("Sources/\(name)/\(name)Plugin.swift", pluginSource(name: name)),
         ("Sources/\(name)/Entry.swift", entrySource(name: name)),
         ("Tests/\(name)Tests/\(name)Tests.swift", testSource(name: name)),
         ("Makefile", makefile(name: name, runtime: runtime)),
         (".gitignore", ".build/\nPackage.resolved\n"),
         ("README.md", readme(name: name, runtime: runtime))]
    }

    static func packageManifest(name: String, runtime: String) -> String {
        """
        // swift-tools-version:5.9
        // The \(name) plugin: `swift build -c release` makes .build/release/lib\(name).so; `swift test`
        // runs its experiment in-process. Written by `host new-plugin`.
        import PackageDescription

        /// The host's folder: libPluginAPI.so and Modules/ (the runtime this plugin is built against).
        let runtime = "\(runtime)"
        let compile: [SwiftSetting] = [.unsafeFlags(["-I", runtime + "/Modules"])]
        let link: [LinkerSetting] = [.unsafeFlags(["-L", runtime, "-lPluginAPI", "-Xlinker", "-rpath", "-Xlinker", runtime])]

        let package = Package(
            name: "\(name)",
            products: [.library(name: "\(name)", type: .dynamic, targets: ["\(name)"])],
            targets: [
                .target(name: "\(name)", swiftSettings: compile, linkerSettings: link),
                .testTarget(name: "\(name)Tests", dependencies: ["\(name)"], swiftSettings: compile, linkerSettings: link),
            ]
        )

        """
    }

    /// SwiftPM passes a target's flags to it alone, not to the test runner it generates, which
    /// must find PluginAPI's module too: `make` gives the search path to every compile.
    static func makefile(name: String, runtime: String) -> String {
        """
        # Written by `host new-plugin`: builds and tests against the host's runtime.
        RUNTIME := \(runtime)
        SWIFT_FLAGS := -Xswiftc -I -Xswiftc $(RUNTIME)/Modules

        build:
        \tswift build -c release $(SWIFT_FLAGS)

        test:
        \tswift test $(SWIFT_FLAGS)

        run: build
        \t$(RUNTIME)/host run \(name) --plugins .build/release

        .PHONY: build test run

        """
    }

    /// The plugin's source file: the README's "Writing a plugin" example is this with Name = Fit
    /// (`ReadmeExampleTests` keeps them the same).
    public static func pluginSource(name: String) -> String {
        """
        import PluginAPI

        /// The \(name) plugin. Replace the example experiment with the assignment's; `host help \(name)`
        /// shows what the declarations say.
        public final class \(name)Plugin: Plugin {
            public let name = "\(name)"                  // the library must be lib\(name).so
            public let version = "0.1.0"
            public let summary = "A new assignment (fits y = 2x + 1 for now)"
            public let datasets = [DatasetInfo(name: "line", description: "64 points of y = 2x + 1 plus noise", source: .generated)]
            public init() {}

            /// The options, each declared once: type and default in the field, name and bounds below.
            struct Settings: ExperimentSettings {
                var steps = 200
                var lr: Float = 0.1                               // the engine computes in Float
                static let fields: [SettingField<Settings>] = [
                    .int("steps", \\.steps, range: 1...100_000, help: "SGD steps"),
                    .double("lr", \\.lr, min: 0, max: 10, help: "learning rate"),
                ]
            }

            public var experiments: [Experiment] {
                [Experiment(name: "train", summary: "SGD on the mean squared error of one linear layer", settings: Settings.self,
                            metrics: [MetricSpec("final_loss", goal: .lowerIsBetter, help: "MSE after the last step"),
                                      MetricSpec("slope", help: "learned weight (2 is right)"),
                                      MetricSpec("intercept", help: "learned bias (1 is right)")],
                            train: { context, settings in try \(name)Plugin.train(context, settings) })]
            }

            static func train(_ context: RunContext, _ settings: Settings) throws {
                let (steps, lr) = (settings.steps, settings.lr)
                var generator = SeededGenerator(seed: context.seed)    // --seed: same seed, same numbers
                let xs = (0..<64).map { _ in Float(generator.nextDouble() * 4 - 2) }
                let ys = xs.map { 2 * $0 + 1 + Float(generator.nextNormal() * 0.1) }
                let x = Tensor(xs, shape: [64, 1]), y = Tensor(ys, shape: [64, 1])
                let model = Linear(1, 1, generator: &generator)
                let optimizer = SGD(model.parameters(), lr: lr)

                // The runtime's loop: progress, Ctrl-C, NaN checks and metrics.csv rows.
                var losses: [Double] = []
                let loop = TrainingLoop("training", total: steps, watch: TrainingWatch(context), divergenceHint: "lower --lr")
                try loop.run(step: { _ in
                    optimizer.zeroGrad()
                    let loss = mseLoss(model(x), y)
                    loss.backward()
                    optimizer.step()
                    return Double(loss.item)                        // `item` is a Float property
                }, log: { point in
                    losses.append(point.windowLoss)
                    return [("loss", point.windowLoss)]             // a row of metrics.csv
                })
                context.metrics.final("final_loss", losses.last ?? .nan)
                context.metrics.final("slope", Double(model.weight.item))
                context.metrics.final("intercept", Double(model.bias?.item ?? 0))
                let plot = LinePlot(title: "\(name): training loss", xLabel: "step", yLabel: "MSE",
                                    series: [Series("train", x: losses.indices.map { Double($0 + 1) }, y: losses)], logY: true)
                try context.artifacts.write(plot.svg(), to: "loss.svg")   // atomic, listed in summary.json
                context.log("fitted y = \\(model.weight.item) x + \\(model.bias?.item ?? 0)")
            }
        }

        """
    }

    /// The three C entry points, in a file of their own.
    public static func entrySource(name: String) -> String {
        """
        import PluginAPI

        // The three C entry points the host looks up (the handshake of the host's docs/ARCHITECTURE.md).
        @_cdecl("host_plugin_abi_version")
        public func hostPluginABIVersion() -> Int32 { PluginABI.version }
        @_cdecl("host_plugin_runtime_build_id")
        public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }
        @_cdecl("host_plugin_create")
        public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(\(name)Plugin()) }

        """
    }

    static func testSource(name: String) -> String {
        """
        import \(name)
        import PluginAPI
        import XCTest

        /// Runs the experiment in this process, as the host would, and checks what it reports.
        final class \(name)Tests: XCTestCase {
            func testTrainFitsTheLine() throws {
                let result = try ExperimentHarness.run(\(name)Plugin(), experiment: "train", options: ["steps": "300", "lr": "0.05"])
                XCTAssertEqual(result.metrics["slope"] ?? .nan, 2, accuracy: 0.05)
                XCTAssertEqual(result.metrics["intercept"] ?? .nan, 1, accuracy: 0.05)
                XCTAssertEqual(result.rows.count, 300, "one metrics.csv row per step")
                XCTAssertEqual(result.missingMetrics, [])
                XCTAssertTrue(result.files.contains("loss.svg"))
            }

            func testABadOptionIsRefused() {
                XCTAssertThrowsError(try ExperimentHarness.run(\(name)Plugin(), options: ["steps": "0"]))
            }
        }

        """
    }

    static func readme(name: String, runtime: String) -> String {
        """
        # \(name)

        A plugin for the course host, written by `host new-plugin`. It builds against the runtime in
        `\(runtime)` (set in Package.swift).

        ```sh
        make build     # swift build -c release: .build/release/lib\(name).so
        make test      # swift test: the experiment, run in-process by ExperimentHarness
        make run       # \(runtime)/host run \(name) --plugins .build/release
        cp .build/release/lib\(name).so \(runtime)/   # or install it beside the host
        ```

        `make` passes `-Xswiftc -I -Xswiftc \(runtime)/Modules` to swift: SwiftPM gives a target's own
        flags (Package.swift) to that target only, not to the test runner it generates.

        When the host's runtime changes, rebuild: a plugin built against another runtime is refused
        with a message saying so.

        """
    }
}
