import Foundation
import HostKit
import PluginAPI
import XCTest

/// The plugin contract enforced: declarations checked at load, metrics checked at run.
final class DeclarationTests: XCTestCase {
    static let folder: Swift.Result<String, Error> = Swift.Result {
        let folder = TestSupport.temporaryFolder("declarations")
        _ = try TestSupport.compileSwiftPlugin("BadDeclarations.swift", module: "BadDeclarations", into: folder)
        _ = try TestSupport.compileSwiftPlugin("Sloppy.swift", module: "Sloppy", into: folder)
        return folder
    }

    func testBadDeclarationsAreRefusedAtLoadNamingEachOne() throws {
        let folder = try Self.folder.get()
        guard case .failure(let failure) = PluginCatalog.load(path: folder + "/libBadDeclarations.so"),
              case .badDeclarations(_, let plugin, let problems) = failure else {
            return XCTFail("the plugin loaded")
        }
        XCTAssertEqual(plugin, "BadDeclarations")
        XCTAssertEqual(problems, [
            "experiment 'train' is declared twice",
            "experiment 'train': option '--seed' is a global option of the host, which would shadow it",
            "experiment 'train': option '--lr' is declared twice",
            "experiment 'train': metric 'acc,top1' must be letters, digits, '_', '-' or '.', starting with a letter ('{}' marks a family)",
            "experiment 'train': metric 'loss' is declared twice",
            "experiment 'Fast Train': the name must be lower-case letters, digits and '-', starting with a letter",
            "experiment 'fit-grid': its grid has two axes of '--width'",
            "experiment 'fit-grid': its grid's axis '--width' takes its values from '--widths', which is not a list option of it",
            "experiment 'fit-grid': its grid's axis '--depth' is not an option of 'fit'",
            "experiment 'fit-grid': its grid's value '9': --width: 9 is too large; expected integer in 1...8",
            "experiment 'fit-grid': its grid's seed count '--runs' is not an integer option of it",
            "experiment 'fit-grid': option '--rate', which its grid passes to 'fit', is not an option of it with the same type and default",
            "experiment 'fit-grid': option '--width' is an axis of its grid",
            "experiment 'lost-grid': its grid runs 'nowhere', which is not another experiment of the plugin that trains and is not a grid itself",
        ])
        XCTAssertTrue(failure.message.hasPrefix(folder + "/libBadDeclarations.so: plugin BadDeclarations experiment 'train' is declared twice (and 13 more: "), failure.message)
        XCTAssertTrue(failure.hint.contains("--seed"), failure.hint)

        // Through the command line: `run` refuses it with the message and exit 2; `list` names it
        // and still lists the good plugins.
        let run = try TestSupport.host(["run", "BadDeclarations", "--plugins", folder], in: TestSupport.temporaryFolder())
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("option '--seed' is a global option of the host"), run.stderr)
        let list = try TestSupport.host(["list", "--plugins", folder], in: TestSupport.temporaryFolder())
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("Parity") && list.stdout.contains("Sloppy"), list.stdout)
        XCTAssertTrue((list.stdout + list.stderr).contains("BadDeclarations"), list.stdout + list.stderr)
    }

    func testEveryShippedPluginPassesTheCheck() throws {
        let list = try TestSupport.host(["list", "--json"], in: TestSupport.temporaryFolder())
        XCTAssertEqual(list.status, 0, list.stderr)
        for name in ["Parity", "ResNet", "SVM", "NNGP", "Autoencoder", "Review"] {
            XCTAssertTrue(list.stdout.contains("\"\(name)\""), "\(name) did not load: \(list.stderr)")
        }
        XCTAssertFalse(list.stderr.contains("declare"), list.stderr)
    }

    func testAnUndeclaredMetricFailsTheRunNamingIt() throws {
        let folder = try Self.folder.get(), work = TestSupport.temporaryFolder()
        let run = try TestSupport.host(["run", "Sloppy", "undeclared", "--plugins", folder, "--out", "run"], in: work)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("Sloppy undeclared set the metric 'accuracy', which the experiment does not declare"), run.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: work + "/run/summary.json"))) as? [String: Any])
        XCTAssertEqual(summary["status"] as? String, "failed")
        XCTAssertEqual(summary["metrics"] as? [String: Double], ["loss": 0.5], "the undeclared value is kept out")
    }

    func testADeclaredMetricNeverSetIsListedAsMissingAndOneStepIsOneRow() throws {
        let folder = try Self.folder.get(), work = TestSupport.temporaryFolder()
        let run = try TestSupport.host(["run", "Sloppy", "missing", "--plugins", folder, "--out", "run"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: work + "/run/summary.json"))) as? [String: Any])
        XCTAssertEqual(summary["missing_metrics"] as? [String], ["accuracy"])
        let csv = try String(contentsOfFile: work + "/run/metrics.csv", encoding: .utf8)
        XCTAssertEqual(csv, "step,loss,grad_norm\n1,2,3\n2,1,\n")
    }

    /// A run of 5 s or more that never reported progress gets a note saying how to show it.
    func testALongRunWithoutProgressOrCancellationChecksGetsNotes() throws {
        let folder = try Self.folder.get(), work = TestSupport.temporaryFolder()
        let run = try TestSupport.host(["run", "Sloppy", "silent", "--plugins", folder, "--out", "run"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("Sloppy silent ran 5 s without reporting progress"), run.stderr)
        XCTAssertTrue(run.stderr.contains("context.progress.begin"), run.stderr)
        XCTAssertTrue(run.stderr.contains("Sloppy silent ran 5 s without checking context.isCancelled"), run.stderr)
        let quick = try TestSupport.host(["run", "Sloppy", "missing", "--plugins", folder, "--out", "quick"], in: work)
        XCTAssertFalse(quick.stderr.contains("note:"), "a short run gets no note: \(quick.stderr)")
        let polite = try TestSupport.host(["run", "Sloppy", "polite", "--plugins", folder, "--out", "polite"], in: work)
        XCTAssertEqual(polite.status, 0, polite.stderr)
        XCTAssertFalse(polite.stderr.contains("note:"), "a long run that reports progress and checks for Ctrl-C gets no note: \(polite.stderr)")
    }

    func testAFamilyCoversTheNamesItsHoleAllows() {
        let family = MetricSpec("d{}_final_loss")
        XCTAssertTrue(family.covers("d30_final_loss"))
        XCTAssertTrue(family.covers("d0.5_final_loss"))
        XCTAssertFalse(family.covers("d_final_loss"), "the hole is not empty")
        XCTAssertFalse(family.covers("d3 4_final_loss"))
        XCTAssertFalse(family.covers("e30_final_loss"))
        XCTAssertFalse(MetricSpec("loss").covers("loss2"))
        let log = MetricsLog(declared: ["runs", "d{}_final_loss"])
        log.final("d3_final_loss", 1); log.final("d3_test_accuracy", 1)
        XCTAssertEqual(log.undeclaredFinals, ["d3_test_accuracy"])
        XCTAssertEqual(log.missingFinals, ["runs"])
    }

    func testMetricsLogJoinsValuesOfOneStep() {
        let log = MetricsLog(declared: ["loss"])
        log.log(step: 0, [("loss", 1)])
        log.log(step: 0, [("acc", 0.5), ("loss", 2)])
        log.log(step: 1, [("loss", 3)])
        XCTAssertEqual(log.csv(), "step,loss,acc\n0,2,0.5\n1,3,\n")
        log.final("acc", 1)
        XCTAssertEqual(log.undeclaredFinals, ["acc"])
        XCTAssertEqual(log.missingFinals, ["loss"])
        log.final("loss", 3)
        XCTAssertEqual(log.missingFinals, [])
        XCTAssertEqual(log.finals.map(\.0), ["loss"])
    }
}
