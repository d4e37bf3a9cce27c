import Foundation
import HostKit
import XCTest

/// `host sweep` on this machine: the grid's points as ordinary runs, sweep.json, status, resume.
final class SweepCommandTests: XCTestCase {
    func plan(_ tokens: [String], seed: UInt64 = 0) throws -> SweepPlan {
        try SweepPlan.parse(plugin: "Parity", experiment: "train", tokens: tokens, defaultSeed: seed).get()
    }

    func testThePointsAreTheGridTimesTheSeedsFirstGridSlowest() throws {
        let sweep = try plan(["--grid", "d=5,10", "--grid=lr=0.1,0.01", "--seeds", "0..1", "--iters", "500", "--parallel", "3"])
        XCTAssertEqual(sweep.axes, [SweepPlan.Axis(name: "d", values: ["5", "10"]), SweepPlan.Axis(name: "lr", values: ["0.1", "0.01"])])
        XCTAssertEqual(sweep.fixed, ["--iters", "500"])
        XCTAssertEqual(sweep.parallel, 3)
        XCTAssertEqual(sweep.points.map(\.folder), [
            "0-d5-lr0.1-seed0", "1-d5-lr0.1-seed1", "2-d5-lr0.01-seed0", "3-d5-lr0.01-seed1",
            "4-d10-lr0.1-seed0", "5-d10-lr0.1-seed1", "6-d10-lr0.01-seed0", "7-d10-lr0.01-seed1"])
        XCTAssertEqual(sweep.runArguments(sweep.points[5], folder: "S/5", threads: 1, pluginFolders: ["P"]),
                       ["run", "Parity", "train", "--iters", "500", "--d", "10", "--lr", "0.1", "--seed", "1", "--threads", "1",
                        "--out", "S/5", "--quiet", "--plugins", "P"])
        XCTAssertEqual(try plan([], seed: 7).points.map(\.seed), [7], "no --seeds: the global --seed")
        XCTAssertEqual(try plan(["--grid", "d=" + (1...11).map(String.init).joined(separator: ",")]).points.first?.folder, "00-d1-seed0",
                       "indices padded to sort")
    }

    func testBadGridsAndSeedsAreRefusedSayingWhy() {
        func message(_ tokens: [String]) -> String {
            guard case .failure(let error) = SweepPlan.parse(plugin: "P", experiment: nil, tokens: tokens, defaultSeed: 0) else { return "accepted" }
            return error.message
        }
        XCTAssertTrue(message(["--grid", "d"]).contains("is not NAME=V1,V2"))
        XCTAssertTrue(message(["--grid", "d=5,,6"]).contains("an empty value"))
        XCTAssertTrue(message(["--grid", "d=5,5"]).contains("listed twice"))
        XCTAssertTrue(message(["--grid", "d=5", "--grid", "d=6"]).contains("given twice"))
        XCTAssertTrue(message(["--grid", "seed=1,2"]).contains("an option of every command"))
        XCTAssertTrue(message(["--grid", "d=5", "--d", "6"]).contains("both a grid axis and a fixed option"))
        XCTAssertTrue(message(["--seeds", "3..1"]).contains("not a list of seeds"))
        XCTAssertTrue(message(["--seeds", "1,x"]).contains("not a list of seeds"))
        XCTAssertTrue(message(["--parallel", "0"]).contains("--parallel"))
        XCTAssertTrue(message(["--grid", "a=" + (0..<200).map(String.init).joined(separator: ","), "--seeds", "0..99"]).contains("more than 10000"))
    }

    /// Four runs, two at a time: each an ordinary run folder with the numbers `host run` gives
    /// for the same options; status lists them; resume runs again only a run left unfinished.
    func testASweepRunsStatusAndResumes() throws {
        let work = TestSupport.temporaryFolder("sweep")
        let sweep = try TestSupport.host(["sweep", "Parity", "train", "--grid", "d=5,10", "--seeds", "0,1", "--iters", "600",
                                          "--log-every", "100", "--out", "s", "--parallel", "2"], in: work)
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        XCTAssertTrue(sweep.stderr.contains("sweep: 4/4 done, 0 failed, 0 running"), sweep.stderr)
        let folders = ["0-d5-seed0", "1-d5-seed1", "2-d10-seed0", "3-d10-seed1"]
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work + "/s").sorted(), (folders + ["logs", "sweep.json"]).sorted())
        let description = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/s/sweep.json"))) as? [String: Any])
        let points = try XCTUnwrap(description["points"] as? [[String: Any]])
        XCTAssertEqual(points.map { $0["status"] as? String }, Array(repeating: "completed", count: 4))
        XCTAssertEqual(points.map { ($0["options"] as? [String: String])?["d"] }, ["5", "5", "10", "10"])

        let single = try TestSupport.host(["run", "Parity", "train", "--d", "10", "--seed", "1", "--iters", "600", "--log-every", "100",
                                           "--out", "single", "--quiet"], in: work)
        XCTAssertEqual(single.status, 0, single.stderr)
        let csv = { (path: String) in try String(contentsOfFile: work + "/" + path, encoding: .utf8) }
        XCTAssertEqual(try csv("s/3-d10-seed1/metrics.csv"), try csv("single/metrics.csv"), "a sweep's run is `host run` with its options")

        // A run that ended without a completed summary (as a killed worker leaves it).
        try FileManager.default.removeItem(atPath: work + "/s/1-d5-seed1/summary.json")
        let status = try TestSupport.host(["sweep", "status", "s"], in: work)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("1-d5-seed1   5    1       failed"), status.stdout)
        XCTAssertTrue(status.stdout.contains("4 runs: 1 failed, 3 completed"), status.stdout)
        let before = try FileManager.default.attributesOfItem(atPath: work + "/s/0-d5-seed0/summary.json")[.modificationDate] as? Date
        let resume = try TestSupport.host(["sweep", "resume", "s"], in: work)
        XCTAssertEqual(resume.status, 0, resume.stderr)
        XCTAssertTrue(resume.stderr.contains("resuming 1 of 4 runs"), resume.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/s/1-d5-seed1/summary.json"))
        let after = try FileManager.default.attributesOfItem(atPath: work + "/s/0-d5-seed0/summary.json")[.modificationDate] as? Date
        XCTAssertEqual(before, after, "a completed run is not run again")

        let again = try TestSupport.host(["sweep", "Parity", "train", "--grid", "d=5", "--out", "s"], in: work)
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("already holds a sweep"), again.stderr)
        let unknown = try TestSupport.host(["sweep", "Parity", "train", "--grid", "q=1,2", "--out", "t"], in: work)
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("has no option --q"), unknown.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/t"), "nothing written for a refused sweep")
    }

    /// A run that fails leaves the sweep exiting 1 and naming it; the others complete.
    func testAFailedRunIsNamedAndTheOthersComplete() throws {
        let work = TestSupport.temporaryFolder("sweep-failing")
        // --batch 0 is out of the option's range: that run refuses to start.
        let sweep = try TestSupport.host(["sweep", "Parity", "train", "--grid", "batch=100,0", "--iters", "400", "--out", "s", "--quiet"], in: work)
        XCTAssertEqual(sweep.status, 1, sweep.stderr)
        XCTAssertTrue(sweep.stderr.contains("1 of 2 runs did not complete: 1-batch0-seed0 (failed; log: logs/1-batch0-seed0.log)"), sweep.stderr)
        let log = try String(contentsOfFile: work + "/s/logs/1-batch0-seed0.log", encoding: .utf8)
        XCTAssertTrue(log.contains("--batch"), "the run's own error is in its log: \(log)")
        let status = try TestSupport.host(["sweep", "status", "s"], in: work)
        XCTAssertTrue(status.stdout.contains("2 runs: 1 completed, 1 failed"), status.stdout)
    }
}
