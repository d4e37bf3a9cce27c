import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PluginAPI
import XCTest

/// The SVM plugin through the CLI.
final class SVMCommandTests: XCTestCase {
    func metrics(_ result: TestSupport.Result) throws -> [String: Double] {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let raw = try XCTUnwrap(object["metrics"] as? [String: Any])
        return raw.compactMapValues { $0 as? Double ?? ($0 as? Int).map(Double.init) }
    }

    func testXORWritesFourContoursAndTheClosedFormCheck() throws {
        let work = TestSupport.temporaryFolder("svm")
        let result = try TestSupport.host(["run", "SVM", "--out", "run", "--quiet", "--json", "--small-sigmas", "0.2"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = try metrics(result)
        XCTAssertEqual(m["alpha_poly"] ?? .nan, 0.125, accuracy: 1e-6)
        XCTAssertLessThan(m["rbf_closed_form_max_error"] ?? .nan, 0.01)
        XCTAssertEqual(m["nn_agreement_min"] ?? .nan, 1)
        for slug in ["poly2", "rbf1", "rbf2", "rbf4"] {
            let svg = try XCTUnwrap(FileManager.default.contents(atPath: "\(work)/run/contour-\(slug).svg"), slug)
            XCTAssertTrue(XMLParser(data: svg).parse(), "contour-\(slug).svg is well-formed XML")
        }
        let models = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/models.csv")), as: UTF8.self)
        XCTAssertTrue(models.contains("\"RBF, sigma = 1\",-2.675"), models)
        XCTAssertTrue(models.hasPrefix("kernel,objective,alphas,closed_form_alpha,largest_difference,closed_form_gradient_norm,solver_gradient_norm,float32_stall"), models)
        XCTAssertLessThan(m["closed_form_gradient_max"] ?? .nan, 1e-12, "HW3 3(b): the gradient vanishes at the closed form")
        XCTAssertLessThan(m["nearest_limit_max_difference"] ?? .nan, 1e-9)
        let limits = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/nearest_limit.csv")), as: UTF8.self)
        XCTAssertTrue(limits.contains("0.05,\"(2, 0)\",x1 x4,0,0,0,"), limits)
        for file in ["nearest_limit.svg", "nearest_limit_gap.svg"] {
            let svg = try XCTUnwrap(FileManager.default.contents(atPath: "\(work)/run/\(file)"), file)
            XCTAssertTrue(XMLParser(data: svg).parse(), "\(file) is well-formed XML")
        }
    }

    func testSolveOnUserArraysAndItsErrors() throws {
        let work = TestSupport.temporaryFolder("svm")
        // Two blobs on a line, separable; three grid points to predict.
        try NPY.write(NPYArray(shape: [6, 2], floats: [-2, 0, -2.5, 0.5, -1.5, -0.5, 2, 0, 2.5, 0.5, 1.5, -0.5]), to: work + "/x.npy")
        try NPY.write(NPYArray(shape: [6], floats: [-1, -1, -1, 1, 1, 1]), to: work + "/y.npy")
        try NPY.write(NPYArray(shape: [3, 2], floats: [-3, 0, 0.1, 0, 3, 0]), to: work + "/grid.npy")
        let ok = try TestSupport.host(["run", "SVM", "solve", "--x", "x.npy", "--y", "y.npy", "--kernel", "poly", "--degree", "1", "--c", "10",
                                       "--steps", "3000", "--grid", "grid.npy", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try metrics(ok)["train_accuracy"], 1)
        let predictions = try NPY.read(work + "/run/predictions.npy")
        XCTAssertEqual(predictions.shape, [3])
        XCTAssertTrue(predictions.values[0] < 0 && predictions.values[2] > 0, "\(predictions.values)")
        XCTAssertEqual(try NPY.read(work + "/run/alphas.npy").shape, [6])
        try TestSupport.assertEveryFileListed(work + "/run")

        try NPY.write(NPYArray(shape: [6], floats: [0, 0, 0, 1, 1, 1]), to: work + "/y01.npy")
        try NPY.write(NPYArray(shape: [5], floats: [-1, -1, -1, 1, 1]), to: work + "/y5.npy")
        try NPY.write(NPYArray(shape: [6, 2], floats: [-2, 0, .nan, 0.5, -1.5, -0.5, 2, 0, 2.5, 0.5, 1.5, -0.5]), to: work + "/xnan.npy")
        try NPY.write(NPYArray(shape: [12], floats: Array(repeating: 1, count: 12)), to: work + "/x1d.npy")
        let cases: [([String], String)] = [
            (["--x", "x.npy", "--y", "y01.npy"], "label 0 at position 0 is not +1 or -1"),
            (["--x", "x.npy", "--y", "y5.npy"], "shape [5], --x has 6 points"),
            (["--x", "xnan.npy", "--y", "y.npy"], "value nan at flat index 2 (row 1)"),
            (["--x", "x1d.npy", "--y", "y.npy"], "needs a 2-D array"),
            (["--x", "x.npy", "--y", "y.npy", "--sigma", "0"], "--sigma"),
            (["--y", "y.npy"], "solve needs --x and --y"),
            (["--x", "x.npy", "--y", "y.npy", "--grid", "x1d.npy"], "needs a 2-D array"),
        ]
        for (arguments, expected) in cases {
            let result = try TestSupport.host(["run", "SVM", "solve"] + arguments, in: work)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: work + "/runs")) ?? [], [], "no run folder left")
    }

    func testBiasExperimentMatchesTheClosedFormsAndWritesItsFiles() throws {
        let work = TestSupport.temporaryFolder("svm")
        let result = try TestSupport.host(["run", "SVM", "bias", "--a-max", "12", "--points", "12", "--steps", "5000", "--d", "3",
                                           "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = try metrics(result)
        for name in ["max_error_u", "max_error_alpha"] { XCTAssertLessThan(m[name] ?? .nan, 1e-4, name) }
        for name in ["max_error_v", "max_error_b", "max_error_margin"] { XCTAssertLessThan(m[name] ?? .nan, 1e-6, name) }
        XCTAssertEqual(m["half_norm_u_at_a_max"] ?? .nan, 0.25, accuracy: 1e-4)
        XCTAssertEqual(m["half_norm_v_at_a_max"] ?? .nan, 2.0 / 169, accuracy: 1e-9)
        XCTAssertEqual(m["one_point_alpha"], 0)
        for name in ["solution", "objectives", "margins"] {
            let svg = try XCTUnwrap(FileManager.default.contents(atPath: "\(work)/run/\(name).svg"), name)
            XCTAssertTrue(XMLParser(data: svg).parse(), "\(name).svg is well-formed XML")
        }
        let table = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/bias.csv")), as: UTF8.self)
        XCTAssertEqual(table.split(separator: "\n").count, 13, "a header and 12 values of a")
        XCTAssertTrue(table.contains("\n3,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.25,0.25,0.125,0.125,2,2,2,2"), table)
        for (arguments, expected) in [(["--a-min", "5", "--a-max", "2"], "must exceed --a-min"), (["--d", "0"], "--d"), (["--a-min", "-3"], "--a-min")] {
            let bad = try TestSupport.host(["run", "SVM", "bias"] + arguments, in: work)
            XCTAssertEqual(bad.status, 2, "\(arguments): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.contains(expected), "\(arguments): \(bad.stderr)")
        }
    }

    func testSolveWithBiasFitsTheOffsetOfShiftedBlobs() throws {
        let work = TestSupport.temporaryFolder("svm")
        // The blobs of the test above moved by +3 along x1: the separator x1 = 3, v = (2/3, 0), b = -2.
        try NPY.write(NPYArray(shape: [6, 2], floats: [1, 0, 0.5, 0.5, 1.5, -0.5, 5, 0, 5.5, 0.5, 4.5, -0.5]), to: work + "/x.npy")
        try NPY.write(NPYArray(shape: [6], floats: [-1, -1, -1, 1, 1, 1]), to: work + "/y.npy")
        let ok = try TestSupport.host(["run", "SVM", "solve", "--x", "x.npy", "--y", "y.npy", "--kernel", "linear", "--bias", "--lr", "0.02",
                                       "--steps", "20000", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let m = try metrics(ok)
        XCTAssertEqual(m["bias"] ?? .nan, -2, accuracy: 1e-5)
        XCTAssertEqual(m["train_accuracy"], 1)
        try TestSupport.assertEveryFileListed(work + "/run")
        let alphas = try NPY.read(work + "/run/alphas.npy").values
        XCTAssertEqual(alphas[2], 2.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(alphas[5], 2.0 / 9, accuracy: 1e-6)
        let help = try TestSupport.host(["help", "SVM", "solve"], in: work)
        XCTAssertTrue((help.stdout + help.stderr).contains("--bias"), help.stdout)
    }

    func testCafeOnTheStandInWithCheckpointAndEval() throws {
        let work = TestSupport.temporaryFolder("svm")
        let cache = ["XDG_CACHE_HOME": work + "/cache"]
        let result = try TestSupport.host(["run", "SVM", "cafe", "--epochs", "100", "--out", "run", "--quiet", "--json"], in: work, environment: cache)
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = try metrics(result)
        XCTAssertEqual(m["initial_loss"] ?? .nan, 1.8, accuracy: 0.3, "about log 6 before training")
        XCTAssertEqual(m["train_accuracy"], 1)
        let losses = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/metrics.csv")), as: UTF8.self)
            .split(separator: "\n").dropFirst().filter { !$0.isEmpty }
        XCTAssertEqual(losses.count, 100, "as the starter's fit: one loss per epoch, before its step (epochs 0-99)")
        XCTAssertTrue(losses.first?.hasPrefix("0,") ?? false, "\(losses.prefix(2))")
        XCTAssertTrue(losses.last?.hasPrefix("99,") ?? false, "\(losses.suffix(2))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/cache/host/cafe-standin-v1/011_h1.pgm"), "the stand-in is cached")
        let png = try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/weights.png"))
        let image = try PNG.decode([UInt8](png))
        XCTAssertEqual([image.width > 3 * 240, image.height > 2 * 380], [true, true], "a 2 x 3 grid of 240 x 380 maps")
        for file in ["confusion_train.csv", "confusion_test.csv", "confusion_test.svg", "loss.svg", "samples.png", "checkpoint/weight.npy"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/" + file), file)
        }
        let eval = try TestSupport.host(["eval", "SVM", "cafe", "--checkpoint", "run/checkpoint", "--out", "eval", "--json"], in: work, environment: cache)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertEqual(try metrics(eval)["test_accuracy"], m["test_accuracy"])
        XCTAssertTrue(eval.stderr.contains("test confusion matrix"), eval.stderr)
        let bad = try TestSupport.host(["run", "SVM", "cafe", "--cafe-dir", work + "/run"], in: work, environment: cache)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("holds no .pgm images"), bad.stderr)
    }
}
