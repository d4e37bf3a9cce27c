import Foundation
import PluginAPI

/// The `host` command: parses argv, loads plugins and dispatches. Returns the exit code.
public enum HostCommand {
    public static func main(_ argv: [String]) -> Int32 {
        let arguments = Array(argv.dropFirst())
        switch ArgumentParser.parse(arguments) {
        case .failure(let error):
            return report(error)
        case .success(let (globals, command)):
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
        let catalog = loadCatalog(globals)
        for warning in catalog.warnings { warn(warning) }
        switch command {
        case .list:
            for (_, failure) in catalog.failures { warn("skipped \(failure.message)\n  hint: \(failure.hint)") }
            if globals.json {
                print(listJSON(catalog.plugins).text())
            } else {
                print(HelpText.list(catalog.plugins), terminator: "")
            }
            return .success(ExitCode.success)
        case .help(let topic):
            return find(topic[0], experiment: topic.count > 1 ? topic[1] : nil, in: catalog).map { loaded, experiment in
                if topic.count > 1 {
                    let isDefault = loaded.plugin.experiments.first?.name == experiment.name
                    print(HelpText.experiment(experiment, plugin: loaded.plugin.name, isDefault: isDefault), terminator: "")
                } else {
                    print(HelpText.plugin(loaded.plugin), terminator: "")
                }
                return ExitCode.success
            }
        case .run(let name, let experimentName, let tokens), .eval(let name, let experimentName, _, let tokens):
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
        case .version, .bench, .verifyOps, .report, .fetch:
            return .success(ExitCode.success)
        }
    }

    static func loadCatalog(_ globals: GlobalOptions) -> PluginCatalog {
        let executableFolder = (executablePath() as NSString?)?.deletingLastPathComponent
        let path = PluginCatalog.searchPath(explicit: globals.pluginFolders, environment: ProcessInfo.processInfo.environment,
                                            executableFolder: executableFolder)
        return PluginCatalog(searchPath: path, quietFolders: executableFolder.map { [$0] } ?? [])
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
                ]) })),
            ])
        })
    }

    static func report(_ error: HostError) -> Int32 {
        warn("error: \(error.message)\n  hint: \(error.hint)", prefix: "host: ")
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
