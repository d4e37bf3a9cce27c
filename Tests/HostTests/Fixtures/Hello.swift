// A one-file plugin built outside the package with swiftc, as the README shows.
import PluginAPI

public final class HelloPlugin: Plugin {
    public let name = "Hello"
    public let version = "1.2.3"
    public let summary = "A plugin compiled on its own with swiftc"
    public let datasets: [DatasetInfo] = []
    public init() {}

    public var experiments: [Experiment] {
        [Experiment(name: "greet", summary: "Counts to --n and reports the sum",
                    options: [.int("n", default: 10, range: 1...1000, help: "how far to count"),
                              .flag("diverge", help: "fail as a diverging training run would")],
                    metrics: [MetricSpec("sum", goal: .neither)],
                    train: { context in
                        let n = try context.options.int("n")
                        if try context.options.bool("diverge") {
                            context.metrics.log(step: 1, [("loss", 1.5)])
                            context.metrics.log(step: 2, [("loss", 40)])
                            throw PluginError.diverged("the loss became nan at step 3", hint: "lower --lr")
                        }
                        context.metrics.final("sum", Double(n * (n + 1) / 2))
                        context.log("hello from a plugin built with swiftc")
                    })]
    }
}

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(HelloPlugin()) }
