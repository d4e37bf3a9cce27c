import Foundation
import PluginAPI
import Review
import XCTest

/// The review sheet's closed forms, and the measured values within their error bars.
final class ReviewTests: XCTestCase {
    func testConvolutionClosedFormAndShift() {
        for length in [1, 3, 5] {
            for n in -6...12 {
                XCTAssertEqual(ConvolutionExperiment.direct(n, length: length), ConvolutionExperiment.closedForm(n, length: length), accuracy: 1e-12, "L \(length) n \(n)")
                XCTAssertEqual(ConvolutionExperiment.direct(n, length: length, start: 5), ConvolutionExperiment.direct(n - 5, length: length), accuracy: 1e-12)
            }
        }
        XCTAssertEqual(ConvolutionExperiment.closedForm(7, length: 5), 31.0 / 128, accuracy: 1e-15, "(2^L - 1) (1/2)^n")
    }

    func testShapesFollowTheFormulas() {
        var g = SeededGenerator(seed: 0)
        let (model, flat) = ShapesExperiment.network(size: 28, generator: &g)
        XCTAssertEqual(flat, 250)
        let summary = ModelSummary.of(model, input: Tensor.zeros([1, 1, 28, 28]))
        XCTAssertEqual(summary.rows.map(\.outputShape), [[1, 10, 26, 26], [1, 10, 13, 13], [1, 10, 11, 11], [1, 10, 5, 5], [1, 250], [1, 3]])
        XCTAssertEqual(summary.rows.map(\.parameters), [100, 0, 910, 0, 0, 753])
        XCTAssertEqual(ShapesExperiment.outputSize(32, kernel: 5, padding: 2, stride: 2), 16)
    }

    func testDilationAndReceptiveField() {
        XCTAssertEqual(DilationExperiment.dilatedSum(), 20)
        let pixels = DilationExperiment.receptiveField()
        XCTAssertEqual(pixels.count, 49)
        XCTAssertEqual(Set(pixels.map(\.0)).count, 7)
        XCTAssertEqual(Set(pixels.map(\.1)).count, 7)
    }

    func testInstanceNoiseWithinErrorBars() {
        var g = SeededGenerator(seed: 4)
        let r = NoiseExperiment.expectedLoss(m: 8, n: 3, sigma: 0.7, samples: 20_000, generator: &g)
        XCTAssertLessThan(abs(r.mean - r.closedForm), 4 * r.standardError)
        let d = NoiseExperiment.noisyDescent(x: 1, y: 2, sigma: 0.5, lr: 0.3, steps: 20, runs: 20_000, generator: &g)
        for t in 1...20 { XCTAssertLessThan(abs(d.mean[t] - d.recurrence[t]), 4.5 * d.standardError[t] + 1e-12, "step \(t)") }
        XCTAssertEqual(d.recurrence[20], 2 / 1.25, accuracy: 1e-3, "the limit x y / (x^2 + sigma^2)")
    }

    func testKLFitsCoverAndSeek() {
        let count = 801, low: Float = -10, high: Float = 10
        let dz = (high - low) / Float(count - 1)
        let zs = (0..<count).map { low + Float($0) * dz }
        func normal(_ v: Float, _ m: Float) -> Float { exp(-0.5 * ((v - m) / 0.6) * ((v - m) / 0.6)) / (0.6 * Float(2 * Double.pi).squareRoot()) }
        let p = Tensor(zs.map { 0.5 * normal($0, -2) + 0.5 * normal($0, 2) }, shape: [count]), z = Tensor(zs, shape: [count])
        let forward = KLExperiment.fit(p: p, z: z, dz: dz, forward: true, start: (0.5, 1), steps: 3000)
        XCTAssertEqual(forward.mean, 0, accuracy: 1e-3)
        XCTAssertEqual(forward.std, (0.36 + 4.0).squareRoot(), accuracy: 1e-2, "moment matching")
        let reverse = KLExperiment.fit(p: p, z: z, dz: dz, forward: false, start: (1.5, 0.6), steps: 3000)
        XCTAssertEqual(reverse.mean, 2, accuracy: 0.05, "one mode")
        XCTAssertEqual(reverse.std, 0.6, accuracy: 0.05)
    }

    func testInitialisationPreservesNormsAndSymmetryPersists() throws {
        var g = SeededGenerator(seed: 6)
        for relu in [false, true] {
            let r = InitExperiment.normRatio(m: 32, variance: relu ? 2 : 1, relu: relu, draws: 1500, generator: &g)
            XCTAssertLessThan(abs(r.mean - 1), 4 * r.standardError, "relu \(relu): \(r)")
        }
        XCTAssertEqual(try InitExperiment.unitDifference(symmetric: true, steps: 200, generator: &g), 0, "equal units stay equal")
        XCTAssertGreaterThan(try InitExperiment.unitDifference(symmetric: false, steps: 200, generator: &g), 0.01)
    }

    func testAugmentationShiftsAndKeepsLabels() throws {
        var g = SeededGenerator(seed: 2)
        let digits = try DigitsDataset.embedded().slice(0..<5)
        let augmented = LeakageExperiment.augment(digits, copies: 3, noise: 0, generator: &g)
        XCTAssertEqual(augmented.count, 15)
        XCTAssertEqual(augmented.labels, digits.labels.flatMap { [$0, $0, $0] })
        // Without noise each copy is the image moved by at most one pixel (zeros shifted in).
        for c in 0..<15 {
            let original = Array(digits.images[(c / 3) * 64..<(c / 3 + 1) * 64]), copy = Array(augmented.images[c * 64..<(c + 1) * 64])
            let matches = (-1...1).contains { dy in (-1...1).contains { dx in
                (0..<64).allSatisfy { p in
                    let (sy, sx) = (p / 8 - dy, p % 8 - dx)
                    return copy[p] == (sy >= 0 && sy < 8 && sx >= 0 && sx < 8 ? original[sy * 8 + sx] : 0)
                }
            } }
            XCTAssertTrue(matches, "copy \(c) is a one-pixel shift of its image")
        }
    }
}
