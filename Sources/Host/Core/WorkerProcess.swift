import Foundation
import PluginAPI

/// A child process of this same `host` executable that does one piece of work a plugin's code
/// runs in (loading a plugin to describe it, or running an experiment), so that whatever that
/// code does (crash, hang, `exit()`) cannot take the `host` the user started down with it.
///
/// The child runs in its own process group (a terminal's Ctrl-C reaches only the supervisor,
/// which forwards it once), with stdout and stderr piped back and relayed, and a third pipe on
/// descriptor 3 for `Supervision` events.
final class WorkerProcess {
    /// How the child ended.
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Killed by the supervisor because it ran past its time limit.
        case timedOut(seconds: Double)

        /// "killed by signal 11 (SIGSEGV, segmentation fault)", "exited with status 0".
        var description: String {
            switch self {
            case .exited(let code): return "exited with status \(code)"
            case .signalled(let signal): return "was killed by signal \(signal) (\(WorkerProcess.signalName(signal)))"
            case .timedOut(let seconds): return "did not finish within \(Int(seconds)) s and was stopped"
            }
        }
    }

    /// What the child wrote and how it ended.
    struct Result {
        var ending: Ending
        var stdout: [UInt8]
        var stderr: [UInt8]
        var events: [(Supervision.Event, String)]
    }

    /// The child's pid while it runs, for the signal handlers (0 when none).
    nonisolated(unsafe) static var runningChild: pid_t = 0
    /// Signals received while a child ran (the handler forwards the first as SIGINT and kills
    /// the child on the second).
    nonisolated(unsafe) static var forwardedSignals: sig_atomic_t = 0

    /// At most this much of the child's stderr is kept (the rest is still relayed).
    static let keptStderrBytes = 1 << 20
    /// Seconds the pipes are still read after the worker has ended (see `run`).
    static let lingerAfterExit = 2.0

    /// Runs `/proc/self/exe` with `arguments` and extra environment; relays its stdout and
    /// stderr as they come when asked to (`relayStderr` decides per chunk), gives each event
    /// to `onEvent`, and waits for it to end (at most `timeout` seconds when given).
    static func run(arguments: [String], environment: [String: String], relayStdout: Bool,
                    relayStderr: @escaping ([UInt8]) -> Void, timeout: Double? = nil,
                    onEvent: (Supervision.Event, String) -> Void = { _, _ in }) throws -> Result {
        let executable = HostCommand.executablePath() ?? CommandLine.arguments[0]
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], eventPipe: [Int32] = [-1, -1]
        func closeOnExec(_ fds: [Int32]) -> Bool { fds.allSatisfy { fcntl($0, F_SETFD, FD_CLOEXEC) == 0 } }
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, pipe(&eventPipe) == 0,
              closeOnExec(outPipe + errPipe + eventPipe) else {
            throw HostError("cannot create pipes for the worker process: \(String(cString: strerror(errno)))", hint: "too many open files? close some programs and retry", exitCode: ExitCode.failure)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_adddup2(&actions, eventPipe[1], 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        env["HOST_SUPERVISOR_FD"] = "3"
        if env["SWIFT_BACKTRACE"] == nil {
            // A crash prints a short backtrace with file:line, which names the plugin's call site.
            env["SWIFT_BACKTRACE"] = "enable=yes,interactive=no,color=no,registers=none,images=none,limit=40,top=4,threads=crashed,output-to=stderr"
        }
        let argv = [executable] + arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cArgs { free(p) }; for p in cEnv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &cArgs, &cEnv)
        for fd in [outPipe[1], errPipe[1], eventPipe[1]] { close(fd) }
        guard spawned == 0 else {
            for fd in [outPipe[0], errPipe[0], eventPipe[0]] { close(fd) }
            throw HostError("cannot start the worker process \(executable): \(String(cString: strerror(spawned)))", hint: "check that the host executable is still there", exitCode: ExitCode.failure)
        }
        runningChild = pid
        defer { runningChild = 0 }

        var result = Result(ending: .exited(0), stdout: [], stderr: [], events: [])
        var eventBuffer: [UInt8] = []
        var open: [Int32] = [outPipe[0], errPipe[0], eventPipe[0]]
        let started = Date()
        var timedOut = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        // The worker's exit status once reaped, and when. A process the worker started (the
        // Swift runtime's crash backtracer) inherits the pipes and can outlive it, even hang;
        // the pipes then never close, so after the worker has ended they are read for at most
        // `lingerAfterExit` more seconds; then what is left of its process group is killed (a
        // process that made a group of its own is left alone) and the pipes are closed.
        var reaped: Int32?, endedAt = Date()
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var wait: Int32 = 1000
            if let timeout {
                let left = timeout - Date().timeIntervalSince(started)
                if left <= 0 { timedOut = true; kill(pid, SIGKILL); break }
                wait = Int32(min(left, 1) * 1000) + 1
            }
            if reaped == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { reaped = status; endedAt = Date() }
            } else if Date().timeIntervalSince(endedAt) > lingerAfterExit {
                kill(-pid, SIGKILL)
                break
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 { if errno == EINTR { continue }; break }
            for entry in fds where entry.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { close(entry.fd); open.removeAll { $0 == entry.fd }; continue }
                let bytes = Array(chunk[0..<n])
                switch entry.fd {
                case outPipe[0]:
                    if relayStdout { FileHandle.standardOutput.write(Data(bytes)) } else { result.stdout += bytes }
                case errPipe[0]:
                    relayStderr(bytes)
                    if result.stderr.count < keptStderrBytes { result.stderr += Array(bytes.prefix(keptStderrBytes - result.stderr.count)) }
                default:
                    eventBuffer += bytes
                    while let newline = eventBuffer.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: eventBuffer[..<newline], as: UTF8.self)
                        eventBuffer.removeSubrange(...newline)
                        if let event = Supervision.parse(Substring(line)) {
                            result.events.append(event)
                            onEvent(event.0, event.1)
                        }
                    }
                }
            }
        }
        for fd in open { close(fd) }
        var status: Int32 = reaped ?? 0
        if reaped == nil { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
        if timedOut {
            result.ending = .timedOut(seconds: timeout ?? 0)
        } else if status & 0x7f == 0 {
            result.ending = .exited((status >> 8) & 0xff)
        } else {
            result.ending = .signalled(status & 0x7f)
        }
        return result
    }

    /// "SIGSEGV, segmentation fault" for 11.
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGABRT: "SIGABRT", SIGFPE: "SIGFPE",
                                      SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGHUP: "SIGHUP", SIGTRAP: "SIGTRAP",
                                      SIGPIPE: "SIGPIPE"]
        let description = strsignal(signal).map { String(cString: $0).lowercased() } ?? "unknown signal"
        return (names[signal].map { $0 + ", " } ?? "") + description
    }

    /// While a child runs, SIGINT, SIGTERM and SIGHUP ask it to stop at its next step (sent on
    /// as SIGINT, which the worker treats as Ctrl-C); a second one kills it.
    static func installSignalForwarding() {
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s) { _ in
                WorkerProcess.forwardedSignals += 1
                let child = WorkerProcess.runningChild
                guard child > 0 else { return }
                if WorkerProcess.forwardedSignals >= 2 {
                    kill(child, SIGKILL)
                    let note: StaticString = "\nhost: stopping now\n"
                    _ = write(2, note.utf8Start, note.utf8CodeUnitCount)
                } else {
                    kill(child, SIGINT)
                }
            }
        }
    }
}
