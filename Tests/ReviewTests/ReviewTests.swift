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

    func testTheDefaultTableIsTheSheetsTable() throws {
        let formula = try ShapesExperiment.formulaTable()
        XCTAssertEqual(formula.map(\.layer), ["Input", "CONV3-10", "POOL2", "CONV3-10", "POOL2", "FLATTEN", "FC-3"])
        XCTAssertEqual(formula.map(\.activationText), ["28x28x1", "28x28x10", "14x14x10", "14x14x10", "7x7x10", "490", "3"])
        XCTAssertEqual(formula.map(\.product), ["0", "3x3x1x10 + 10", "0", "3x3x10x10 + 10", "0", "0", "490x3 + 3"])
        XCTAssertEqual(formula.map(\.parameters), [0, 100, 0, 910, 0, 0, 1473])
        XCTAssertEqual(formula.reduce(0) { $0 + $1.parameters }, 2483)
        let engine = try ShapesExperiment.engineTable()
        XCTAssertEqual(engine.map(\.activation), formula.map(\.activation), "the engine's Conv2d, MaxPool2d, Flatten and Linear")
        XCTAssertEqual(engine.map(\.parameters), formula.map(\.parameters))
        XCTAssertEqual(ShapesExperiment.mismatches(formula, engine), 0)
        let text = ShapesExperiment.text(formula, engine: engine)
        XCTAssertTrue(text.contains("490x3 + 3 = 1,473"), text)
        XCTAssertTrue(text.contains("Total"), text)
    }

    func testFormulaAndEngineAgreeOverAGridOfPaddingsAndStrides() throws {
        var fitting = 0, refused = 0
        for size in [4, 10, 13, 28, 31] {
            for padding in 0...3 {
                for stride in 1...3 {
                    let setting = "size \(size) padding \(padding) stride \(stride)"
                    guard let formula = try? ShapesExperiment.formulaTable(.init(size: size, padding: padding, stride: stride)) else {
                        refused += 1
                        XCTAssertThrowsError(try ShapesExperiment.engineTable(.init(size: size, padding: padding, stride: stride)), setting)
                        continue
                    }
                    fitting += 1
                    let engine = try ShapesExperiment.engineTable(.init(size: size, padding: padding, stride: stride), seed: UInt64(size))
                    XCTAssertEqual(ShapesExperiment.mismatches(formula, engine), 0, setting)
                    XCTAssertEqual(engine.map(\.activation), formula.map(\.activation), setting)
                    XCTAssertEqual(engine.map(\.parameters), formula.map(\.parameters), setting)
                }
            }
        }
        XCTAssertGreaterThan(fitting, 30)
        XCTAssertGreaterThan(refused, 3, "the grid reaches settings where a layer does not fit")
    }

    func testFormulaAndEngineAgreeOverKernelsFiltersAndPools() throws {
        var fitting = 0, refused = 0
        for kernel in [1, 2, 3, 5] {
            for filters in [1, 4, 10] {
                for (poolKernel, poolStride) in [(2, 2), (3, 2), (2, 1), (3, 3)] {
                    for (size, padding, stride) in [(28, 1, 1), (13, 0, 2), (9, 2, 1)] {
                        let a = ShapesExperiment.Architecture(size: size, kernel: kernel, filters: filters, padding: padding, stride: stride,
                                                              poolKernel: poolKernel, poolStride: poolStride)
                        guard let formula = try? ShapesExperiment.formulaTable(a) else {
                            refused += 1
                            XCTAssertThrowsError(try ShapesExperiment.engineTable(a), "\(a)")
                            continue
                        }
                        fitting += 1
                        let engine = try ShapesExperiment.engineTable(a, seed: UInt64(kernel))
                        XCTAssertEqual(engine.map(\.activation), formula.map(\.activation), "\(a)")
                        XCTAssertEqual(engine.map(\.parameters), formula.map(\.parameters), "\(a)")
                        XCTAssertEqual(formula[1].parameters, kernel * kernel * filters + filters, "K^2 C F + F with C = 1")
                        XCTAssertEqual(formula[3].parameters, kernel * kernel * filters * filters + filters, "K^2 C F + F with C = F")
                    }
                }
            }
        }
        XCTAssertGreaterThan(fitting, 100)
        XCTAssertGreaterThan(refused, 3, "the grid reaches settings where a layer does not fit")
        let named = try ShapesExperiment.formulaTable(.init(kernel: 5, filters: 6, padding: 2, poolKernel: 3, poolStride: 2))
        XCTAssertEqual(named.map(\.layer), ["Input", "CONV5-6", "POOL3/2", "CONV5-6", "POOL3/2", "FLATTEN", "FC-3"])
        XCTAssertEqual(named.map(\.activationText), ["28x28x1", "28x28x6", "13x13x6", "13x13x6", "6x6x6", "216", "3"])
        XCTAssertEqual(named[3].product, "5x5x6x6 + 6")
        var g = SeededGenerator(seed: 0)
        XCTAssertThrowsError(try ShapesExperiment.network(.init(size: 1024, kernel: 11, filters: 64, padding: 8), generator: &g)) { error in
            XCTAssertTrue((error as? PluginError)?.message.contains("floats") ?? false, "\(error)")
        }
    }

    func testAWrongExpectationIsCountedAsMismatches() throws {
        // The old table (no padding: 26, 13, 11, 5, 250, FC 753) against the sheet's network.
        let unpadded = try ShapesExperiment.formulaTable(.init(padding: 0))
        XCTAssertEqual(unpadded.map(\.activationText), ["28x28x1", "26x26x10", "13x13x10", "11x11x10", "5x5x10", "250", "3"])
        XCTAssertEqual(unpadded.last?.parameters, 753)
        let engine = try ShapesExperiment.engineTable(.init(padding: 1))
        XCTAssertEqual(ShapesExperiment.mismatches(unpadded, engine), 6, "every row but the input differs (FC-3 in its parameters)")
        XCTAssertEqual(ShapesExperiment.mismatches(Array(engine.dropLast()), engine), 1, "a missing row counts")
        var wrongCount = engine
        wrongCount[1].parameters -= 10
        XCTAssertEqual(ShapesExperiment.mismatches(wrongCount, engine), 1, "a conv layer counted without its biases")
    }

    func testOutputSizeIsTheSheetsFloor() {
        XCTAssertEqual(ShapesExperiment.outputSize(32, kernel: 5, padding: 2, stride: 2), 16)
        XCTAssertEqual(ShapesExperiment.outputSize(28, kernel: 3, padding: 1, stride: 1), 28)
        XCTAssertEqual(ShapesExperiment.outputSize(7, kernel: 2, stride: 2), 3, "floor(5 / 2) + 1")
        XCTAssertEqual(ShapesExperiment.outputSize(2, kernel: 3, stride: 2), 0, "floor(-1 / 2) + 1: a true floor, not truncation")
        XCTAssertEqual(ShapesExperiment.outputSize(1, kernel: 3), -1)
    }

    func testALayerThatDoesNotFitIsBadInput() {
        for (size, padding, stride) in [(10, 0, 3), (10, 1, 4), (4, 0, 1)] {
            XCTAssertThrowsError(try ShapesExperiment.formulaTable(.init(size: size, padding: padding, stride: stride))) { error in
                XCTAssertEqual((error as? PluginError)?.kind, .invalidInput, "\(error)")
                XCTAssertTrue((error as? PluginError)?.message.contains("does not fit") ?? false, "\(error)")
            }
            var g = SeededGenerator(seed: 0)
            XCTAssertThrowsError(try ShapesExperiment.network(.init(size: size, padding: padding, stride: stride), generator: &g))
        }
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

    func testKLFitsCoverAndSeek() throws {
        let count = 801, low: Float = -10, high: Float = 10
        let dz = (high - low) / Float(count - 1)
        let zs = (0..<count).map { low + Float($0) * dz }
        func normal(_ v: Float, _ m: Float) -> Float { exp(-0.5 * ((v - m) / 0.6) * ((v - m) / 0.6)) / (0.6 * Float(2 * Double.pi).squareRoot()) }
        let p = Tensor(zs.map { 0.5 * normal($0, -2) + 0.5 * normal($0, 2) }, shape: [count]), z = Tensor(zs, shape: [count])
        let forward = try KLExperiment.fit(p: p, z: z, dz: dz, forward: true, start: (0.5, 1), steps: 3000)
        XCTAssertEqual(forward.mean, 0, accuracy: 1e-3)
        XCTAssertEqual(forward.std, (0.36 + 4.0).squareRoot(), accuracy: 1e-2, "moment matching")
        let reverse = try KLExperiment.fit(p: p, z: z, dz: dz, forward: false, start: (1.5, 0.6), steps: 3000)
        XCTAssertEqual(reverse.mean, 2, accuracy: 0.05, "one mode")
        XCTAssertEqual(reverse.std, 0.6, accuracy: 0.05)
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
