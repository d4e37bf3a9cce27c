import Foundation
import XCTest

/// Every Review experiment through the CLI, small.
final class ReviewCommandTests: XCTestCase {
    /// Runs `host run Review <arguments> --out <out> --json` in `work`, checks exit 0 and the files,
    /// and returns the summary's metrics.
    private func run(_ arguments: [String], out: String, in work: String, files: [String]) throws -> [String: Double] {
        let result = try TestSupport.host(["run", "Review"] + arguments + ["--out", out, "--json"], in: work)
        XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
        for file in files + ["config.json", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/\(out)/\(file)"), "\(arguments[0]): \(file)")
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let metrics = try XCTUnwrap(object["metrics"] as? [String: Any], result.stdout)
        return metrics.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    private func lines(_ path: String) throws -> [Substring] { try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") }

    func testEveryExperimentRunsAndWritesItsFigure() throws {
        let work = TestSupport.temporaryFolder("review")
        let runs: [([String], String)] = [
            (["noise", "--samples", "2000", "--runs", "2000"], "descent.svg"), (["convolution"], "convolution.svg"),
            (["shapes"], "shapes.csv"), (["dilation"], ""), (["kl", "--steps", "500"], "kl.svg"),
            (["init", "--draws", "50", "--shapes", "16x8", "--iterations", "20", "--eval-every", "10"], "cnn.svg"),
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
        XCTAssertTrue(bad.stderr.contains("--lrs: -1 is too small; expected comma-separated numbers > 0"), bad.stderr)
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

    func testLinearNetworksMeetsEveryClosedForm() throws {
        let work = TestSupport.temporaryFolder("review-linear-networks")
        let m = try run(["linear-networks"], out: "ln", in: work, files: ["capacity.csv", "capacity.svg", "capacity_descent.svg", "convexity.svg", "layer_gradients.csv",
                                                                           "parts.txt", "training.csv", "training.svg", "training_curves.csv", "zero_point.csv"])
        for (metric, bound) in [("construction_error", 1e-10), ("residual_within", 1e-4), ("eckart_young_error", 1e-6), ("risk_q_error", 1e-6),
                                ("convexity_gap_error", 1e-6), ("q_gradient_error", 1e-5), ("layer_gradient_error", 1e-5), ("zero_gradient_norm", 1e-12),
                                ("wide_normal_residual", 1e-6), ("narrow_rank_error", 1e-6), ("constructed_gradient_norm", 1e-9), ("constructed_autograd_gradient", 1e-4)] {
            XCTAssertLessThan(abs(try XCTUnwrap(m[metric], metric)), bound, metric)
        }
        for metric in ["wide_excess_loss", "square_excess_loss"] { XCTAssertEqual(try XCTUnwrap(m[metric], metric), 0, accuracy: 1e-8, "Q(W̄) = Q(W*): \(metric)") }
        XCTAssertGreaterThan(try XCTUnwrap(m["residual_beyond"]), 0.1, "rank W0 > min d_i is not reached")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(m["convexity_min_gap"]), 0, "Q is convex")
        XCTAssertLessThan(try XCTUnwrap(m["layer_space_gap"]), 0, "R̂ is not convex in the layers")
        XCTAssertGreaterThan(try XCTUnwrap(m["zero_excess_loss"]), 0, "0 is a critical point but not a minimum")
        XCTAssertGreaterThan(try XCTUnwrap(m["narrow_normal_residual"]), 1, "the bottleneck does not reach the normal equations")
        XCTAssertGreaterThan(try XCTUnwrap(m["square_min_singular_value"]), 0)
        let parts = try String(contentsOfFile: work + "/ln/parts.txt", encoding: .utf8)
        for part in ["(b)", "(c)", "(d)", "(e)", "(f)"] { XCTAssertTrue(parts.contains(part), "\(part) in\n\(parts)") }
        XCTAssertGreaterThan(try lines(work + "/ln/capacity.csv").count, 8, "(a): a header and one row per rank 1...8")
        let refused = try TestSupport.host(["run", "Review", "linear-networks", "--n", "3", "--d", "6", "--out", "bad"], in: work)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/bad"), "bad input leaves no run folder")
    }

    func testInitGradientsMatchesAutogradAndEqualUnitsGetEqualGradients() throws {
        let work = TestSupport.temporaryFolder("review-init-gradients")
        let m = try run(["init-gradients", "--m", "12", "--d", "5", "--draws", "100"], out: "ig", in: work, files: ["errors.csv", "gradients.svg"])
        XCTAssertLessThan(try XCTUnwrap(m["max_dv_error"]), 1e-3)
        XCTAssertLessThan(try XCTUnwrap(m["max_dw_error"]), 1e-3)
        XCTAssertLessThan(try XCTUnwrap(m["discounted_error"]), 1e-5, "Float32 rounding once f - y's cancellation is discounted")
        XCTAssertEqual(try XCTUnwrap(m["symmetric_gradient_difference"]), 0)
        let table = try lines(work + "/ig/errors.csv")
        XCTAssertEqual(table.count, 7, "a header and ReLU, tanh, sigmoid x squared, logistic")
        let refused = try TestSupport.host(["run", "Review", "init-gradients", "--m", "0"], in: work)
        XCTAssertEqual(refused.status, 2, refused.stderr)
    }

    func testInitTellsOneOverMFromFanInAndKeepsEqualUnitsEqual() throws {
        let work = TestSupport.temporaryFolder("review-init")
        let m = try run(["init", "--shapes", "16x64,48x12", "--draws", "300", "--iterations", "2", "--eval-every", "1"], out: "init", in: work,
                        files: ["norms.csv", "symmetry.csv", "cnn.csv", "cnn.svg"])
        XCTAssertLessThan(try XCTUnwrap(m["max_norm_z"]), 4.5, "N(0, 1/m), N(0, 2/m) preserve ||x||^2")
        XCTAssertLessThan(try XCTUnwrap(m["max_row_z"]), 4.5, "E[(w^T x)^2] = ||x||^2 / m")
        XCTAssertGreaterThan(try XCTUnwrap(m["min_fan_in_z"]), 20, "N(0, 1/d) gives m/d")
        XCTAssertEqual(try XCTUnwrap(m["symmetric_difference"]), 0)
        XCTAssertGreaterThan(try XCTUnwrap(m["random_difference"]), 1e-3)
        let norms = try lines(work + "/init/norms.csv")
        XCTAssertEqual(norms.count, 9, "a header and 2 shapes x (identity, ReLU) x (1/m, 1/d)")
        XCTAssertTrue(norms[0].hasPrefix("m,d,activation,entries,entry_variance,x_norm_squared,ratio_mean"), "\(norms[0])")
        XCTAssertEqual(try lines(work + "/init/symmetry.csv").count, 8, "a header, 3 activations x 2 losses on one example, and the 64-example mean")
        let square = try TestSupport.host(["run", "Review", "init", "--shapes", "8x8", "--draws", "20", "--iterations", "1", "--out", "square", "--json"], in: work)
        XCTAssertEqual(square.status, 0, square.stderr)
        XCTAssertFalse(square.stdout.contains("min_fan_in_z"), "d = m cannot tell 1/m from 1/d: \(square.stdout)")
        XCTAssertTrue(square.stderr.contains("every shape has d = m"), square.stderr)
        for bad in ["16", "16x0", "16x64,"] {
            let refused = try TestSupport.host(["run", "Review", "init", "--shapes", bad, "--out", "bad"], in: work)
            XCTAssertEqual(refused.status, 2, "\(bad): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains("--shapes"), refused.stderr)
        }
    }

    func testConvolutionShowsTheLayerIsACrossCorrelation() throws {
        let work = TestSupport.temporaryFolder("review-convolution")
        let m = try run(["convolution"], out: "conv", in: work, files: ["convolution.svg", "correlation.csv", "metrics.csv"])
        XCTAssertEqual(try XCTUnwrap(m["max_closed_form_error"]), 0, accuracy: 1e-12)
        XCTAssertLessThan(try XCTUnwrap(m["correlation_error"]), 1e-5, "conv2d(x, k) is the cross-correlation")
        XCTAssertLessThan(try XCTUnwrap(m["flipped_convolution_error"]), 1e-5, "and the true convolution with flip(k)")
        XCTAssertGreaterThan(try XCTUnwrap(m["unflipped_difference"]), 0.1, "but not the true convolution with k")
        let table = try lines(work + "/conv/correlation.csv")
        XCTAssertEqual(table.count, 11, "a header, 4 checks x (im2col, Winograd), and eq. (1) with h flipped and not")
    }

    func testShapesTakesKernelFiltersAndPoolAsSymbols() throws {
        let work = TestSupport.temporaryFolder("review-shapes-symbols")
        let m = try run(["shapes", "--kernel", "5", "--filters", "6", "--padding", "2", "--pool-kernel", "3", "--pool-stride", "2"], out: "k5", in: work,
                        files: ["shapes.csv", "table.txt"])
        XCTAssertEqual(m["parameters"], 1713, "5x5x1x6 + 6 + 5x5x6x6 + 6 + 216x3 + 3")
        XCTAssertEqual(m["mismatches"], 0)
        let csv = try String(contentsOfFile: work + "/k5/shapes.csv", encoding: .utf8)
        for row in ["CONV5-6,5x5x1x6 + 6,156,28x28x6,156,28x28x6,yes", "POOL3/2,0,0,13x13x6,0,13x13x6,yes",
                    "CONV5-6,5x5x6x6 + 6,906,13x13x6,906,13x13x6,yes", "FC-3,216x3 + 3,651,3,651,3,yes"] {
            XCTAssertTrue(csv.contains(row), "\(row) in\n\(csv)")
        }
        let large = try TestSupport.host(["run", "Review", "shapes", "--size", "1024", "--kernel", "11", "--filters", "64", "--out", "large"], in: work)
        XCTAssertEqual(large.status, 2, large.stderr)
        XCTAssertTrue(large.stderr.contains("floats"), large.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/large"), "bad input leaves no run folder")
    }
}
