import Foundation
import PluginAPI

/// `host run` and `host eval` as the user's process sees them: the experiment runs in a worker
/// process (this executable again, with `HOST_WORKER=run`), and whatever ends that process
/// (a crash, a failed engine check, `exit()` in plugin code, a kill) becomes a `failed`
/// summary with the cause, never a lost run (docs/ARCHITECTURE.md, "Supervised runs").
enum RunSupervisor {
    /// Runs `arguments` (the user's command line) with the plugin at `path`; returns the exit code.
    static func run(arguments: [String], pluginPath: String, plugin: String, globals: GlobalOptions) -> Int32 {
        WorkerProcess.installSignalForwarding()
        var folder: String?
        var reportStarted = false
        var pending: [UInt8] = []
        let started = Date()
        let result: WorkerProcess.Result
        do {
            result = try WorkerProcess.run(
                arguments: arguments,
                environment: ["HOST_WORKER": "run", "HOST_WORKER_PLUGIN": pluginPath, "HOST_PROGRESS_LIVE": TerminalProgress.drawsLive() ? "1" : "0",
                              "HOST_TERMINAL_COLUMNS": String(TerminalProgress.terminalColumns())],
                relayStdout: true,
                relayStderr: { bytes in
                    // Relay what the worker says line by line (a progress line ends in a carriage
                    // return), up to the runtime's crash report, which goes to crash.log instead.
                    guard !reportStarted else { return }
                    pending += bytes
                    while let end = pending.firstIndex(where: { $0 == 10 || $0 == 13 }) {
                        let line = Array(pending[...end])
                        pending.removeSubrange(...end)
                        if StderrTail.isCrashReportStart(Substring(String(decoding: line, as: UTF8.self))) {
                            reportStarted = true
                            return
                        }
                        FileHandle.standardError.write(Data(line))
                    }
                },
                onEvent: { event, text in if event == .folder { folder = text } })
        } catch let error as HostError {
            return HostCommand.report(error)
        } catch {
            return HostCommand.report(HostError("\(error)", hint: "", exitCode: ExitCode.failure))
        }
        if !reportStarted && !pending.isEmpty { FileHandle.standardError.write(Data(pending)) }
        if result.events.contains(where: { $0.0 == .done }), case .exited(let code) = result.ending { return code }

        let tail = StderrTail(result.stderr)
        let library = (pluginPath as NSString).lastPathComponent
        let interrupted = WorkerProcess.forwardedSignals > 0
            && (result.ending == .signalled(SIGKILL) || result.ending == .signalled(SIGINT) || result.ending == .exited(ExitCode.interrupted))
        guard let folder else {
            // Nothing was started: the worker refused the command line (its message is relayed
            // already) or died while loading the plugin.
            if case .exited(let code) = result.ending, code != 0 { return code }
            if interrupted { return ExitCode.interrupted }
            return HostCommand.report(HostError("the worker process for \(plugin) \(result.ending.description) before the run started"
                                                + (tail.summary.isEmpty ? "" : ": \(tail.summary)"),
                                                hint: "\(pluginPath) is at fault; rebuild it or remove it"))
        }

        var cause: String
        if let engineError = result.events.last(where: { $0.0 == .error })?.1 {
            cause = engineError
        } else if let report = tail.sanitizerReport {
            cause = "the experiment process was stopped by \(report)"
        } else if case .exited(let code) = result.ending {
            cause = "the experiment process exited with status \(code) without finishing the run (plugin code called exit()?)"
        } else {
            cause = "the experiment process \(result.ending.description)" + (tail.fatalError.map { ": \($0)" } ?? "")
        }
        let site = tail.callSite(in: library)
        if let site { cause += "; called from \(site)" }
        let status: RunStatus = interrupted ? .interrupted : .failed
        let failure = SupervisedFailure(folder: folder, status: status, cause: cause, started: started, result: result, tail: tail)
        let wroteCrashLog = failure.write()
        let hint = interrupted ? "stopped at once by a second signal; the metrics cover the steps logged before"
            : "the plugin \(plugin) (\(pluginPath)) stopped the run" + (wroteCrashLog ? "; its backtrace is in \(folder)/crash.log" : "")
        if !globals.quiet || !interrupted {
            HostCommand.warn("\(status == .failed ? "failed" : "interrupted"): \(cause)\n  hint: \(hint)\n  what was done is in \(folder)", prefix: "host: ")
        }
        let outcome = RunOutcome(plugin: plugin, experiment: failure.experiment, folder: folder, status: status,
                                 seconds: Date().timeIntervalSince(started), finals: failure.finals, metricSpecs: [],
                                 error: PluginError.failure(cause, hint: hint))
        print(globals.json ? HostCommand.outcomeJSON(outcome).text() : HelpText.outcome(outcome), terminator: globals.json ? "\n" : "")
        return interrupted ? ExitCode.interrupted : ExitCode.failure
    }
}

/// The run folder of a worker that died: its summary, its metrics so far and its crash report.
struct SupervisedFailure {
    var folder: String
    var status: RunStatus
    var cause: String
    var started: Date
    var result: WorkerProcess.Result
    /// The worker's stderr, read once.
    var tail: StderrTail

    /// The experiment's name, from the `config.json` the worker wrote.
    var experiment: String {
        let file = (folder as NSString).appendingPathComponent("config.json")
        let config = FileManager.default.contents(atPath: file).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
        return config?["experiment"] as? String ?? "?"
    }

    /// The final metrics the worker had sent (a later value of a name replaces an earlier one).
    var finals: [(String, Double)] {
        var out: [(String, Double)] = []
        for (event, text) in result.events where event == .final {
            guard let eq = text.lastIndex(of: "="), let value = Double(text[text.index(after: eq)...]) else { continue }
            let name = String(text[..<eq])
            if let i = out.firstIndex(where: { $0.0 == name }) { out[i].1 = value } else { out.append((name, value)) }
        }
        return out
    }

    /// The rows the worker had logged, as a metrics log.
    var metrics: MetricsLog {
        let log = MetricsLog()
        for (event, text) in result.events where event == .row {
            let cells = text.split(separator: "\t")
            // The first cell is `stepName=step` ("epoch=3").
            guard let first = cells.first, let eq = first.lastIndex(of: "="), let step = Int(first[first.index(after: eq)...]) else { continue }
            log.stepName = String(first[..<eq])
            let values: [(String, Double)] = cells.dropFirst().compactMap { cell in
                guard let eq = cell.lastIndex(of: "="), let v = Double(cell[cell.index(after: eq)...]) else { return nil }
                return (String(cell[..<eq]), v)
            }
            log.log(step: step, values)
        }
        return log
    }

    /// Writes `summary.json`, `metrics.csv` (when the worker had logged rows and not written it)
    /// and `crash.log` (everything the worker wrote on stderr, its crash report included);
    /// returns whether crash.log was written.
    func write() -> Bool {
        let path = { (name: String) in (self.folder as NSString).appendingPathComponent(name) }
        let fm = FileManager.default
        var problems: [String] = []
        let metrics = self.metrics
        if !metrics.rows.isEmpty && !fm.fileExists(atPath: path("metrics.csv")) {
            do { try AtomicFile.write(metrics.csv(), to: path("metrics.csv")) } catch { problems.append("\(error)") }
        }
        var wroteCrashLog = false
        if tail.text.count > tail.lines.joined(separator: "\n").count && !result.stderr.isEmpty {
            do { try AtomicFile.write(tail.text, to: path("crash.log")); wroteCrashLog = true } catch { problems.append("\(error)") }
        }
        let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0 != "summary.json" && !$0.hasPrefix(".") }.sorted()
        let summary = JSON.object([
            ("status", .string(status.rawValue)),
            ("started", .string(RunFolder.isoTime(started))),
            ("seconds", .number((Date().timeIntervalSince(started) * 1000).rounded() / 1000)),
            ("metrics", .object(finals.map { ($0.0, .finite($0.1)) })),
            ("error", .object([("kind", .string(status == .failed ? "crash" : "interrupted")), ("message", .string(cause)),
                               ("worker", .string(result.ending.description)),
                               ("stderr_tail", .array(tail.lines.map { .string($0) }))])),
            ("files", .array((files + ["summary.json"]).map { .string($0) })),
        ])
        do { try AtomicFile.write(summary.text(indent: 2) + "\n", to: path("summary.json")) } catch { problems.append("\(error)") }
        if !problems.isEmpty { HostCommand.warn("could not complete \(folder): " + problems.joined(separator: "; ")) }
        return wroteCrashLog
    }
}
