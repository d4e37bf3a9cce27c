import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `host run` and `host eval` end to end, as a user runs them.
final class RunCommandTests: XCTestCase {
    func json(_ path: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "missing \(path)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func runFolders(in work: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: work + "/runs")) ?? []).sorted()
    }

    func testRunWritesConfigSummaryAndArtifacts() throws {
        let work = TestSupport.temporaryFolder()
        let result = try TestSupport.host(["run", "Parity", "exact", "--d", "6", "--seed", "7", "--threads", "2"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let folders = runFolders(in: work)
        XCTAssertEqual(folders.count, 1)
        let folder = try XCTUnwrap(folders.first)
        XCTAssertTrue(folder.hasPrefix("Parity-exact-") && folder.hasSuffix("Z"), folder)
        let run = "\(work)/runs/\(folder)"

        let config = try json(run + "/config.json")
        XCTAssertEqual(config["seed"] as? Int, 7)
        XCTAssertEqual(config["threads"] as? Int, 2)
        let options = try XCTUnwrap(config["options"] as? [String: Any])
        XCTAssertEqual(options["d"] as? Int, 6)
        XCTAssertEqual(options["samples"] as? Int, 10_000, "defaults are recorded too")
        XCTAssertEqual(options["corrected"] as? Bool, false)
        let versions = try XCTUnwrap(config["versions"] as? [String: Any])
        XCTAssertNotNil(versions["host"]); XCTAssertNotNil(versions["runtime"]); XCTAssertEqual(versions["plugin"] as? String, "0.1.0")

        let summary = try json(run + "/summary.json")
        XCTAssertEqual(summary["status"] as? String, "completed")
        let metrics = try XCTUnwrap(summary["metrics"] as? [String: Any])
        XCTAssertEqual(metrics["pairs_checked"] as? Int, 4096)
        XCTAssertEqual(metrics["mismatches"] as? Int, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/network/hidden.weight.npy"))
        XCTAssertTrue(result.stdout.contains("mismatches"), "final table on stdout: \(result.stdout)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "no temporary files remain")
    }

    func testJSONOutputIsOneObject() throws {
        let work = TestSupport.temporaryFolder()
        let result = try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--corrected", "--json", "--quiet"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["plugin"] as? String, "Parity")
        XCTAssertEqual(object["experiment"] as? String, "exact")
        XCTAssertEqual((object["metrics"] as? [String: Any])?["mismatches"] as? Int, 0)
        XCTAssertEqual(result.stderr, "", "--quiet prints nothing on stderr")
        XCTAssertNotNil(object["run_folder"] as? String)
    }

    func testBadOptionsExitTwoWithOneLineAndNoRunFolder() throws {
        let cases: [([String], String)] = [
            (["run", "Parity", "exact", "--dd", "5"], "unknown option --dd for Parity exact; did you mean --d?"),
            (["run", "Parity", "exact", "--d", "abc"], "--d: 'abc' is not a whole number; expected integer in 1...64"),
            (["run", "Parity", "exact", "--d", "0"], "--d: 0 is too small; expected integer in 1...64"),
            (["run", "Parity", "exact", "--d", "65"], "--d: 65 is too large"),
            (["run", "Parity", "exact", "--d"], "--d needs a value"),
            (["run", "Parity", "exact", "--d", "3", "--d", "4"], "--d is given twice"),
            (["run", "Parity", "nosuch"], "Parity has no experiment 'nosuch'; its experiments are train, sweep, gradients, deep-sigmoid, exact"),
            (["run", "NoSuchPlugin"], "no plugin named 'NoSuchPlugin'"),
            (["run", "Parity", "--threads", "0"], "--threads: '0' is not a whole number"),
            (["run", "Parity", "--seed", "-1"], "--seed: '-1' is not a whole number"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["eval", "Parity"], "`host eval` needs --checkpoint PATH"),
            (["eval", "Parity", "exact", "--checkpoint", "/no/such/folder"], "checkpoint /no/such/folder does not exist"),
        ]
        for (arguments, expected) in cases {
            let work = TestSupport.temporaryFolder()
            let result = try TestSupport.host(arguments, in: work)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): expected '\(expected)' in: \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("hint:"), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
            XCTAssertEqual(runFolders(in: work), [], "\(arguments) left a run folder")
        }
    }

    func testOutFolderMustBeNewOrEmpty() throws {
        let work = TestSupport.temporaryFolder()
        let first = try TestSupport.host(["run", "Parity", "exact", "--d", "3", "--out", "mine", "--quiet"], in: work)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/mine/summary.json"))
        let second = try TestSupport.host(["run", "Parity", "exact", "--d", "3", "--out", "mine"], in: work)
        XCTAssertEqual(second.status, 2)
        XCTAssertTrue(second.stderr.contains("--out mine already holds files"), second.stderr)
    }

    func testEvalChecksASavedCheckpoint() throws {
        let work = TestSupport.temporaryFolder()
        let train = try TestSupport.host(["run", "Parity", "exact", "--d", "8", "--out", "train", "--quiet"], in: work)
        XCTAssertEqual(train.status, 0, train.stderr)
        let eval = try TestSupport.host(["eval", "Parity", "exact", "--checkpoint", "train/network", "--out", "eval", "--json"], in: work)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let metrics = try XCTUnwrap(object["metrics"] as? [String: Any])
        XCTAssertEqual(metrics["pairs_checked"] as? Int, 256)
        XCTAssertEqual(metrics["mismatches"] as? Int, 1, "the all-ones mask network fails only at x = all ones")
        let config = try json(work + "/eval/config.json")
        XCTAssertEqual((config["mode"] as? [String: Any])?["kind"] as? String, "evaluate")
    }

    func testEvalOfAMalformedCheckpointLeavesNothing() throws {
        let work = TestSupport.temporaryFolder()
        try FileManager.default.createDirectory(atPath: work + "/bad", withIntermediateDirectories: true)
        try "not numpy".write(toFile: work + "/bad/hidden.weight.npy", atomically: true, encoding: .utf8)
        let eval = try TestSupport.host(["eval", "Parity", "exact", "--checkpoint", "bad"], in: work)
        XCTAssertEqual(eval.status, 2)
        XCTAssertTrue(eval.stderr.contains("bad/hidden.weight.npy is not a valid .npy file"), eval.stderr)
        XCTAssertEqual(runFolders(in: work), [])
    }

    func testCtrlCStopsTheRunAndMarksItInterrupted() throws {
        let work = TestSupport.temporaryFolder()
        // About a minute of work on two cores; interrupted after a second.
        let result = try TestSupport.host(["run", "Parity", "exact", "--d", "40", "--masks", "20000", "--threads", "1", "--out", "stopped"],
                                          in: work, interruptAfter: 1.0)
        XCTAssertEqual(result.status, 130, result.stderr)
        let summary = try json(work + "/stopped/summary.json")
        XCTAssertEqual(summary["status"] as? String, "interrupted")
        let metrics = try XCTUnwrap(summary["metrics"] as? [String: Any])
        let checked = try XCTUnwrap(metrics["pairs_checked"] as? Int)
        XCTAssertGreaterThan(checked, 0)
        XCTAssertLessThan(checked, 20_002 * 10_002, "stopped early")
    }

    func testHelpAndVersion() throws {
        let help = try TestSupport.host(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("host run <Plugin>"))
        let version = try TestSupport.host(["--version"])
        XCTAssertTrue(version.stdout.hasPrefix("host 0.1.0"), version.stdout)
        let experiment = try TestSupport.host(["help", "Parity", "exact"], in: TestSupport.temporaryFolder())
        XCTAssertEqual(experiment.status, 0)
        XCTAssertTrue(experiment.stdout.contains("--d <int>") && experiment.stdout.contains("integer in 1...64") && experiment.stdout.contains("default 30"),
                      experiment.stdout)
        let runHelp = try TestSupport.host(["run", "Parity", "--help"], in: TestSupport.temporaryFolder())
        XCTAssertTrue(runHelp.stdout.contains("host run Parity exact"), runHelp.stdout)
        // The host's own commands have help too, both ways, and it is theirs alone.
        for arguments in [["bench", "--help"], ["help", "fetch"], ["verify-ops", "--help"]] {
            let commandHelp = try TestSupport.host(arguments, in: TestSupport.temporaryFolder())
            XCTAssertEqual(commandHelp.status, 0, commandHelp.stderr)
            let name = arguments[0] == "help" ? arguments[1] : arguments[0]
            XCTAssertTrue(commandHelp.stdout.contains("host \(name) "), commandHelp.stdout)
            XCTAssertFalse(commandHelp.stdout.contains("host run "), commandHelp.stdout)
            XCTAssertTrue(commandHelp.stdout.contains("--threads N"), commandHelp.stdout)
        }
        // Each command explains its own options, not only the global ones.
        for (command, own) in [("fetch", "--archive FILE    unpack"), ("eval", "--checkpoint PATH the checkpoint"), ("report", "folder of run folders"),
                               ("bench", "--json            one JSON object per case"), ("new-plugin", "--dir DIR         where to write")] {
            let commandHelp = try TestSupport.host(["help", command], in: TestSupport.temporaryFolder())
            XCTAssertEqual(commandHelp.status, 0, commandHelp.stderr)
            XCTAssertTrue(commandHelp.stdout.contains(own), "\(command): \(commandHelp.stdout)")
        }
    }
}

/// Parity's training experiments through the CLI.
final class ParityCommandTests: XCTestCase {
    func testTrainWritesCurvePlotAndMetrics() throws {
        let work = TestSupport.temporaryFolder("parity")
        let result = try TestSupport.host(["run", "Parity", "--d", "4", "--iters", "2000", "--log-every", "100", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["experiment"] as? String, "train", "train is the default experiment")
        let metrics = try XCTUnwrap(object["metrics"] as? [String: Any])
        let accuracy = try XCTUnwrap(metrics["test_accuracy"] as? Double ?? (metrics["test_accuracy"] as? Int).map(Double.init))
        XCTAssertGreaterThan(accuracy, 0.5)
        let csv = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/metrics.csv")), as: UTF8.self)
        XCTAssertTrue(csv.hasPrefix("step,loss,running_mean_loss\n100,"), csv)
        XCTAssertEqual(csv.split(separator: "\n").count, 21)
        let svg = try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/loss.svg"))
        XCTAssertTrue(XMLParser(data: svg).parse(), "loss.svg is well-formed XML")
    }

    func testSweepRejectsABadDimensionList() throws {
        let work = TestSupport.temporaryFolder("parity")
        let result = try TestSupport.host(["run", "Parity", "sweep", "--ds", "5,x"], in: work)
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--ds: 'x' is not a whole number; expected comma-separated integers in 1...64"), result.stderr)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: work + "/runs")) ?? [], [], "no run folder left")
    }

    func testSweepTableAndFigures() throws {
        let work = TestSupport.temporaryFolder("parity")
        let result = try TestSupport.host(["run", "Parity", "sweep", "--ds", "3,4", "--seeds", "2", "--iters", "1500", "--out", "s", "--quiet"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/s/sweep.csv")), as: UTF8.self)
        XCTAssertTrue(table.hasPrefix("d,runs,final_loss_mean,final_loss_std,test_accuracy_mean,test_accuracy_std\n3,2,"), table)
        for file in ["loss.svg", "accuracy.svg"] { XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/s/" + file), file) }
    }
}

final class ParityAnalysisCommandTests: XCTestCase {
    func testDeepSigmoidReportsVanishingGradients() throws {
        let work = TestSupport.temporaryFolder("parity")
        let result = try TestSupport.host(["run", "Parity", "deep-sigmoid", "--d", "10", "--depth", "4", "--iters", "400", "--log-every", "100",
                                           "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["metrics"] as? [String: Any])
        let ratio = try XCTUnwrap(metrics["init_grad_ratio_first_to_last"] as? Double)
        XCTAssertLessThan(ratio, 0.1, "the input layer's gradient is much smaller than the output layer's")
        let csv = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/metrics.csv")), as: UTF8.self)
        XCTAssertTrue(csv.hasPrefix("step,loss_sigmoid,loss_relu,grad_norm_layer1,grad_norm_layer2,grad_norm_layer3,grad_norm_layer4,grad_norm_layer5\n"), csv)
        for file in ["loss.svg", "gradient_norms.svg"] { XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/" + file), file) }
    }

    func testGradientsRunsAndRejectsAnEmptyRange() throws {
        let work = TestSupport.temporaryFolder("parity")
        let ok = try TestSupport.host(["run", "Parity", "gradients", "--d-min", "2", "--d-max", "7", "--masks", "32", "--out", "g", "--quiet"], in: work)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let csv = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/g/metrics.csv")), as: UTF8.self)
        XCTAssertEqual(csv.split(separator: "\n").count, 7, "one row per d, 2...7: " + csv)
        let bad = try TestSupport.host(["run", "Parity", "gradients", "--d-min", "9", "--d-max", "3"], in: work)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--d-min 9 is above --d-max 3"), bad.stderr)
    }
}
