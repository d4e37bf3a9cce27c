import Autoencoder
import Foundation
import PluginAPI
import XCTest

final class AutoencoderTests: XCTestCase {
    func testZeroInitialisationIsAFixedPoint() {
        var g = SeededGenerator(seed: 1)
        let z = Tensor.normal([30], generator: &g)
        let run = LinearExperiments.train(z: z, a: Tensor.zeros([30, 10], requiresGrad: true), b: Tensor.zeros([10, 30], requiresGrad: true), lr: 0.05, steps: 25)
        XCTAssertTrue((run.a.values + run.b.values).allSatisfy { $0 == 0 }, "A and B stay exactly zero")
        XCTAssertEqual(run.finalLoss, Double(z.values.reduce(0) { $0 + $1 * $1 }) / 2, accuracy: 1e-4)
    }

    func testDivergenceIsCaughtNotCrashed() {
        var g = SeededGenerator(seed: 2)
        let z = Tensor.normal([100], generator: &g), b0 = Tensor.normal([50, 100], std: Float(1 / 50.0.squareRoot()), generator: &g).values
        let run = LinearExperiments.train(z: z, a: Tensor.zeros([100, 50], requiresGrad: true), b: Tensor(b0, shape: [50, 100], requiresGrad: true), lr: 0.1, steps: 1000)
        XCTAssertTrue(run.diverged)
        XCTAssertLessThan(run.losses.count, 1000, "stopped at the blow-up")
        let good = LinearExperiments.train(z: z, a: Tensor.zeros([100, 50], requiresGrad: true), b: Tensor(b0, shape: [50, 100], requiresGrad: true), lr: 1e-3, steps: 1000)
        XCTAssertFalse(good.diverged)
        XCTAssertLessThan(good.finalLoss, 1e-8)
    }

    func testTheTrainedNetworkMapsItsTrainingImageToItself() throws {
        var g = SeededGenerator(seed: 3)
        let z = Tensor(GeneratedImages.make(count: 1, seed: 5).images, shape: [1, 3072])
        let net = AttractorExperiment.network(generator: &g)
        let fit = try AttractorExperiment.fit(net, z, lr: 1e-4, target: 1e-5, maxSteps: 1000)
        XCTAssertLessThan(fit.mse, 1e-5)
        let out = noGrad { net(z) }
        let rms = (zip(out.values, z.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / 3072).squareRoot()
        XCTAssertLessThan(rms, 0.0032, "f(z) = z to the fitted accuracy")
        // Too large a step kills the ReLUs (or blows up): the fit never reaches the target.
        let dead = try? AttractorExperiment.fit(AttractorExperiment.network(generator: &g), z, lr: 1e-2, target: 1e-5, maxSteps: 100)
        XCTAssertTrue(dead.map { !($0.mse < 1e-5) } ?? true, "lr 1e-2 does not fit: \(String(describing: dead))")
    }

    func testACancelledFitReportsTheStepsItTookAndTheirError() throws {
        let z = Tensor(GeneratedImages.make(count: 1, seed: 5).images, shape: [1, 3072])
        var checks = 0
        let watch = TrainingWatch(isCancelled: { checks += 1; return checks > 4 })
        var g1 = SeededGenerator(seed: 3), g2 = SeededGenerator(seed: 3)
        let cancelled = try AttractorExperiment.fit(AttractorExperiment.network(generator: &g1), z, lr: 1e-4, target: 0, maxSteps: 100, watch: watch)
        let four = try AttractorExperiment.fit(AttractorExperiment.network(generator: &g2), z, lr: 1e-4, target: 0, maxSteps: 4)
        XCTAssertEqual(cancelled.steps, 4)
        XCTAssertEqual(four.steps, 4)
        XCTAssertEqual(cancelled.mse, four.mse, "the error after the fourth step")
    }

    func testTheRandomTrainingImageIsNotAFittedOne() {
        let picks = (0..<200).map { AttractorExperiment.randomTrainingIndex(count: AttractorExperiment.trainingPool, seed: UInt64($0)) }
        XCTAssertTrue(picks.allSatisfy { (2..<AttractorExperiment.trainingPool).contains($0) }, "never z1 or z2 (images 0 and 1): \(picks)")
        XCTAssertGreaterThan(Set(picks).count, 30, "drawn, not fixed")
        XCTAssertEqual(AttractorExperiment.randomTrainingIndex(count: 64, seed: 7), AttractorExperiment.randomTrainingIndex(count: 64, seed: 7))
        XCTAssertEqual(AttractorExperiment.randomTrainingIndex(count: 3, seed: 7), 2)
    }

    /// Gradient descent on 1/2 ||A relu(B z) - z||^2 over the rows of z, in double precision:
    /// the MSE before each step and after the last, and the final B and A (PyTorch's layouts).
    static func referenceFit(b: [Float], a: [Float], z: [Float], rows m: Int, hidden: Int, lr: Double,
                             steps: Int) -> (mse: [Double], b: [Double], a: [Double]) {
        let d = z.count / m
        var (b, a) = (b.map(Double.init), a.map(Double.init))
        var mse: [Double] = []
        for step in 0...steps {
            var h = [Double](repeating: 0, count: m * hidden), delta = [Double](repeating: 0, count: m * d)
            for s in 0..<m {
                for j in 0..<hidden {
                    var sum = 0.0
                    for i in 0..<d { sum += b[j * d + i] * Double(z[s * d + i]) }
                    h[s * hidden + j] = max(0, sum)
                }
                for i in 0..<d {
                    var sum = 0.0
                    for j in 0..<hidden { sum += a[i * hidden + j] * h[s * hidden + j] }
                    delta[s * d + i] = sum - Double(z[s * d + i])
                }
            }
            mse.append(delta.reduce(0) { $0 + $1 * $1 } / Double(m * d))
            if step == steps { break }
            // dh = delta A masked by relu; dA = delta^T h; dB = dh^T z, with A before its update.
            var dh = [Double](repeating: 0, count: m * hidden)
            for s in 0..<m {
                for i in 0..<d { for j in 0..<hidden { dh[s * hidden + j] += delta[s * d + i] * a[i * hidden + j] } }
                for j in 0..<hidden where h[s * hidden + j] <= 0 { dh[s * hidden + j] = 0 }
            }
            for s in 0..<m {
                for i in 0..<d { for j in 0..<hidden { a[i * hidden + j] -= lr * delta[s * d + i] * h[s * hidden + j] } }
                for j in 0..<hidden { for i in 0..<d { b[j * d + i] -= lr * dh[s * hidden + j] * Double(z[s * d + i]) } }
            }
        }
        return (mse, b, a)
    }

    func testStepsMatchTheDoublePrecisionLoops() throws {
        // Through the engine (linear, relu, autograd, SGD): one and two images, whose weight
        // gradients stay as factors until SGD applies them row by row.
        for images in [1, 2] {
            let z = Tensor(GeneratedImages.make(count: images, seed: 9).images, shape: [images, 3072])
            var g = SeededGenerator(seed: 4)
            let net = AttractorExperiment.network(generator: &g)
            let (b, a) = (net.parameters()[0].values, net.parameters()[1].values)
            let steps = 3
            let fit = try AttractorExperiment.fit(net, z, lr: 1e-4, target: 0, maxSteps: steps)
            let reference = Self.referenceFit(b: b, a: a, z: z.values, rows: images, hidden: 1024, lr: 1e-4, steps: steps)
            XCTAssertEqual(fit.steps, steps)
            XCTAssertLessThan(reference.mse[steps], reference.mse[0], "the steps lower the error")
            XCTAssertEqual(fit.mse, reference.mse[steps], accuracy: 1e-5 * reference.mse[steps], "\(images) image(s)")
            // The weights moved by up to about 6e-4; the float32 run follows the double one to
            // 1e-4 of the largest move (measured: 1e-5).
            for (name, start, ours, theirs) in [("B", b, net.parameters()[0].values, reference.b), ("A", a, net.parameters()[1].values, reference.a)] {
                let moved = zip(start, theirs).map { abs(Double($0) - $1) }.max() ?? 0
                let worst = zip(ours, theirs).map { abs(Double($0) - $1) }.max() ?? 1
                XCTAssertGreaterThan(moved, 1e-6, "\(name) moved")
                XCTAssertLessThan(worst, 1e-4 * moved, "\(name) after \(steps) steps, \(images) image(s): moved \(moved), off by \(worst)")
            }
        }
    }

    func testCIFARBatchesRoundTripAndBadFilesAreRefused() throws {
        let folder = NSTemporaryDirectory() + "cifar-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let set = GeneratedImages.make(count: 7, seed: 1)
        try CIFAR10.writeBatch(set, to: folder + "/test_batch.bin")
        let back = try CIFAR10.readTest(folder: folder)
        XCTAssertEqual(back.count, 7)
        XCTAssertEqual(back.labels, set.labels)
        XCTAssertEqual(zip(back.images, set.images).map { abs($0 - $1) }.max() ?? 1, 0, accuracy: 0.5 / 255 + 1e-6, "8-bit rounding only")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/test_batch.bin")))
        try Data(bytes.dropLast(10)).write(to: URL(fileURLWithPath: folder + "/short.bin"))
        XCTAssertThrowsError(try CIFAR10.readBatch(folder + "/short.bin")) { XCTAssertTrue("\($0)".contains("short.bin: 21501 bytes is not a whole number"), "\($0)") }
        bytes[3073] = 12
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/label.bin"))
        XCTAssertThrowsError(try CIFAR10.readBatch(folder + "/label.bin")) { XCTAssertTrue("\($0)".contains("label.bin: record 1 has label 12"), "\($0)") }
        XCTAssertThrowsError(try CIFAR10.readTraining(folder: folder)) { XCTAssertTrue("\($0)".contains("data_batch_1.bin is missing"), "\($0)") }
    }
}
