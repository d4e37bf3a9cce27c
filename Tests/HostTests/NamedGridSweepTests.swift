import Foundation
import XCTest

/// `host sweep` of a named grid (Parity `sweep`, ResNet `sweep`): the grid experiment's own
/// options expand into ordinary runs of the experiment it runs, each with the seed the
/// in-process experiment gives that run, so every run's numbers equal the in-process run's
/// (its runs.csv); status, resume and report work on the sweep as on any other.
final class NamedGridSweepTests: XCTestCase {
    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any], path)
    }

    /// runs.csv of an in-process grid run: one dictionary per row, by column.
    func rows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try XCTUnwrap(lines.first)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    /// summary.json's final metrics, each read from its text with `Double(String)`, which gives
    /// back exactly the value written (Foundation's JSON reader can be a unit in the last place off).
    func finalMetrics(_ path: String) throws -> [String: Double] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "\"metrics\": {"), path)
        let end = try XCTUnwrap(text[start.upperBound...].firstIndex(of: "}"), path)
        var metrics: [String: Double] = [:]
        for line in text[start.upperBound..<end].split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " ,\"")) }
            if parts.count == 2, let value = Double(parts[1]) { metrics[parts[0]] = value }
        }
        return metrics
    }

    /// Each point's final metrics (summary.json) against the in-process row of the same point.
    func assertSameNumbers(sweep: String, folders: [String], inProcess: [[String: String]], columns: [(csv: String, metric: String)],
                           file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(inProcess.count, folders.count, file: file, line: line)
        for (folder, row) in zip(folders, inProcess) {
            let metrics = try finalMetrics(sweep + "/" + folder + "/summary.json")
            for (csv, metric) in columns {
                let expected = try XCTUnwrap(row[csv].flatMap(Double.init), "\(csv) of \(row)", file: file, line: line)
                XCTAssertEqual(metrics[metric], expected, "\(folder) \(metric)", file: file, line: line)
            }
        }
    }

    func testTheParityGridRunsThroughTheSweepWithTheInProcessNumbers() throws {
        let work = TestSupport.temporaryFolder("named-grid")
        let options = ["--ds", "3,4", "--seeds", "2", "--iters", "1500", "--log-every", "500", "--seed", "5"]
        let inProcess = try TestSupport.host(["run", "Parity", "sweep"] + options + ["--out", "inproc", "--quiet"], in: work)
        XCTAssertEqual(inProcess.status, 0, inProcess.stderr)
        let expected = try rows(work + "/inproc/runs.csv")
        XCTAssertEqual(expected.map { $0["d"] ?? "" }, ["3", "3", "4", "4"])
        XCTAssertEqual(expected.map { $0["seed"] ?? "" }, ["5", "6", "5", "6"], "the runs' seeds are --seed, --seed + 1")

        let sweep = try TestSupport.host(["sweep", "Parity", "sweep"] + options + ["--out", "s", "--parallel", "2"], in: work)
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        XCTAssertTrue(sweep.stderr.contains("sweep: 4 runs of Parity train (the named grid Parity sweep) into s, 2 at a time"), sweep.stderr)
        let folders = ["0-d3-seed5", "1-d3-seed6", "2-d4-seed5", "3-d4-seed6"]
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work + "/s").sorted(), (folders + ["logs", "sweep.json"]).sorted())
        try assertSameNumbers(sweep: work + "/s", folders: folders, inProcess: expected,
                              columns: [("final_loss", "final_loss"), ("test_accuracy", "test_accuracy")])
        let config = try json(work + "/s/3-d4-seed6/config.json")
        XCTAssertEqual(config["experiment"] as? String, "train")
        XCTAssertEqual((config["options"] as? [String: Any])?["iters"] as? Int, 1500, "options the grid passes on reach every run")

        let description = try json(work + "/s/sweep.json")
        XCTAssertEqual(description["fixed_options"] as? [String], ["--iters", "1500", "--log-every", "500"])
        let named = try XCTUnwrap(description["named_grid"] as? [String: Any])
        XCTAssertEqual(named["experiment"] as? String, "sweep")
        XCTAssertEqual(named["options"] as? [String], ["--ds", "3,4", "--seeds", "2", "--iters", "1500", "--log-every", "500"])

        // status, resume and report, as for any sweep.
        try FileManager.default.removeItem(atPath: work + "/s/2-d4-seed5/summary.json")
        let status = try TestSupport.host(["sweep", "status", "s"], in: work)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("Parity train (the named grid Parity sweep --ds 3,4 --seeds 2 --iters 1500 --log-every 500): 4 runs: 1 failed, 3 completed"),
                      status.stdout)
        let resume = try TestSupport.host(["sweep", "resume", "s"], in: work)
        XCTAssertEqual(resume.status, 0, resume.stderr)
        XCTAssertTrue(resume.stderr.contains("resuming 1 of 4 runs"), resume.stderr)
        try assertSameNumbers(sweep: work + "/s", folders: folders, inProcess: expected,
                              columns: [("final_loss", "final_loss"), ("test_accuracy", "test_accuracy")])
        let report = try TestSupport.host(["report", "s"], in: work)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(try String(contentsOfFile: work + "/s/report.html", encoding: .utf8).contains("4 runs"))
    }

    func testTheResNetGridRunsThroughTheSweepWithTheInProcessNumbers() throws {
        let work = TestSupport.temporaryFolder("named-grid-resnet")
        let options = ["--epochs", "1", "--seeds", "1", "--seed", "2"]
        let inProcess = try TestSupport.host(["run", "ResNet", "sweep"] + options + ["--out", "inproc", "--quiet"], in: work)
        XCTAssertEqual(inProcess.status, 0, inProcess.stderr)
        let expected = try rows(work + "/inproc/runs.csv")
        XCTAssertEqual(expected.map { ($0["act"] ?? "") + "+" + ($0["norm"] ?? "") }, ["relu+batch", "relu+layer", "silu+batch", "silu+layer"])

        let sweep = try TestSupport.host(["sweep", "ResNet", "sweep"] + options + ["--out", "s", "--parallel", "2", "--quiet"], in: work)
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let folders = ["0-actrelu-normbatch-seed2", "1-actrelu-normlayer-seed2", "2-actsilu-normbatch-seed2", "3-actsilu-normlayer-seed2"]
        try assertSameNumbers(sweep: work + "/s", folders: folders, inProcess: expected,
                              columns: [("train_loss", "final_train_loss"), ("validation_loss", "final_validation_loss"),
                                        ("validation_accuracy", "validation_accuracy")])
    }

    /// The grid's own options are checked by the plugin's declarations before anything runs,
    /// `--grid` is refused, and listings say what the grid runs.
    func testBadOptionsAreRefusedBeforeAnythingRunsAndListingsShowTheGrid() throws {
        let work = TestSupport.temporaryFolder("named-grid-refused")
        for (arguments, message) in [(["--ds", "5,x"], "--ds: 'x' is not a whole number"), (["--ds", "5,5"], "--ds lists 5 twice"),
                                     (["--seeds", "0,1"], "--seeds: '0,1' is not a whole number"),
                                     (["--grid", "d=5,10"], "--grid: Parity sweep is a named grid of train")] {
            let result = try TestSupport.host(["sweep", "Parity", "sweep"] + arguments + ["--out", "s"], in: work)
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("hint: "), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/s"), "nothing written for \(arguments)")
        }
        let help = try TestSupport.host(["help", "Parity", "sweep"], in: work)
        XCTAssertTrue(help.stdout.contains("Also: host sweep Parity sweep [options] --out DIR"), help.stdout)
        XCTAssertTrue(help.stdout.contains("--d from --ds; seeds --seed, --seed + 1, ... (--seeds of them)"), help.stdout)
        let list = try TestSupport.host(["list", "--json"], in: work)
        let plugins = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let resnet = try XCTUnwrap(plugins.first { $0["name"] as? String == "ResNet" }?["experiments"] as? [[String: Any]])
        let grid = try XCTUnwrap(resnet.first { $0["name"] as? String == "sweep" }?["grid"] as? [String: Any])
        XCTAssertEqual(grid["experiment"] as? String, "digits")
        XCTAssertEqual((grid["axes"] as? [[String: Any]])?.map { $0["option"] as? String ?? "" }, ["act", "norm"])
        XCTAssertEqual(grid["seeds_from"] as? String, "seeds")
    }
}
