import Foundation
import PluginAPI
import ResNet
import XCTest

/// The hw3 ResNet's training loop against PyTorch, from the same initial weights.
final class FitAndValidateTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/resnet").path

    /// Tests/Fixtures/resnet/<act>-<norm>/: initial parameters and PyTorch's curve over 3 epochs,
    /// written by `bench/resnet_digits.py --fixtures Tests/Fixtures/resnet --epochs 3`.
    func testLossCurvesMatchPyTorchForEveryCombination() throws {
        let data = try DigitsSplit.load(folder: nil, validation: 180)
        for combo in ["relu-batch", "relu-layer", "silu-batch", "silu-layer"] {
            let folder = Self.fixtures + "/" + combo
            var s = FitAndValidate.Settings()
            s.activation = combo.hasPrefix("silu") ? .silu : .relu
            s.norm = combo.hasSuffix("layer") ? .layer : .batch
            s.epochs = 3
            s.initWeights = folder
            let model = try FitAndValidate.makeModel(s, data: data, seed: 99)
            let outcome = try FitAndValidate.run(model, data: data, settings: s)
            let rows = try String(contentsOfFile: folder + "/pytorch_curve.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            let expected = rows.map { $0.split(separator: ",").dropFirst().compactMap { Double($0) } }
            XCTAssertEqual(outcome.points.count, 4, "before training and after each of 3 epochs")
            for (epoch, (point, reference)) in zip(outcome.points, expected).enumerated() {
                XCTAssertEqual(point.trainLoss, reference[0], accuracy: 1e-5 * reference[0], "\(combo) epoch \(epoch) training loss")
                XCTAssertEqual(point.validationLoss, reference[1], accuracy: 1e-5 * reference[1], "\(combo) epoch \(epoch) validation loss")
                XCTAssertEqual(point.validationAccuracy, reference[2], accuracy: 1e-6, "\(combo) epoch \(epoch) validation accuracy")
            }
        }
    }

    /// A set larger than one measuring pass (2,048 images) is measured in chunks: the weighted
    /// mean of the chunks equals one pass over all of it, to float32 summation order.
    func testMeasuringInChunksEqualsOnePass() throws {
        var g = SeededGenerator(seed: 3)
        let n = 5000
        let images = (0..<(n * 64)).map { _ in g.nextFloat() * 16 }
        let labels = (0..<n).map { $0 % 10 }
        let all = LabeledImages(images: images, labels: labels, channels: 1, height: 8, width: 8)
        let data = DigitsSplit(train: all.slice(100..<n), validation: all.slice(0..<100), source: "random")
        let model = try FitAndValidate.makeModel(FitAndValidate.Settings(), data: data, seed: 1)
        let point = FitAndValidate.evaluate(model, data)
        model.eval()
        let whole = noGrad { crossEntropy(model(data.train.batch(0..<data.train.count)), targets: data.train.labels).item }
        XCTAssertEqual(point.trainLoss, Double(whole), accuracy: 1e-5 * Double(whole))
    }

    func testMeasuringOnASecondThreadGivesTheSameNumbers() throws {
        let data = try DigitsSplit.load(folder: nil, validation: 180)
        var s = FitAndValidate.Settings()
        s.epochs = 2
        let inline = try FitAndValidate.run(try FitAndValidate.makeModel(s, data: data, seed: 5), data: data, settings: s, threads: 1)
        let metrics = MetricsLog()
        let overlapped = try FitAndValidate.run(try FitAndValidate.makeModel(s, data: data, seed: 5), data: data, settings: s, threads: 2,
                                                watch: TrainingWatch(metrics: metrics))
        XCTAssertEqual(metrics.rows.map(\.step), [0, 1, 2], "every measurement is logged, in order")
        XCTAssertEqual(metrics.rows.map { $0.values[0].1 }, overlapped.points.map(\.trainLoss))
        XCTAssertEqual(inline.points.map(\.trainLoss), overlapped.points.map(\.trainLoss))
        XCTAssertEqual(inline.points.map(\.validationLoss), overlapped.points.map(\.validationLoss))
    }

    func testTheSplitIsTheCoursesAndTheLossFalls() throws {
        let data = try DigitsSplit.load(folder: nil, validation: 180)
        XCTAssertEqual([data.train.count, data.validation.count], [1617, 180])
        XCTAssertEqual(data.validation.labels.prefix(3), [0, 1, 2], "the first 180 images are validation")
        XCTAssertEqual(data.train.labels.first, try DigitsDataset.embedded().labels[180])
        var s = FitAndValidate.Settings()
        s.epochs = 2
        s.norm = .layer
        let outcome = try FitAndValidate.run(try FitAndValidate.makeModel(s, data: data, seed: 1), data: data, settings: s)
        XCTAssertLessThan(outcome.last.trainLoss, outcome.points[0].trainLoss)
        XCTAssertGreaterThan(outcome.last.validationAccuracy, 0.3, "two epochs beat chance (0.1)")
    }

    func testDivergenceIsReportedNotCrashed() throws {
        let data = try DigitsSplit.load(folder: nil, validation: 180)
        var s = FitAndValidate.Settings()
        (s.epochs, s.lr, s.norm) = (2, 1e6, .layer)
        XCTAssertThrowsError(try FitAndValidate.run(try FitAndValidate.makeModel(s, data: data, seed: 1), data: data, settings: s)) { error in
            XCTAssertEqual((error as? PluginError)?.kind, .diverged)
            XCTAssertTrue("\(error)".contains("at epoch 1") || "\(error)".contains("after epoch"), "\(error)")
        }
    }
}
