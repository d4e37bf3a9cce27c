// A plugin that loads but reports its metrics carelessly: a final value under a name it never
// declared (the run fails, naming it), a declared metric it never sets (listed as missing), and
// one step logged in two calls (one row of metrics.csv).
import Foundation
import PluginAPI

public final class SloppyPlugin: Plugin {
    public let name = "Sloppy"
    public let version = "0.0.1"
    public let summary = "Metrics reported carelessly"
    public let datasets: [DatasetInfo] = []
    public init() {}

    public var experiments: [Experiment] {
        [
            Experiment(name: "undeclared", summary: "Sets 'accuracy', which it does not declare",
                       metrics: [MetricSpec("loss")],
                       train: { context in
                           context.metrics.final("loss", 0.5)
                           context.metrics.final("accuracy", 0.9)
                       }),
            Experiment(name: "missing", summary: "Declares loss and accuracy, sets only loss; logs step 1 in two calls",
                       metrics: [MetricSpec("loss"), MetricSpec("accuracy")],
                       train: { context in
                           context.metrics.log(step: 1, [("loss", 2)])
                           context.metrics.log(step: 1, [("grad_norm", 3)])
                           context.metrics.log(step: 2, [("loss", 1)])
                           context.metrics.final("loss", 1)
                       }),
            Experiment(name: "silent", summary: "Works for 5.2 s without reporting progress or checking for Ctrl-C",
                       train: { _ in Thread.sleep(forTimeInterval: 5.2) }),
            Experiment(name: "polite", summary: "Works for 5.2 s in steps, reporting progress and checking for Ctrl-C",
                       train: { context in
                           context.progress.begin("work", total: 26, unit: "steps")
                           for step in 1...26 where !context.isCancelled {
                               Thread.sleep(forTimeInterval: 0.2)
                               context.progress.update(completed: step, values: [])
                           }
                           context.progress.end()
                       }),
        ]
    }
}

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(SloppyPlugin()) }
