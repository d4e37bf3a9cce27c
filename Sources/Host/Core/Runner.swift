import Foundation
import PluginAPI
import Kernels

/// Versions recorded in every run's `config.json`.
public enum HostInfo {
    public static let version = "0.1.0"
}

/// How a run ended.
public enum RunStatus: String {
    case completed, interrupted, failed
}

/// What a finished run produced, for printing.
public struct RunOutcome {
    public var plugin: String
    public var experiment: String
    public var folder: String
    public var status: RunStatus
    public var seconds: Double
    public var finals: [(String, Double)]
    public var metricSpecs: [MetricSpec]
    public var error: PluginError?

    /// The exit code for this outcome.
    public var exitCode: Int32 {
        switch status {
        case .completed: return ExitCode.success
        case .interrupted: return ExitCode.interrupted
        case .failed: return ExitCode.failure
        }
    }
}

/// Runs one experiment's train or evaluate entry point inside a run folder.
public struct Runner {
    public enum Mode {
        case train
        case evaluate(checkpoint: String)
    }

    public var globals: GlobalOptions
    /// Where messages go (stderr in the CLI).
    public var log: (String) -> Void

    public init(globals: GlobalOptions, log: @escaping (String) -> Void) {
        self.globals = globals
        self.log = log
    }

    public func run(_ loaded: LoadedPlugin, experiment: Experiment, options: OptionValues, mode: Mode,
                    arguments: [String]) -> Result<RunOutcome, HostError> {
        let plugin = loaded.plugin
        let place = "\(plugin.name) \(experiment.name)"
        var suffix = ""
        if case .evaluate(let checkpoint) = mode {
            guard experiment.evaluate != nil else {
                return .failure(HostError("\(place) has no evaluate entry point", hint: "experiments that can evaluate a checkpoint are marked 'eval' in `host help \(plugin.name)`"))
            }
            guard FileManager.default.fileExists(atPath: checkpoint) else {
                return .failure(HostError("checkpoint \(checkpoint) does not exist", hint: "give the checkpoint a training run wrote in its run folder"))
            }
            suffix = "-eval"
        } else if experiment.train == nil {
            return .failure(HostError("\(place) has no train entry point", hint: "run it with `host eval \(plugin.name) \(experiment.name) --checkpoint PATH`"))
        }

        let folder: RunFolder
        switch RunFolder.create(plugin: plugin.name, experiment: experiment.name, out: globals.out, suffix: suffix) {
        case .success(let f): folder = f
        case .failure(let e): return .failure(e)
        }
        Supervision.send(.folder, folder.path)
        WorkerPool.shared.threads = globals.threads
        let started = Date()
        let metrics = MetricsLog(declared: experiment.metrics.map(\.name))
        let live = LiveMetrics(folder: folder.path, started: started, warn: { HostCommand.warn($0) })
        metrics.observeRows { live.record($0) }
        defer { live.close() }
        let progress = ProgressWatch(globals.quiet ? SilentProgress() : TerminalProgress())
        let cancellation = CancellationWatch { Interrupt.requested }
        let context = RunContext(plugin: plugin.name, experiment: experiment.name, options: options, seed: globals.seed,
                                 threads: globals.threads, outputDirectory: folder.path, progress: progress,
                                 metrics: metrics, log: globals.quiet ? { _ in } : log, isCancelled: cancellation.check)
        do {
            try folder.write(config(plugin: plugin, path: loaded.path, experiment: experiment, options: options,
                                    mode: mode, arguments: arguments, started: started).text(indent: 2) + "\n", to: "config.json")
            try folder.write(JSON.object([("status", .string("running")), ("started", .string(RunFolder.isoTime(started))),
                                          ("process", .number(Double(getpid())))]).text(indent: 2) + "\n", to: "summary.json")
        } catch {
            folder.remove()
            return .failure(HostError("cannot write the run folder \(folder.path): \(RunFolder.reason(error))", hint: "check the disk and permissions"))
        }

        var failure: PluginError?
        do {
            switch mode {
            case .train: try experiment.train?(context)
            case .evaluate(let checkpoint): try experiment.evaluate?(context, checkpoint)
            }
        } catch let error as PluginError {
            failure = error
        } catch {
            failure = .failure("\(error)", hint: "this is a bug in the plugin \(plugin.name); please report it with the run folder")
        }
        progress.end()
        live.close()
        if failure == nil { failure = metrics.undeclaredFinalsFailure(place: place, plugin: plugin.name) }

        if let failure, failure.kind == .invalidInput {
            folder.remove()
            return .failure(HostError(failure.message, hint: failure.hint))
        }
        let status: RunStatus = failure != nil ? .failed : (Interrupt.requested ? .interrupted : .completed)
        let seconds = Date().timeIntervalSince(started)
        if status == .completed, let note = ProgressWatch.note(plugin: plugin.name, experiment: experiment.name, seconds: seconds,
                                                                 sawProgress: progress.sawProgress) {
            context.log(note)
        }
        if status == .completed, let note = CancellationWatch.note(plugin: plugin.name, experiment: experiment.name, seconds: seconds,
                                                                     wasChecked: cancellation.wasChecked) {
            context.log(note)
        }
        do {
            if !metrics.rows.isEmpty { try folder.write(metrics.csv(), to: "metrics.csv") }
            let tracked = live.wroteEvents ? [live.eventsFileName] : []
            try folder.write(summary(status: status, failure: failure, metrics: metrics, artifacts: tracked + context.artifacts.written,
                                     started: started, seconds: seconds).text(indent: 2) + "\n", to: "summary.json")
        } catch {
            return .failure(HostError("cannot finish the run folder \(folder.path): \(RunFolder.reason(error))", hint: "check the disk and permissions", exitCode: ExitCode.failure))
        }
        return .success(RunOutcome(plugin: plugin.name, experiment: experiment.name, folder: folder.path, status: status,
                                   seconds: seconds, finals: metrics.finals, metricSpecs: experiment.metrics, error: failure))
    }

    private func config(plugin: any Plugin, path: String, experiment: Experiment, options: OptionValues, mode: Mode,
                        arguments: [String], started: Date) -> JSON {
        var modeJSON: [(String, JSON)] = [("kind", .string("train"))]
        if case .evaluate(let checkpoint) = mode { modeJSON = [("kind", .string("evaluate")), ("checkpoint", .string(checkpoint))] }
        let optionJSON: [(String, JSON)] = experiment.options.map { spec in
            switch options.values[spec.name] {
            case .int(let v)?: return (spec.name, .number(Double(v)))
            case .double(let v)?: return (spec.name, .number(v))
            case .string(let v)?: return (spec.name, .string(v))
            case .bool(let v)?: return (spec.name, .bool(v))
            case .numbers(let v)?: return (spec.name, .array(v.map { .number($0) }))
            case .integers(let v)?: return (spec.name, .array(v.map { .number(Double($0)) }))
            case nil: return (spec.name, .null)
            }
        }
        return .object([
            ("plugin", .string(plugin.name)),
            ("experiment", .string(experiment.name)),
            ("mode", .object(modeJSON)),
            ("options", .object(optionJSON)),
            ("seed", .number(Double(globals.seed))),
            ("threads", .number(Double(globals.threads))),
            ("cpu", .object([
                ("model", .string(CPUFeatures.current.modelName)),
                ("kernel_set", .string(KernelSet.active.name)),
                ("vector_lanes", .number(Double(KernelSet.active.lanes))),
                ("logical_cores", .number(Double(CPUFeatures.current.logicalCores))),
                ("max_clock_mhz", CPUFeatures.current.maxClockMHz.map { .number($0) } ?? .null),
            ])),
            ("versions", .object([
                ("host", .string(HostInfo.version)),
                ("runtime", .string(PluginABI.loadedRuntimeBuildID)),
                ("plugin_abi", .number(Double(PluginABI.version))),
                ("plugin", .string(plugin.version)),
                ("plugin_library", .string(path)),
            ])),
            ("command_line", .array(arguments.map { .string($0) })),
            ("started", .string(RunFolder.isoTime(started))),
        ])
    }

    private func summary(status: RunStatus, failure: PluginError?, metrics: MetricsLog, artifacts: [String],
                         started: Date, seconds: Double) -> JSON {
        var fields: [(String, JSON)] = [
            ("status", .string(status.rawValue)),
            ("started", .string(RunFolder.isoTime(started))),
            ("seconds", .number((seconds * 1000).rounded() / 1000)),
            ("metrics", .object(metrics.finals.map { ($0.0, .finite($0.1)) })),
        ]
        if !metrics.missingFinals.isEmpty { fields.append(("missing_metrics", .array(metrics.missingFinals.map { .string($0) }))) }
        if !metrics.notes.isEmpty { fields.append(("notes", .object(metrics.notes.map { ($0.0, .string($0.1)) }))) }
        if let failure {
            fields.append(("error", .object([("kind", .string(failure.kind.rawValue)), ("message", .string(failure.message)),
                                             ("hint", .string(failure.hint))])))
        }
        if status == .interrupted { fields.append(("interrupted", .string("stopped by Ctrl-C; the metrics cover the steps done"))) }
        fields.append(("files", .array((["config.json"] + (metrics.rows.isEmpty ? [] : ["metrics.csv"]) + artifacts).map { .string($0) })))
        return .object(fields)
    }
}
