// A plugin whose experiments make the mistakes somebody else's plugin makes: each must end as
// a failed run with a message, never take the host down (docs/ARCHITECTURE.md, "Supervised runs").
import Foundation
import PluginAPI

public final class FaultyPlugin: Plugin {
    public let name = "Faulty"
    public let version = "0.0.1"
    public let summary = "Experiments that go wrong on purpose"
    public let datasets: [DatasetInfo] = []
    public init() {}

    public var experiments: [Experiment] {
        [
            Experiment(name: "shape", summary: "Feeds 64 features to Linear(63, 10)", options: [], metrics: [],
                       train: { context in
                           context.metrics.log(step: 1, [("loss", 2.5)])
                           var generator = SeededGenerator(seed: context.seed)
                           let layer = Linear(63, 10, generator: &generator)
                           let x = Tensor(zeros: [4, 64])
                           _ = layer(x)
                       }),
            Experiment(name: "segfault", summary: "Dereferences a null pointer after logging two steps", options: [], metrics: [MetricSpec("loss")],
                       train: { context in
                           context.metrics.log(step: 1, [("loss", 2.5)])
                           context.metrics.log(step: 2, [("loss", 1.5)])
                           context.metrics.final("loss", 1.5)
                           // A wild pointer: an address no mapping holds.
                           let pointer = UnsafeMutablePointer<Int>(bitPattern: 0x10)
                           pointer?.pointee = 1
                       }),
            Experiment(name: "exit", summary: "Calls exit(0) in the middle of training", options: [], metrics: [],
                       train: { context in
                           context.metrics.log(step: 1, [("loss", 2.5)])
                           exit(0)
                       }),
            Experiment(name: "index", summary: "Reads an array past its end", options: [.int("i", default: 5, range: 0...100, help: "index")], metrics: [MetricSpec("value")],
                       train: { context in
                           let values = [1, 2, 3]
                           context.metrics.final("value", Double(values[try context.options.int("i")]))
                       }),
            Experiment(name: "slow", summary: "Logs a step every 0.1 s until cancelled", options: [], metrics: [],
                       train: { context in
                           var step = 0
                           while !context.isCancelled && step < 600 {
                               step += 1
                               context.metrics.log(step: step, [("loss", 1 / Double(step))])
                               Thread.sleep(forTimeInterval: 0.1)
                           }
                       }),
            Experiment(name: "orphan", summary: "Starts a process that keeps its output open for a minute, then returns",
                       options: [], metrics: [],
                       train: { context in
                           // As the crash backtracer can: a child that inherits the worker's pipes and outlives it.
                           let sleeper = Process()
                           sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
                           sleeper.arguments = ["60"]
                           try? sleeper.run()
                           context.metrics.log(step: 1, [("loss", 1)])
                           context.log("sleeper \(sleeper.processIdentifier)")
                       }),
            Experiment(name: "stubborn", summary: "Ignores cancellation (sleeps for a minute)", options: [], metrics: [],
                       train: { context in
                           context.metrics.log(step: 1, [("loss", 1)])
                           Thread.sleep(forTimeInterval: 60)
                       }),
        ]
    }
}

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(FaultyPlugin()) }
