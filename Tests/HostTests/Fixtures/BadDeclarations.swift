// A plugin whose declarations break the contract: the host must refuse it at load, naming each
// declaration, before any of it runs (DeclarationCheck).
import PluginAPI

public final class BadDeclarationsPlugin: Plugin {
    public let name = "BadDeclarations"
    public let version = "0.0.1"
    public let summary = "Declarations the host refuses"
    public let datasets: [DatasetInfo] = []
    public init() {}

    public var experiments: [Experiment] {
        [
            Experiment(name: "train", summary: "Shadows --seed and declares --lr twice",
                       options: [.int("seed", default: 1, range: 0...9, help: "never settable: --seed is the host's"),
                                 .double("lr", default: 0.1, min: 0, max: 1, help: "step"),
                                 .double("lr", default: 0.2, min: 0, max: 1, help: "step again")],
                       metrics: [MetricSpec("loss"), MetricSpec("loss"), MetricSpec("acc,top1")],
                       train: { _ in }),
            Experiment(name: "train", summary: "The same name again", train: { _ in }),
            Experiment(name: "Fast Train", summary: "A name no command line can carry", train: { _ in }),
        ]
    }
}

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> UnsafePointer<CChar> { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> UnsafeMutableRawPointer? { PluginABI.export(BadDeclarationsPlugin()) }
