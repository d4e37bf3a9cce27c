import Foundation
import PluginAPI

/// Loads one plugin library in a worker process and brings back what `host list` and
/// `host help` show, so that a library that crashes, hangs or exits while loading is reported
/// and skipped instead of taking the host down.
public enum PluginDescriber {
    /// What a plugin that loaded said about itself.
    public struct Description {
        public var name: String
        public var path: String
        /// Its entry in `host list`.
        public var listText: String
        /// Its entry in `host list --json`.
        public var listJSON: String
        /// The help asked for (`host help NAME [EXPERIMENT]`): its text, or why there is none
        /// (an experiment the plugin does not have).
        public var help: Swift.Result<String, HostError>?
        /// For `host sweep` of a named grid (`describe(_:grid:)`): its points, or why the
        /// options do not make any; nil when the experiment is no named grid.
        public var grid: Swift.Result<GridExpansion, HostError>? = nil
    }

    /// A named grid's points as `host sweep` runs them: the experiment each point runs, the
    /// axes with their values, the seeds, and the options the user gave that go to every point.
    public struct GridExpansion: Equatable {
        /// The grid experiment (`sweep`).
        public var name: String
        /// The point experiment (`train`).
        public var experiment: String
        /// The grid's axes with their values for the options given.
        public var axes: [SweepPlan.Axis]
        /// Every combination's seeds: --seed, --seed + 1, ...
        public var seeds: [UInt64]
        /// The options given that the grid passes to every point, as typed.
        public var passed: [String]
    }

    /// Its experiments as `host list --json` gives them (name, options with name and type, ...),
    /// for the host's own uses of the declarations (completion, checking a sweep).
    static func experiments(_ description: Description) -> [[String: Any]] {
        // The plugin's entry of `host list --json`: a list holding its object.
        let parsed = try? JSONSerialization.jsonObject(with: Data(description.listJSON.utf8))
        let object = (parsed as? [[String: Any]])?.first ?? parsed as? [String: Any]
        return object?["experiments"] as? [[String: Any]] ?? []
    }

    /// Why a library could not be described.
    public struct Failure: Error {
        public var path: String
        public var message: String
        public var hint: String
        /// Not a plugin at all, in a folder where other libraries are expected.
        public var notAPlugin: Bool
    }

    /// Seconds a library may take to load before it is stopped (`HOST_PLUGIN_LOAD_TIMEOUT`).
    static var loadTimeout: Double {
        ProcessInfo.processInfo.environment["HOST_PLUGIN_LOAD_TIMEOUT"].flatMap(Double.init) ?? 10
    }

    /// Loads `candidate` in a worker process. `helpTopic` is `[name]` or `[name, experiment]`
    /// for `host help`.
    public static func describe(_ candidate: PluginDiscovery.Candidate, helpTopic: [String] = []) -> Swift.Result<Description, Failure> {
        describe(candidate, request: ["help"] + helpTopic)
    }

    /// Loads `candidate` in a worker process and, when `experiment` (nil: the plugin's first) is
    /// a named grid, expands it for the experiment options `tokens` and the run's `seed`
    /// (`Description.grid`), with the plugin's own declarations.
    public static func describe(_ candidate: PluginDiscovery.Candidate, grid experiment: String?, tokens: [String], seed: UInt64) -> Swift.Result<Description, Failure> {
        describe(candidate, request: ["sweep", gridRequest, candidate.name] + (experiment.map { [$0] } ?? []) + tokens + ["--seed", String(seed)])
    }

    /// The worker's `host sweep` word for "expand the named grid".
    static let gridRequest = "__grid"

    static func describe(_ candidate: PluginDiscovery.Candidate, request: [String]) -> Swift.Result<Description, Failure> {
        let path = candidate.path
        let result: WorkerProcess.Result
        do {
            result = try WorkerProcess.run(arguments: request, environment: ["HOST_WORKER": "describe", "HOST_WORKER_PLUGIN": path],
                                           relayStdout: false, relayStderr: { _ in }, timeout: loadTimeout)
        } catch let error as HostError {
            return .failure(Failure(path: path, message: error.message, hint: error.hint, notAPlugin: false))
        } catch {
            return .failure(Failure(path: path, message: "\(error)", hint: "", notAPlugin: false))
        }
        // The last line is the worker's answer (a plugin may have printed something before it).
        let lastLine = result.stdout.split(separator: UInt8(ascii: "\n")).last.map { Data($0) } ?? Data()
        let object = (try? JSONSerialization.jsonObject(with: lastLine)) as? [String: Any]
        if let object, result.ending == .exited(0) {
            if object["ok"] as? Bool == true, let name = object["name"] as? String, let listText = object["list_text"] as? String,
               let listJSON = object["list_json"] as? String {
                var help: Swift.Result<String, HostError>?
                if let text = object["help"] as? String {
                    help = .success(text)
                } else if let message = object["help_error"] as? String {
                    help = .failure(HostError(message, hint: object["help_hint"] as? String ?? ""))
                }
                var description = Description(name: name, path: path, listText: listText, listJSON: listJSON, help: help)
                if let grid = object["grid"] as? [String: Any] { description.grid = GridExpansion.read(grid) }
                return .success(description)
            }
            return .failure(Failure(path: path, message: object["message"] as? String ?? "cannot load \(path)", hint: object["hint"] as? String ?? "",
                                    notAPlugin: object["not_a_plugin"] as? Bool ?? false))
        }
        let stderr = StderrTail(result.stderr)
        let tail = stderr.summary
        let what: String
        switch result.ending {
        case .exited where stderr.sanitizerReport != nil: what = "crashed while loading"
        case .exited(let code): what = "exited with status \(code) while loading (its code calls exit()?)"
        case .timedOut(let seconds): what = "did not finish loading within \(Int(seconds)) s (it hangs?) and was stopped"
        case .signalled: what = "crashed while loading: it \(result.ending.description)"
        }
        return .failure(Failure(path: path, message: "\(path) \(what)" + (tail.isEmpty ? "" : ": \(tail)"),
                                hint: "the plugin's load-time code (its factory or a library constructor) is at fault; rebuild or remove the file",
                                notAPlugin: false))
    }

    /// The worker's side: loads `path` in this process and prints one JSON object on stdout.
    static func workerMain(path: String, command: Command, seed: UInt64) -> Int32 {
        func fail(_ message: String, _ hint: String, notAPlugin: Bool = false) -> Int32 {
            print(JSON.object([("ok", .bool(false)), ("message", .string(message)), ("hint", .string(hint)),
                               ("not_a_plugin", .bool(notAPlugin))]).text())
            return 0
        }
        let loaded: LoadedPlugin
        switch PluginCatalog.load(path: path) {
        case .success(let l): loaded = l
        case .failure(let failure):
            if case .missingSymbol = failure { return fail(failure.message, failure.hint, notAPlugin: true) }
            return fail(failure.message, failure.hint)
        }
        let plugin = loaded.plugin
        var fields: [(String, JSON)] = [
            ("ok", .bool(true)), ("name", .string(plugin.name)), ("list_text", .string(HelpText.list([loaded]))),
            ("list_json", .string(HostCommand.listJSON([loaded]).text())),
        ]
        if case .help(let topic) = command, !topic.isEmpty {
            switch HostCommand.find(topic[0], experiment: topic.count > 1 ? topic[1] : nil, in: PluginCatalog(loaded: [loaded])) {
            case .success(let (_, experiment)):
                if topic.count > 1 {
                    let isDefault = plugin.experiments.first?.name == experiment.name
                    fields.append(("help", .string(HelpText.experiment(experiment, plugin: plugin.name, isDefault: isDefault))))
                } else {
                    fields.append(("help", .string(HelpText.plugin(plugin))))
                }
            case .failure(let error):
                fields.append(("help_error", .string(error.message)))
                fields.append(("help_hint", .string(error.hint)))
            }
        }
        if case .sweep(let arguments) = command, arguments.count >= 2, arguments[0] == gridRequest {
            let named = arguments.count > 2 && !arguments[2].hasPrefix("-") ? arguments[2] : nil
            let experiments = plugin.experiments
            if let experiment = named.map({ name in experiments.first { $0.name == name } }) ?? experiments.first, let grid = experiment.grid {
                let tokens = Array(arguments.dropFirst(named == nil ? 2 : 3))
                fields.append(("grid", GridExpansion.expand(grid, of: experiment, plugin: plugin.name, tokens: tokens, seed: seed)))
            }
        }
        print(JSON.object(fields).text())
        return 0
    }
}

extension PluginDescriber.GridExpansion {
    /// In the worker: the grid of `experiment` for the options `tokens` (parsed against the
    /// experiment's declarations, as `host run` parses them) and `seed`, as JSON; or the error.
    static func expand(_ grid: ExperimentGrid, of experiment: Experiment, plugin: String, tokens: [String], seed: UInt64) -> JSON {
        let place = "\(plugin) \(experiment.name)"
        let fail = { (message: String, hint: String) in JSON.object([("error", .string(message)), ("hint", .string(hint))]) }
        let options: OptionValues
        switch ExperimentOptionParser.resolve(tokens, specs: experiment.options, where: place) {
        case .success(let o): options = o
        case .failure(let error): return fail(error.message, error.hint)
        }
        do {
            let values = try grid.axisValues(options), seeds = try grid.seedCount(options)
            guard seeds <= SweepPlan.maxPoints else {
                return fail("\(place) asks for \(seeds) seeds per combination, more than a sweep's \(SweepPlan.maxPoints) runs", "give fewer seeds")
            }
            let shaping = Set(grid.shapingOptions)
            let passed = ExperimentOptionParser.givenTokens(tokens, specs: experiment.options).filter { !shaping.contains($0.name) }.flatMap(\.tokens)
            return .object([("name", .string(experiment.name)), ("experiment", .string(grid.experiment)),
                            ("axes", .array(zip(grid.axes, values).map { .object([("name", .string($0.option)), ("values", .array($1.map { .string($0) }))]) })),
                            ("seeds", .array((0..<seeds).map { .string(String(seed &+ UInt64($0))) })),
                            ("passed", .array(passed.map { .string($0) }))])
        } catch let error as PluginError {
            return fail(error.message, error.hint)
        } catch {
            return fail("\(place): \(error)", "see `host help \(place)`")
        }
    }

    /// In the host: the worker's answer.
    static func read(_ object: [String: Any]) -> Swift.Result<Self, HostError> {
        if let message = object["error"] as? String { return .failure(HostError(message, hint: object["hint"] as? String ?? "")) }
        guard let name = object["name"] as? String, let experiment = object["experiment"] as? String, let axes = object["axes"] as? [[String: Any]],
              let seeds = (object["seeds"] as? [String])?.compactMap(UInt64.init), let passed = object["passed"] as? [String] else {
            return .failure(HostError("the worker's grid is not what the host expects", hint: "this is a bug in the host", exitCode: ExitCode.failure))
        }
        return .success(Self(name: name, experiment: experiment,
                             axes: axes.map { SweepPlan.Axis(name: $0["name"] as? String ?? "", values: $0["values"] as? [String] ?? []) },
                             seeds: seeds, passed: passed))
    }
}

/// The last lines a worker wrote on stderr, without the backtrace the Swift runtime adds.
struct StderrTail {
    /// The lines before any crash report.
    var lines: [String]
    /// The whole text, backtrace included.
    var text: String

    /// Markers of the Swift runtime's crash report (a failed check's message, the backtracer's).
    static let crashMarkers = ["Fatal error:", "*** Signal", "*** Program crashed", "💣", "*** Swift runtime failure", "Current stack trace:",
                               "ERROR: AddressSanitizer", "AddressSanitizer:DEADLYSIGNAL", "WARNING: ThreadSanitizer"]

    /// Whether a line starts (or is part of the first line of) a crash report.
    static func isCrashReportStart(_ line: Substring) -> Bool {
        crashMarkers.contains { line.contains($0) }
    }

    /// Where in `text` the crash report starts: the beginning of the line holding the first marker.
    static func crashReportStart(in text: String) -> String.Index? {
        guard let marker = crashMarkers.compactMap({ text.range(of: $0)?.lowerBound }).min() else { return nil }
        return text[..<marker].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
    }

    init(_ bytes: [UInt8], keep: Int = 20) {
        text = String(decoding: bytes, as: UTF8.self)
        var kept: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if Self.isCrashReportStart(line) { break }
            // Live progress redraws a line with carriage returns: keep the last state.
            let last = line.split(separator: "\r").last.map(String.init) ?? ""
            let trimmed = last.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { kept.append(trimmed) }
        }
        lines = Array(kept.suffix(keep))
    }

    /// The runtime's one-line reason ("Fatal error: Index out of range"), if it gave one.
    var fatalError: String? {
        if let report = sanitizerReport { return report }
        for line in text.split(separator: "\n") {
            for marker in ["Fatal error:", "*** Program crashed:", "*** Swift runtime failure:"] {
                guard let range = line.range(of: marker) else { continue }
                let reason = line[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: " *"))
                if !reason.isEmpty { return reason }
            }
        }
        return nil
    }

    /// The first backtrace frame in `library` (a file name such as `libParity.so`): "Foo.swift:12:5",
    /// naming the plugin's call site.
    /// Without debug information the frame's function and offset stand in for the file and line.
    func callSite(in library: String) -> String? {
        for line in text.split(separator: "\n") where line.contains(" in \(library)") {
            if let at = line.range(of: " in \(library) at ") {
                let site = line[at.upperBound...].trimmingCharacters(in: .whitespaces)
                if !site.isEmpty { return site }
            }
            // "  0      0x00007f... closure #2 in Foo.bar + 111 in libFoo.so"
            guard let address = line.range(of: "0x") else { continue }
            let rest = line[address.upperBound...].drop { $0.isHexDigit }
            let site = rest.trimmingCharacters(in: .whitespaces)
            if !site.isEmpty { return site }
        }
        return nil
    }

    /// A sanitizer's verdict ("AddressSanitizer: SEGV on unknown address ..."): in a build with
    /// sanitizers the worker exits 1 after its report instead of dying of the signal.
    var sanitizerReport: String? {
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: "ERROR: AddressSanitizer: ") ?? line.range(of: "ERROR: ThreadSanitizer: ") else { continue }
            return String(line[line.index(range.lowerBound, offsetBy: 7)...]).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// One line for a message: the runtime's reason, else the last line the worker wrote.
    var summary: String { fatalError ?? lines.last ?? "" }
}
