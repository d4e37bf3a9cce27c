import Foundation
import XCTest

/// `host sweep --slurm` against a real Slurm: scripts/slurm-local.sh starts a single-node
/// cluster on this machine (Debian's slurm-wlm and munge; root needed). The sweep goes out as
/// one job array, one task is cancelled with scancel while it runs, status shows it, resume
/// resubmits only it, and every run's numbers equal `host run`'s. Skipped, saying why, where no
/// cluster can be started (not root, no apt); CI runs it.
final class SlurmSweepTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let stateFolder = TestSupport.temporaryFolder("slurm-state")
    var environment: [String: String] { ["SLURM_CONF": Self.stateFolder + "/slurm.conf"] }

    func slurm(_ arguments: [String]) throws -> TestSupport.Result {
        try TestSupport.run(Self.repository + "/scripts/slurm-local.sh", arguments, environment: ["SLURM_LOCAL_DIR": Self.stateFolder, "SLURM_LOCAL_PORT": "6917"])
    }

    func squeue(_ arguments: [String]) throws -> String {
        try TestSupport.run("/usr/bin/env", ["squeue"] + arguments, environment: environment).stdout
    }

    func testAJobArrayWithACancelledTaskResumesToFourCompletedRuns() throws {
        guard getuid() == 0 else { throw XCTSkip("starting the local Slurm cluster needs root") }
        let up = try slurm(["up"])
        guard up.status == 0 else { throw XCTSkip("scripts/slurm-local.sh up failed: \(up.stderr)") }
        defer { _ = try? slurm(["down"]) }
        let work = TestSupport.temporaryFolder("slurm-sweep")
        let options = ["--iters", "150000", "--log-every", "5000"]
        let submit = try TestSupport.host(["sweep", "Parity", "train", "--grid", "d=5,10", "--seeds", "0,1"] + options
                                          + ["--slurm", "--max-running", "2", "--no-wait", "--out", "s"], in: work, environment: environment)
        XCTAssertEqual(submit.status, 0, submit.stderr)
        let sweep = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/s/sweep.json"))) as? [String: Any])
        let job = try XCTUnwrap(((sweep["slurm"] as? [String: Any])?["job_ids"] as? [String])?.first)
        let script = try String(contentsOfFile: work + "/s/slurm/submit-1.sh", encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --array=0,1,2,3%2"), script)

        // Cancel task 1 once its run has started.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try squeue(["-h", "-j", "\(job)_1", "-o", "%T"]).contains("RUNNING"),
               FileManager.default.fileExists(atPath: work + "/s/1-d5-seed1/summary.json") { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let cancel = try TestSupport.run("/usr/bin/env", ["scancel", "\(job)_1"], environment: environment)
        XCTAssertEqual(cancel.status, 0, cancel.stderr)
        while Date() < deadline.addingTimeInterval(120), !(try squeue(["-h", "-j", job, "-o", "%i"]).isEmpty) {
            Thread.sleep(forTimeInterval: 0.5)
        }
        let status = try TestSupport.host(["sweep", "status", "s"], in: work, environment: environment)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("4 runs: 1 interrupted, 3 completed") || status.stdout.contains("4 runs: 1 failed, 3 completed"), status.stdout)
        XCTAssertFalse(status.stdout.contains("1-d5-seed1   5    1       completed"), status.stdout)

        let resume = try TestSupport.host(["sweep", "resume", "s"], in: work, environment: environment)
        XCTAssertEqual(resume.status, 0, resume.stderr)
        XCTAssertTrue(resume.stderr.contains("resuming 1 of 4 runs"), resume.stderr)
        let again = try TestSupport.host(["sweep", "status", "s"], in: work, environment: environment)
        XCTAssertTrue(again.stdout.contains("4 runs: 4 completed"), again.stdout)
        let script2 = try String(contentsOfFile: work + "/s/slurm/submit-2.sh", encoding: .utf8)
        XCTAssertTrue(script2.contains("#SBATCH --array=1%2"), "only the cancelled point is resubmitted: \(script2)")

        // The same numbers as host run with the same options, and as the sweep on this machine.
        let single = try TestSupport.host(["run", "Parity", "train", "--d", "5", "--seed", "1"] + options + ["--out", "single", "--quiet"], in: work)
        XCTAssertEqual(single.status, 0, single.stderr)
        let csv = { (path: String) in try String(contentsOfFile: work + "/" + path, encoding: .utf8) }
        XCTAssertEqual(try csv("s/1-d5-seed1/metrics.csv"), try csv("single/metrics.csv"))
        let report = try TestSupport.host(["report", "s"], in: work)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(try csv("s/report.html").contains("4 runs"))
    }
    /// Ctrl-C while `host sweep --slurm` waits. Without a terminal nothing is asked: the tasks
    /// keep running and the line says how to follow them (resume refuses while they do). On a
    /// terminal (a pseudo-terminal here) the question names the tasks and jobs; a second Ctrl-C
    /// at the question exits at once, leaving them; "y" scancels the sweep's own jobs, and only
    /// those, and records it.
    func testCtrlCWhileWaitingAsksOnATerminalAndCancelsOnlyOnYes() throws {
        guard getuid() == 0 else { throw XCTSkip("starting the local Slurm cluster needs root") }
        let up = try slurm(["up"])
        guard up.status == 0 else { throw XCTSkip("scripts/slurm-local.sh up failed: \(up.stderr)") }
        var jobs: [String] = []
        defer {
            if !jobs.isEmpty { _ = try? TestSupport.run("/usr/bin/env", ["scancel"] + jobs, environment: environment) }
            _ = try? slurm(["down"])
        }
        let work = TestSupport.temporaryFolder("slurm-interrupt")
        // Runs long enough to be queued or running throughout; one task of each sweep at a time.
        let long = ["--iters", "50000000", "--log-every", "1000000", "--slurm", "--max-running", "1"]
        func active(_ job: String) throws -> [String] {
            try squeue(["-h", "-r", "-j", job, "-o", "%T"]).split(separator: "\n").map(String.init)
                .filter { ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].contains($0) }
        }
        func job(of sweep: String) throws -> String {
            let description = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/\(sweep)/sweep.json"))) as? [String: Any])
            return try XCTUnwrap(((description["slurm"] as? [String: Any])?["job_ids"] as? [String])?.last)
        }

        // 1. No terminal: the named grid's four tasks keep running.
        let s = try Child(TestSupport.hostPath, ["sweep", "Parity", "sweep", "--ds", "5,10", "--seeds", "2", "--out", "s"] + long,
                          in: work, environment: environment, terminal: false)
        try s.waitFor("sweep: submitted Slurm job array")
        let first = try job(of: "s")
        jobs.append(first)
        s.interrupt()
        XCTAssertEqual(s.wait(), 130, s.stderr)
        XCTAssertTrue(s.stderr.contains("sweep: stopped waiting; Slurm job \(first) keeps running (4 tasks queued or running); `host sweep status s` follows them"),
                      s.stderr)
        XCTAssertFalse(s.stderr.contains("[y/N]"), "no question without a terminal: \(s.stderr)")
        XCTAssertEqual(try active(first).count, 4, "every task still queued or running")
        let resume = try TestSupport.host(["sweep", "resume", "s"], in: work, environment: environment)
        XCTAssertEqual(resume.status, 2, resume.stderr)
        XCTAssertTrue(resume.stderr.contains("4 tasks of the sweep's Slurm job \(first) are still queued or running"), resume.stderr)
        XCTAssertTrue(resume.stderr.contains("scancel \(first)"), resume.stderr)
        let status = try TestSupport.host(["sweep", "status", "s"], in: work, environment: environment)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("Parity train (the named grid Parity sweep --ds 5,10 --seeds 2"), status.stdout)
        XCTAssertTrue(status.stdout.contains("Slurm job array \(first)"), status.stdout)

        // 2. A terminal, and a second Ctrl-C at the question: out at once, the jobs left.
        let t = try Child(TestSupport.hostPath, ["sweep", "Parity", "train", "--grid", "d=5,10", "--out", "t"] + long,
                          in: work, environment: environment, terminal: true)
        try t.waitFor("sweep: submitted Slurm job array")
        let second = try job(of: "t")
        jobs.append(second)
        t.interrupt()
        try t.waitFor("sweep: cancel the 2 queued/running tasks of job \(second) with scancel? [y/N]")
        t.interrupt()
        XCTAssertEqual(t.wait(), 130, t.stderr)
        XCTAssertTrue(t.stderr.contains("host: stopped; the Slurm jobs are left as they are"), t.stderr)
        XCTAssertEqual(try active(second).count, 2)

        // 3. A terminal and "y": its own job cancelled and recorded, the others untouched.
        let u = try Child(TestSupport.hostPath, ["sweep", "Parity", "train", "--grid", "d=5,10,20", "--out", "u"] + long,
                          in: work, environment: environment, terminal: true)
        try u.waitFor("sweep: submitted Slurm job array")
        let third = try job(of: "u")
        jobs.append(third)
        u.interrupt()
        try u.waitFor("sweep: cancel the 3 queued/running tasks of job \(third) with scancel? [y/N]")
        u.answer("y")
        XCTAssertEqual(u.wait(), 130, u.stderr)
        XCTAssertTrue(u.stderr.contains("sweep: cancelled job \(third) with scancel; `host sweep resume u` submits the runs that did not complete again"), u.stderr)
        XCTAssertEqual(try active(third), [], "scancel ended every task of the sweep's job")
        XCTAssertEqual(try active(first).count, 4, "another sweep's job is not touched")
        XCTAssertEqual(try active(second).count, 2, "another sweep's job is not touched")
        let description = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/u/sweep.json"))) as? [String: Any])
        XCTAssertEqual((description["slurm"] as? [String: Any])?["cancelled_job_ids"] as? [String], [third])
        let cancelled = try TestSupport.host(["sweep", "status", "u"], in: work, environment: environment)
        XCTAssertTrue(cancelled.stdout.contains("cancelled at Ctrl-C: \(third)"), cancelled.stdout)
        XCTAssertFalse(cancelled.stdout.contains("completed"), cancelled.stdout)
    }
}

/// A `host` process the test talks to: its stderr collected as it comes, its stdin either
/// /dev/null or a pseudo-terminal the test types into.
final class Child: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = Data()
    private var terminal: (master: Int32, slave: Int32)?

    init(_ program: String, _ arguments: [String], in folder: String, environment: [String: String], terminal: Bool) throws {
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var env = ProcessInfo.processInfo.environment
        env["HOST_PLUGIN_PATH"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if terminal {
            guard let pair = Self.openPseudoTerminal() else { throw XCTSkip("no pseudo-terminal here") }
            self.terminal = pair
            process.standardInput = FileHandle(fileDescriptor: pair.slave, closeOnDealloc: false)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { handle.readabilityHandler = nil; return }
            self.lock.lock(); self.collected.append(data); self.lock.unlock()
        }
        try process.run()
    }

    /// A pseudo-terminal's two ends, from libc's posix_openpt, grantpt, unlockpt and ptsname
    /// (which Swift's Glibc module does not export, so they are looked up by name).
    static func openPseudoTerminal() -> (master: Int32, slave: Int32)? {
        typealias Call = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        guard let libc = dlopen(nil, RTLD_NOW), let openpt = dlsym(libc, "posix_openpt"), let grant = dlsym(libc, "grantpt"),
              let unlock = dlsym(libc, "unlockpt"), let name = dlsym(libc, "ptsname") else { return nil }
        let master = unsafeBitCast(openpt, to: Call.self)(O_RDWR | O_NOCTTY)
        guard master >= 0 else { return nil }
        guard unsafeBitCast(grant, to: Call.self)(master) == 0, unsafeBitCast(unlock, to: Call.self)(master) == 0,
              let path = unsafeBitCast(name, to: Name.self)(master) else { close(master); return nil }
        let slave = open(path, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { close(master); return nil }
        return (master, slave)
    }

    deinit {
        if process.isRunning { process.terminate() }
        if let terminal { close(terminal.master); close(terminal.slave) }
    }

    var stderr: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// Waits until stderr holds `text`.
    func waitFor(_ text: String, seconds: Double = 60) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !stderr.contains(text) {
            guard Date() < deadline, process.isRunning || stderr.contains(text) else {
                throw Failure(description: "no '\(text)' from host within \(Int(seconds)) s; it wrote: \(stderr)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func interrupt() { kill(process.processIdentifier, SIGINT) }

    /// Types `line` and Return on the terminal.
    func answer(_ line: String) {
        guard let terminal else { return }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBufferPointer { write(terminal.master, $0.baseAddress, $0.count) }
    }

    /// Waits for the exit (at most 90 s) and returns the status.
    func wait() -> Int32 {
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.2)   // the last of stderr
        return process.terminationStatus
    }

    struct Failure: Error, CustomStringConvertible { var description: String }
}
