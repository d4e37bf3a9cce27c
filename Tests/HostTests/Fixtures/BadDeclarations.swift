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
            Experiment(name: "fit", summary: "A sound experiment for the grids below",
                       options: [.int("width", default: 4, range: 1...8, help: "width"), .double("rate", default: 0.1, positive: true, help: "step")],
                       train: { _ in }),
            Experiment(name: "fit-grid", summary: "A named grid whose axes, seed count and options do not fit 'fit'",
                       options: [.string("widths", default: "1,2", help: "not a list option"), .double("runs", default: 2, help: "not an integer"),
                                 .double("rate", default: 0.2, positive: true, help: "another default than fit's"),
                                 .int("width", default: 4, range: 1...8, help: "also an axis")],
                       grid: ExperimentGrid(experiment: "fit", axes: [.option("width", valuesFrom: "widths"), .option("depth", values: ["1"]),
                                                                      .option("width", values: ["3", "9"])], seedsOption: "runs"),
                       train: { _ in }),
            Experiment(name: "lost-grid", summary: "A named grid of an experiment that is not there",
                       grid: ExperimentGrid(experiment: "nowhere", axes: []), train: { _ in }),
        ]
    }
}

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(BadDeclarationsPlugin()) }
