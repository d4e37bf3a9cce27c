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
}
