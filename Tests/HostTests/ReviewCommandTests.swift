import Foundation
import XCTest

/// Every Review experiment through the CLI, small.
final class ReviewCommandTests: XCTestCase {
    func testEveryExperimentRunsAndWritesItsFigure() throws {
        let work = TestSupport.temporaryFolder("review")
        let runs: [([String], String)] = [
            (["noise", "--samples", "2000", "--runs", "2000"], "descent.svg"), (["convolution"], "convolution.svg"),
            (["shapes"], "shapes.csv"), (["dilation"], ""), (["kl", "--steps", "500"], "kl.svg"),
            (["init", "--draws", "50", "--widths", "16", "--iterations", "20", "--eval-every", "10"], "cnn.svg"),
            (["leakage", "--epochs", "3", "--copies", "2"], "leakage.svg"), (["gan", "--steps", "50"], "training.svg"),
        ]
        for (arguments, file) in runs {
            let out = "run-" + arguments[0]
            let result = try TestSupport.host(["run", "Review"] + arguments + ["--out", out, "--quiet"], in: work)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            if !file.isEmpty { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/\(out)/\(file)"), "\(arguments[0]): \(file)") }
        }
        let summary = try TestSupport.host(["run", "Review", "dilation", "--out", "d2", "--json"], in: work)
        XCTAssertTrue(summary.stdout.contains("\"dilated_sum\":20") || summary.stdout.contains("\"dilated_sum\": 20"), summary.stdout)
        let bad = try TestSupport.host(["run", "Review", "noise", "--lrs", "0.1,-1"], in: work)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--lrs: '-1' is not a positive number"), bad.stderr)
    }
    func testGanWritesItsTablesFiguresAndSummaryAndRefusesAZeroLearningRate() throws {
        let work = TestSupport.temporaryFolder("review-gan")
        let run = try TestSupport.host(["run", "Review", "gan", "--out", "gan", "--json"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        for file in ["logit_gradients.csv", "logit_gradients.svg", "training.svg", "metrics.csv", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/gan/\(file)"), file)
        }
        let compact = run.stdout.replacingOccurrences(of: " ", with: "")
        for metric in ["max_gradient_error", "saturating_distance", "non_saturating_distance", "initial_gradient_ratio"] {
            XCTAssertTrue(compact.contains("\"\(metric)\":"), "\(metric) in \(run.stdout)")
        }
        let metrics = try String(contentsOfFile: work + "/gan/metrics.csv", encoding: .utf8)
        XCTAssertTrue(metrics.hasPrefix("step,saturating_mean,saturating_d,saturating_grad_norm,non_saturating_mean"), metrics)
        XCTAssertEqual(metrics.split(separator: "\n").count, 401, "a header and one row per generator step")
        let table = try String(contentsOfFile: work + "/gan/logit_gradients.csv", encoding: .utf8)
        XCTAssertEqual(table.split(separator: "\n").count, 202, "a header and 201 logits")
        let bad = try TestSupport.host(["run", "Review", "gan", "--lr-g", "0"], in: work)
        XCTAssertEqual(bad.status, 2, bad.stderr)
    }

    func testLeakageSelectionWritesItsTablesAndFiguresAndRefusesImpossibleSizes() throws {
        let work = TestSupport.temporaryFolder("review-leakage-selection")
        let run = try TestSupport.host(["run", "Review", "leakage-selection", "--features", "500", "--repeats", "3", "--out", "sel", "--json"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        for file in ["leakage_selection.csv", "leakage_selection_summary.csv", "leakage_selection.svg", "leakage_selection_runs.svg", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/sel/\(file)"), file)
        }
        let compact = run.stdout.replacingOccurrences(of: " ", with: "")
        for metric in ["leaky_accuracy", "honest_accuracy", "leaky_standard_error", "honest_standard_error", "effect_standard_errors"] {
            XCTAssertTrue(compact.contains("\"\(metric)\":"), "\(metric) in \(run.stdout)")
        }
        let table = try String(contentsOfFile: work + "/sel/leakage_selection.csv", encoding: .utf8)
        XCTAssertEqual(table.split(separator: "\n").count, 4, "a header and one row per repeat")
        for bad in [["--keep", "600", "--features", "500"], ["--samples", "10", "--folds", "6"], ["--repeats", "1"], ["--folds", "abc"], ["--samples", "10000", "--features", "10000"]] {
            let refused = try TestSupport.host(["run", "Review", "leakage-selection"] + bad + ["--out", "bad"], in: work)
            XCTAssertEqual(refused.status, 2, "\(bad): \(refused.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/bad"), "bad input leaves no run folder")
        }
    }

    func testShapesPrintsTheSheetsTableAndRefusesALayerThatDoesNotFit() throws {
        let work = TestSupport.temporaryFolder("review-shapes")
        let sheet = try TestSupport.host(["run", "Review", "shapes", "--out", "sheet", "--json"], in: work)
        XCTAssertEqual(sheet.status, 0, sheet.stderr)
        let compact = sheet.stdout.replacingOccurrences(of: " ", with: "")
        XCTAssertTrue(compact.contains("\"parameters\":2483"), sheet.stdout)
        XCTAssertTrue(compact.contains("\"mismatches\":0"), sheet.stdout)
        let csv = try String(contentsOfFile: work + "/sheet/shapes.csv", encoding: .utf8)
        for row in ["CONV3-10,3x3x1x10 + 10,100,28x28x10,100,28x28x10,yes", "POOL2,0,0,7x7x10,0,7x7x10,yes",
                    "FLATTEN,0,0,490,0,490,yes", "FC-3,490x3 + 3,1473,3,1473,3,yes"] {
            XCTAssertTrue(csv.contains(row), "\(row) in\n\(csv)")
        }
        let strided = try TestSupport.host(["run", "Review", "shapes", "--padding", "0", "--stride", "2", "--out", "strided", "--json"], in: work)
        XCTAssertEqual(strided.status, 0, strided.stderr)
        XCTAssertTrue(strided.stdout.replacingOccurrences(of: " ", with: "").contains("\"mismatches\":0"), strided.stdout)
        let tooSmall = try TestSupport.host(["run", "Review", "shapes", "--size", "10", "--padding", "0", "--stride", "3", "--out", "small"], in: work)
        XCTAssertEqual(tooSmall.status, 2, tooSmall.stderr)
        XCTAssertTrue(tooSmall.stderr.contains("does not fit"), tooSmall.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/small"), "bad input leaves no run folder")
        let outOfRange = try TestSupport.host(["run", "Review", "shapes", "--stride", "0"], in: work)
        XCTAssertEqual(outOfRange.status, 2, outOfRange.stderr)
    }
}
