import Foundation
import PluginAPI
import Kernels

/// The `host` command: parses argv, loads plugins and dispatches. Returns the exit code.
public enum HostCommand {
    public static func main(_ argv: [String]) -> Int32 {
        let arguments = Array(argv.dropFirst())
        // Read before parsing, so that even a malformed command line answers in JSON.
        errorsAsJSON = arguments.contains("--json")
        // Shell completion takes partial words, which the parser would refuse (a worker it
        // starts to describe a plugin runs its own role).
        let isWorker = ProcessInfo.processInfo.environment["HOST_WORKER"] != nil
        if arguments.first == "__complete", !isWorker { return Completion.run(Array(arguments.dropFirst())) }
        if arguments.first == "completion", !isWorker {
            guard let shell = arguments.dropFirst().first, let script = Completion.scripts.first(where: { $0.shell == shell })?.script else {
                let given = arguments.dropFirst().first.map { " (not '\($0)')" } ?? ""
                return report(HostError("`host completion` writes a completion script for bash, zsh or fish\(given)",
                                        hint: "bash: eval \"$(host completion bash)\"; zsh: eval \"$(host completion zsh)\" after compinit; fish: host completion fish | source"))
            }
            print(script, terminator: "")
            return ExitCode.success
        }
        switch ArgumentParser.parse(arguments) {
        case .failure(let error):
            return report(error)
        case .success(let (globals, command)):
            // A forced kernel set this CPU lacks stops here, in the supervisor, before any worker
            // or run folder exists (docs/ARCHITECTURE.md, "Kernel sets").
            if command.runsKernels, case .failure(let error) = KernelSet.selection {
                return report(HostError(error.message, hint: error.hint))
            }
            let environment = ProcessInfo.processInfo.environment
            if let role = environment["HOST_WORKER"], let path = environment["HOST_WORKER_PLUGIN"] {
                return worker(role: role, pluginPath: path, command: command, globals: globals, arguments: arguments)
            }
            switch execute(command, globals: globals, arguments: arguments) {
            case .success(let code): return code
            case .failure(let error): return report(error)
            }
        }
    }

    static func execute(_ command: Command, globals: GlobalOptions, arguments: [String]) -> Result<Int32, HostError> {
        switch command {
        case .version:
            print("host \(HostInfo.version) (runtime \(PluginABI.loadedRuntimeBuildID), plugin ABI \(PluginABI.version))")
            return .success(ExitCode.success)
        case .help(let topic) where topic.isEmpty:
            print(HelpText.usage)
            return .success(ExitCode.success)
        case .help(let topic) where topic.count == 1 && HelpText.command(topic[0]) != nil:
            print(HelpText.command(topic[0]) ?? "")
            return .success(ExitCode.success)
        case .bench(let filter):
            return .success(BenchCommand.run(filter: filter, globals: globals))
        case .verifyOps(let folder):
            return VerifyOpsCommand.run(folder: folder, globals: globals)
        case .fetch(let dataset, let options):
            return FetchCommand.run(dataset: dataset, options: options, globals: globals)
        case .newPlugin(let name, let options):
            return NewPluginCommand.run(name: name, options: options)
        case .sweep(let arguments):
            return SweepCommand.run(arguments, globals: globals)
        case .report(let folder):
            do {
                print(try Report.write(folder: folder))
                return .success(ExitCode.success)
            } catch let error as HostError {
                return .failure(error)
            } catch {
                return .failure(HostError("cannot write the report: \(error)", hint: "check that \(folder) is writable"))
            }
        default:
            break
        }
        let discovery = discover(globals)
        for refused in discovery.refused { warn("refused \(refused.message)\n  hint: \(refused.hint)") }
        switch command {
        case .list:
            let listed = describeAll(discovery)
            if globals.json {
                print("[" + listed.map(\.listJSON).map { String($0.dropFirst().dropLast()) }.joined(separator: ",") + "]")
            } else {
                print(listed.isEmpty ? "No plugins found.\n" : listed.map(\.listText).joined(), terminator: "")
            }
            return .success(ExitCode.success)
        case .help(let topic):
            return choose(topic[0], in: discovery, helpTopic: topic).flatMap { description in
                guard let help = description.help else {
                    return .failure(HostError("the worker gave no help for \(description.name)", hint: "this is a bug in the host", exitCode: ExitCode.failure))
                }
                return help.map { text in
                    print(text, terminator: "")
                    return ExitCode.success
                }
            }
        case .run(let name, _, _), .eval(let name, _, _, _):
            return choose(name, in: discovery).map { description in
                RunSupervisor.run(arguments: arguments, pluginPath: description.path, plugin: description.name, globals: globals)
            }
        case .version, .bench, .verifyOps, .report, .fetch, .newPlugin, .sweep:
            return .success(ExitCode.success)
        }
    }

    /// The part of a command that runs plugin code, in a worker process started by the
    /// supervising `host` (`HOST_WORKER` = `describe` or `run`, `HOST_WORKER_PLUGIN` = the library).
    static func worker(role: String, pluginPath: String, command: Command, globals: GlobalOptions, arguments: [String]) -> Int32 {
        // The worker must not outlive its supervisor: SIGTERM (a cancel) when it goes.
        watchSupervisor()
        signal(SIGPIPE, SIG_IGN)
        if role == "describe" { return PluginDescriber.workerMain(path: pluginPath, command: command, seed: globals.seed) }
        let catalog = PluginCatalog(path: pluginPath)
        let code: Int32
        switch command {
        case .run(let name, let experimentName, let tokens), .eval(let name, let experimentName, _, let tokens):
            switch runInProcess(command, name: name, experimentName: experimentName, tokens: tokens, catalog: catalog, globals: globals, arguments: arguments) {
            case .success(let c): code = c
            case .failure(let error): code = report(error)   // bad input: the run undid its folder
            }
        default:
            return report(HostError("the worker process only runs experiments", hint: "run `host run PLUGIN`"))
        }
        Supervision.send(.done)
        return code
    }

    /// Sends this worker SIGTERM (a cancel: the run stops at its next step and says so) when
    /// the process that started it is gone.
    static func watchSupervisor() {
        let supervisor = getppid()
        Thread.detachNewThread {
            while getppid() == supervisor { Thread.sleep(forTimeInterval: 0.5) }
            kill(getpid(), SIGTERM)
        }
    }

    /// Runs an experiment in this process (the worker's side of `host run` and `host eval`).
    static func runInProcess(_ command: Command, name: String, experimentName: String?, tokens: [String], catalog: PluginCatalog,
                             globals: GlobalOptions, arguments: [String]) -> Result<Int32, HostError> {
        let found: (LoadedPlugin, Experiment)
        switch find(name, experiment: experimentName, in: catalog) {
        case .success(let f): found = f
        case .failure(let e): return .failure(e)
        }
        let (loaded, experiment) = found
        let place = "\(loaded.plugin.name) \(experiment.name)"
        let options: OptionValues
        switch ExperimentOptionParser.resolve(tokens, specs: experiment.options, where: place) {
        case .success(let o): options = o
        case .failure(let e): return .failure(e)
        }
        var mode = Runner.Mode.train
        if case .eval(_, _, let checkpoint, _) = command { mode = .evaluate(checkpoint: checkpoint) }
        Interrupt.install()
        let runner = Runner(globals: globals, log: { message in warn(message, prefix: "") })
        return runner.run(loaded, experiment: experiment, options: options, mode: mode, arguments: arguments).map { outcome in
            if let error = outcome.error {
                warn("\(error.kind.rawValue): \(error.message)\n  hint: \(error.hint)\n  what was done is in \(outcome.folder)")
            }
            if globals.report {
                do { _ = try Report.write(folder: outcome.folder) } catch { warn("could not write report.html: \(error)") }
            }
            print(globals.json ? outcomeJSON(outcome).text() : HelpText.outcome(outcome), terminator: globals.json ? "\n" : "")
            return outcome.exitCode
        }
    }

    /// The plugin files on the search path (nothing loaded).
    static func discover(_ globals: GlobalOptions) -> PluginDiscovery {
        let executableFolder = (executablePath() as NSString?)?.deletingLastPathComponent
        let path = PluginCatalog.searchPath(explicit: globals.pluginFolders, environment: ProcessInfo.processInfo.environment,
                                            executableFolder: executableFolder)
        return PluginDiscovery(searchPath: path, quietFolders: executableFolder.map { [$0] } ?? [])
    }

    /// Every plugin, each loaded in a worker process: the first good library of each name in
    /// search order; the ones that fail are reported and skipped.
    static func describeAll(_ discovery: PluginDiscovery) -> [PluginDescriber.Description] {
        var chosen: [String: PluginDescriber.Description] = [:]
        var failed: [String: PluginDescriber.Failure] = [:]
        var listed: [PluginDescriber.Description] = []
        for candidate in discovery.candidates {
            if let taken = chosen[candidate.name] {
                warn("plugin \(candidate.name) found twice: using \(taken.path), ignoring \(candidate.path)")
                continue
            }
            switch PluginDescriber.describe(candidate) {
            case .success(let description):
                if let earlier = failed[candidate.name] { warn("using \(candidate.path) for \(candidate.name): \(earlier.path) failed to load") }
                chosen[candidate.name] = description
                listed.append(description)
            case .failure(let failure):
                if failure.notAPlugin && candidate.quiet { continue }
                warn("skipped \(failure.message)\n  hint: \(failure.hint)")
                if failed[candidate.name] == nil { failed[candidate.name] = failure }
            }
        }
        return listed
    }

    /// The plugin a command names: the first library of that name on the search path that loads
    /// (in a worker process); a failed earlier one is named in a warning.
    static func choose(_ name: String, in discovery: PluginDiscovery, helpTopic: [String] = []) -> Result<PluginDescriber.Description, HostError> {
        choose(name, in: discovery) { PluginDescriber.describe($0, helpTopic: helpTopic) }
    }

    /// The same, each candidate described by `describe` (a worker asked for something else than help).
    static func choose(_ name: String, in discovery: PluginDiscovery,
                       describe: (PluginDiscovery.Candidate) -> Swift.Result<PluginDescriber.Description, PluginDescriber.Failure>) -> Result<PluginDescriber.Description, HostError> {
        let candidates = discovery.candidates(named: name)
        guard !candidates.isEmpty else {
            let names = discovery.names
            return .failure(HostError("no plugin named '\(name)'" + (names.isEmpty ? "" : "; plugins are " + names.joined(separator: ", ")),
                                      hint: "run `host list`; plugins are lib<Name>.so files in --plugins DIR, $HOST_PLUGIN_PATH, beside the host executable or in ./Plugins/"))
        }
        var failures: [PluginDescriber.Failure] = []
        for candidate in candidates {
            switch describe(candidate) {
            case .success(let description):
                if let first = failures.first {
                    warn("\(first.message)\n  using \(candidate.path) instead of \(first.path)")
                }
                return .success(description)
            case .failure(let failure):
                failures.append(failure)
            }
        }
        let first = failures[0]
        return .failure(HostError(first.message, hint: first.hint))
    }

    /// The plugin and experiment a command names; the first experiment when none is named.
    static func find(_ name: String, experiment: String?, in catalog: PluginCatalog) -> Result<(LoadedPlugin, Experiment), HostError> {
        guard let loaded = catalog.plugin(named: name) else {
            if let failure = catalog.failure(named: name) {
                return .failure(HostError(failure.message, hint: failure.hint))
            }
            let names = catalog.plugins.map { $0.plugin.name }
            return .failure(HostError("no plugin named '\(name)'" + (names.isEmpty ? "" : "; plugins are " + names.joined(separator: ", ")),
                                      hint: "run `host list`; plugins are lib<Name>.so files in ./Plugins/, $HOST_PLUGIN_PATH or --plugins DIR"))
        }
        let experiments = loaded.plugin.experiments
        guard let chosen = experiment.map({ e in experiments.first { $0.name == e } }) ?? experiments.first else {
            if experiments.isEmpty {
                return .failure(HostError("plugin \(loaded.plugin.name) declares no experiments", hint: "this is a bug in the plugin"))
            }
            return .failure(HostError("\(loaded.plugin.name) has no experiment '\(experiment ?? "")'; its experiments are "
                                      + experiments.map(\.name).joined(separator: ", "), hint: "see `host help \(loaded.plugin.name)`"))
        }
        return .success((loaded, chosen))
    }

    static func outcomeJSON(_ o: RunOutcome) -> JSON {
        var fields: [(String, JSON)] = [
            ("plugin", .string(o.plugin)), ("experiment", .string(o.experiment)), ("run_folder", .string(o.folder)),
            ("status", .string(o.status.rawValue)), ("seconds", .number((o.seconds * 1000).rounded() / 1000)),
            ("metrics", .object(o.finals.map { ($0.0, .finite($0.1)) })),
        ]
        if let error = o.error { fields.append(("error", .string(error.message))) }
        return .object(fields)
    }

    static func listJSON(_ plugins: [LoadedPlugin]) -> JSON {
        .array(plugins.map { loaded in
            let p = loaded.plugin
            return .object([
                ("name", .string(p.name)), ("version", .string(p.version)), ("summary", .string(p.summary)), ("library", .string(loaded.path)),
                ("datasets", .array(p.datasets.map { .object([("name", .string($0.name)), ("source", .string($0.source.label)), ("description", .string($0.description))]) })),
                ("experiments", .array(p.experiments.map { e in .object([
                    ("name", .string(e.name)), ("summary", .string(e.summary)), ("evaluate", .bool(e.evaluate != nil)),
                    ("options", .array(e.options.map { .object([("name", .string($0.name)), ("type", .string($0.typeName)),
                                                                ("allowed", .string($0.allowedDescription)),
                                                                ("default", $0.defaultValue.map { .string($0.description) } ?? .null),
                                                                ("help", .string($0.help))]) })),
                    ("metrics", .array(e.metrics.map { .object([("name", .string($0.name)), ("unit", .string($0.unit)), ("better", .string($0.goal.rawValue))]) })),
                    ("grid", e.grid.map(gridJSON) ?? .null),
                ]) })),
            ])
        })
    }

    /// A named grid as `host list --json` shows it: the experiment its points run, each axis's
    /// option with its values or the option they come from, and the option counting the seeds.
    static func gridJSON(_ grid: ExperimentGrid) -> JSON {
        .object([("experiment", .string(grid.experiment)),
                 ("axes", .array(grid.axes.map { axis in
                     switch axis.values {
                     case .fixed(let values): return .object([("option", .string(axis.option)), ("values", .array(values.map { .string($0) }))])
                     case .option(let name): return .object([("option", .string(axis.option)), ("values_from", .string(name))])
                     }
                 })),
                 ("seeds_from", grid.seedsOption.map { .string($0) } ?? .null)])
    }

    /// Whether errors are also printed as a JSON object on stdout (`--json` anywhere on the line).
    nonisolated(unsafe) static var errorsAsJSON = false

    /// Prints `error` (message and hint on stderr; with `--json` also one object on stdout,
    /// `{"status": "error", "error": {"message", "hint", "exit_code"}}`) and returns its exit code.
    static func report(_ error: HostError) -> Int32 {
        warn("error: \(error.message)\n  hint: \(error.hint)", prefix: "host: ")
        if errorsAsJSON {
            print(JSON.object([("status", .string("error")),
                               ("error", .object([("message", .string(error.message)), ("hint", .string(error.hint)),
                                                  ("exit_code", .number(Double(error.exitCode)))]))]).text())
        }
        return error.exitCode
    }

    static func warn(_ message: String, prefix: String = "host: warning: ") {
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }

    /// The running executable's path, from /proc/self/exe.
    static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(cString: buffer) : nil
    }
}

extension Command {
    /// Whether the command may call the engine's kernels (and so needs a valid HOST_KERNELS).
    var runsKernels: Bool {
        switch self {
        case .run, .eval, .bench, .verifyOps, .list: return true
        case .help, .version, .report, .fetch, .newPlugin, .sweep: return false
        }
    }
}
