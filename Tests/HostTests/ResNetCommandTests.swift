import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PluginAPI
import XCTest

/// The ResNet plugin through the CLI: runs, checkpoints, the sweep, and refused input.
final class ResNetCommandTests: XCTestCase {
    func json(_ result: TestSupport.Result) throws -> [String: Any] {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        return try XCTUnwrap(object["metrics"] as? [String: Any])
    }

    func number(_ value: Any?) -> Double? { value as? Double ?? (value as? Int).map(Double.init) }

    func testDigitsRunWritesCurvesFiguresAndACheckpointThatEvalReads() throws {
        let work = TestSupport.temporaryFolder("resnet")
        let result = try TestSupport.host(["run", "ResNet", "--epochs", "2", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try json(result)
        let accuracy = try XCTUnwrap(number(metrics["validation_accuracy"]))
        XCTAssertGreaterThan(accuracy, 0.3)
        let csv = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/metrics.csv")), as: UTF8.self)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "epoch,train_loss,validation_loss,validation_accuracy")
        XCTAssertEqual(lines.count, 4, "epoch 0 (before training) and two epochs")
        for file in ["loss.svg", "confusion.svg"] {
            let svg = try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/" + file), file)
            XCTAssertTrue(XMLParser(data: svg).parse(), "\(file) is well-formed XML")
        }
        for name in ["conv1.weight", "block.norm2.bias", "fc.bias", "model"] {
            let file = work + "/run/checkpoint/" + name + (name == "model" ? ".json" : ".npy")
            XCTAssertTrue(FileManager.default.fileExists(atPath: file), file)
        }
        try TestSupport.assertEveryFileListed(work + "/run")
        let eval = try TestSupport.host(["eval", "ResNet", "digits", "--checkpoint", "run/checkpoint", "--out", "eval", "--quiet", "--json"], in: work)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertEqual(try XCTUnwrap(number(try json(eval)["validation_accuracy"])), accuracy, accuracy: 1e-9, "the checkpoint gives the run's accuracy")
    }

    /// HW3 2(b): a conv bias before BatchNorm2d cancels in training mode (outputs and gradients
    /// equal, the bias gradient zero up to float32 rounding), leaves an evaluation-mode gap that
    /// follows gamma b 0.9^k / sqrt(var + eps), and does not cancel before LayerNorm.
    func testConvBiasBeforeBatchNormChangesNothing() throws {
        let work = TestSupport.temporaryFolder("conv-bias")
        let result = try TestSupport.host(["run", "ResNet", "conv-bias", "--warmup", "12", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = try json(result)
        for name in ["batchnorm_output_difference", "batchnorm_input_gradient_difference", "batchnorm_weight_gradient_difference",
                     "batchnorm_bias_gradient", "eval_closed_form_error", "layernorm_uniform_bias_difference"] {
            XCTAssertLessThan(try XCTUnwrap(number(m[name]), name), 1e-5, name)
        }
        XCTAssertGreaterThan(try XCTUnwrap(number(m["eval_difference"])), 0.1, "0.9^12 of a bias up to 3 is still visible")
        XCTAssertGreaterThan(try XCTUnwrap(number(m["layernorm_output_difference"])), 0.1, "LayerNorm over [C, H, W] keeps a per-channel bias")
        let csv = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/conv_bias.csv")), as: UTF8.self)
        XCTAssertEqual(csv.split(separator: "\n").count, 8, csv)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/eval_gap.svg"))
    }

    func testBadInputIsRefusedWithNoRunFolder() throws {
        let work = TestSupport.temporaryFolder("resnet")
        let weights = work + "/weights"
        try FileManager.default.createDirectory(atPath: weights, withIntermediateDirectories: true)
        try NPY.write(NPYArray(shape: [16, 1, 3, 3], floats: Array(repeating: 0.1, count: 144)), to: weights + "/conv1.weight.npy")
        let huge = work + "/huge"
        try FileManager.default.createDirectory(atPath: huge, withIntermediateDirectories: true)
        try NPY.write(NPYArray(shape: [16, 1, 3, 3], values: [1e300] + Array(repeating: 0.1, count: 143), dtype: "<f8"), to: huge + "/conv1.weight.npy")
        let corrupt = work + "/corrupt"
        try FileManager.default.createDirectory(atPath: corrupt, withIntermediateDirectories: true)
        try Data([0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 8, 0, 0, 0, 8, 1, 2, 3]).write(to: URL(fileURLWithPath: corrupt + "/x-images-idx3-ubyte"))
        try IDX.write(IDXArray(shape: [9], bytes: Array(repeating: 1, count: 9)), to: corrupt + "/x-labels-idx1-ubyte")
        let cases: [([String], String)] = [
            (["--act", "tanh"], "--act"),
            (["--init-weights", weights], "norm1.weight.npy is missing"),
            (["--init-weights", huge], "beyond the float32 range"),
            (["--digits-dir", corrupt], "x-images-idx3-ubyte: truncated"),
            (["--digits-dir", work + "/nothing"], "is not a folder"),
            (["--validation", "5000"], "leaves no training images"),
        ]
        for (arguments, expected) in cases {
            let result = try TestSupport.host(["run", "ResNet"] + arguments + ["--epochs", "1"], in: work)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("hint:"), "\(arguments) has a hint: \(result.stderr)")
        }
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: work + "/runs")) ?? [], [], "no run folder left")
    }

    /// Issue 19's memory bound: an MNIST-sized IDX set (60,000 images of 28 x 28, 188 MB as
    /// float32) is held once, and training plus evaluation beside it keep the run's peak
    /// resident memory under four times that (it was 908 MB when the evaluation and the confusion
    /// matrix took 2,048 and 10,000 images per pass).
    func testAnMNISTSizedSetTrainsInUnderFourTimesItsFloatSize() throws {
        let work = TestSupport.temporaryFolder("resnet-mnist")
        let (n, side) = (60_000, 28)
        var generator = SeededGenerator(seed: 9)
        let labels = (0..<n).map { _ in UInt8(generator.next() % 10) }
        let pixels = (0..<(n * side * side)).map { i in UInt8(truncatingIfNeeded: (i &* 2_654_435_761) >> 24) }
        try IDX.write(IDXArray(shape: [n, side, side], bytes: pixels), to: work + "/train-images-idx3-ubyte")
        try IDX.write(IDXArray(shape: [n], bytes: labels), to: work + "/train-labels-idx1-ubyte")
        let result = try TestSupport.host(["run", "ResNet", "digits", "--digits-dir", work, "--validation", "10000", "--epochs", "1",
                                           "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let peak = try XCTUnwrap(number(try json(result)["peak_rss_mb"]))
        let floatSize = Double(n * side * side * 4) / 1e6
        XCTAssertLessThan(peak, 4 * floatSize, "peak \(peak) MB for \(floatSize) MB of float32 images")
        XCTAssertGreaterThan(peak, floatSize, "the images are in memory")
        try? FileManager.default.removeItem(atPath: work)
    }

    func testMNISTStyleImagesOfAnotherSize() throws {
        let work = TestSupport.temporaryFolder("resnet")
        var generator = SeededGenerator(seed: 4)
        let n = 40
        let labels = (0..<n).map { UInt8($0 % 10) }
        // A bright square whose position depends on the label, on 12 x 14 images.
        var pixels = [UInt8](repeating: 0, count: n * 12 * 14)
        for i in 0..<n {
            let (r, c) = (Int(labels[i]) % 3 * 3, Int(labels[i]) / 3 * 3)
            for y in r..<r + 3 { for x in c..<c + 3 { pixels[i * 168 + y * 14 + x] = UInt8(200 + generator.next() % 50) } }
        }
        try IDX.write(IDXArray(shape: [n, 12, 14], bytes: pixels), to: work + "/train-images-idx3-ubyte")
        try IDX.write(IDXArray(shape: [n], bytes: labels), to: work + "/train-labels-idx1-ubyte")
        let result = try TestSupport.host(["run", "ResNet", "--digits-dir", work, "--validation", "10", "--epochs", "1", "--out", "run", "--quiet"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try TestSupport.host(["run", "ResNet", "summary", "--height", "12", "--width", "14", "--out", "summary"], in: work)
        XCTAssertEqual(summary.status, 0, summary.stderr)
        XCTAssertTrue(summary.stderr.contains("norm1        LayerNorm") || summary.stderr.contains("[1, 16, 6, 7]"), summary.stderr)
        XCTAssertTrue(summary.stderr.contains("total parameters: 5018"), summary.stderr)
    }

    func testSweepMakesTwelvePlotsAGridAndATable() throws {
        let work = TestSupport.temporaryFolder("resnet")
        let result = try TestSupport.host(["run", "ResNet", "sweep", "--epochs", "1", "--seeds", "1", "--out", "s", "--quiet"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/s/sweep.csv")), as: UTF8.self)
        let rows = table.split(separator: "\n")
        XCTAssertEqual(rows.count, 5, table)
        XCTAssertTrue(rows[1].hasPrefix("ReLU + BatchNorm,1,"), table)
        for file in ["grid.svg", "accuracy.svg", "loss-relu_batch-seed0.svg", "loss-silu_layer-seed0.svg"] {
            let svg = try XCTUnwrap(FileManager.default.contents(atPath: work + "/s/" + file), file)
            XCTAssertTrue(XMLParser(data: svg).parse(), "\(file) is well-formed XML")
        }
    }
}
