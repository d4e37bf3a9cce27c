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
        let path = candidate.path
        let result: WorkerProcess.Result
        do {
            result = try WorkerProcess.run(arguments: ["help"] + helpTopic, environment: ["HOST_WORKER": "describe", "HOST_WORKER_PLUGIN": path],
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
                return .success(Description(name: name, path: path, listText: listText, listJSON: listJSON, help: help))
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
    static func workerMain(path: String, command: Command) -> Int32 {
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
        print(JSON.object(fields).text())
        return 0
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
