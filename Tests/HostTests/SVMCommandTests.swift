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

    func testCafeOnTheStandInWithCheckpointAndEval() throws {
        let work = TestSupport.temporaryFolder("svm")
        let cache = ["XDG_CACHE_HOME": work + "/cache"]
        let result = try TestSupport.host(["run", "SVM", "cafe", "--epochs", "100", "--out", "run", "--quiet", "--json"], in: work, environment: cache)
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = try metrics(result)
        XCTAssertEqual(m["initial_loss"] ?? .nan, 1.8, accuracy: 0.3, "about log 6 before training")
        XCTAssertEqual(m["train_accuracy"], 1)
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
