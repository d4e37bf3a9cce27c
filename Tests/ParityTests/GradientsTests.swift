import PluginAPI
import Parity
import XCTest

final class GradientsTests: XCTestCase {
    /// The brute-force gradients (Double) against autograd on the mean hinge loss over all 2^d
    /// inputs, for parity labels and for labels all -1.
    func testEnumeratedGradientsMatchAutogradByBruteForce() throws {
        for d in [2, 3, 5] {
            var g = SeededGenerator(seed: UInt64(d))
            let network = TwoLayerReLU(d: d, hidden: 4 * d, generator: &g)
            let gradients = try ParityGradients(network)
            let x = Tensor.zeros([1 << d, d])
            for r in 0..<(1 << d) { for j in 0..<d { x[flat: r * d + j] = Float((r >> j) & 1) } }
            for (mask, sign) in [(0, 1.0), (1, 1), ((1 << d) - 1, 1), (5 % (1 << d), 1), (0, -1)] {
                let fast = gradients.enumeratedGradients(masks: [mask], sign: sign).map(Float.init)
                let y = Tensor((0..<(1 << d)).map { Float(sign) * Float((mask & $0).nonzeroBitCount % 2 == 0 ? 1 : -1) }, shape: [1 << d])
                network.zeroGrad()
                hingeLoss(network(x).reshape([1 << d]), y).backward()
                let reference = network.parameters().flatMap { $0.grad?.values ?? [Float](repeating: 0, count: $0.count) }
                XCTAssertEqual(reference.count, gradients.parameterCount)
                assertClose(fast, reference, "d \(d) mask \(mask) sign \(sign)")
            }
        }
    }

    /// Parseval's closed form against the brute force over all 2^d masks, at initialisation
    /// (|f| < 1 almost everywhere), with the output layer rescaled so f spans [-2, 2] (|f| >= 1
    /// on many inputs, so A != 0 and B = -1/2 are exercised) and on the hand-built network of 3a (f = ±1
    /// exactly: every input is a tie y f = 1 for its own mask).
    func testClosedFormEqualsEnumerationOverAllMasks() throws {
        var worst = 0.0
        for seed in 0..<3 {
            for d in [1, 2, 3, 5, 8, 10] {
                var g = SeededGenerator(seed: UInt64(seed), stream: UInt64(d))
                let gradients = try ParityGradients(TwoLayerReLU(d: d, hidden: 10 * d, generator: &g))
                let error = gradients.exactMoments().relativeError(to: gradients.enumeratedMoments())
                XCTAssertLessThan(error, 1e-10, "seed \(seed) d \(d)")
                worst = max(worst, error)
            }
        }
        for d in [3, 6, 9] {
            var g = SeededGenerator(seed: 7, stream: UInt64(d))
            let network = TwoLayerReLU(d: d, hidden: 10 * d, generator: &g)
            let base = try ParityGradients(network)
            // f' = s (f - mid) spans [-2, 2]: alpha' = s alpha, beta' = s (beta - mid).
            let f = (0..<(1 << d)).map(base.output)
            let (low, high) = (f.min() ?? 0, f.max() ?? 0)
            let (s, mid) = (4 / max(high - low, 1e-6), (high + low) / 2)
            let scaled = try ParityGradients(d: d, k: 10 * d, weight: network.hidden.weight.values.map(Double.init),
                                             bias: (network.hidden.bias?.values ?? []).map(Double.init),
                                             alpha: network.output.weight.values.map { s * Double($0) },
                                             beta: s * (Double(network.output.bias?.values.first ?? 0) - mid))
            let outputs = (0..<(1 << d)).map(scaled.output)
            XCTAssertTrue(outputs.contains { $0 >= 1 } && outputs.contains { $0 <= -1 } && outputs.contains { abs($0) < 1 },
                          "d \(d): f covers both sides of ±1 (\(outputs.min() ?? 0) ... \(outputs.max() ?? 0))")
            for gradients in [base, scaled] {
                let error = gradients.exactMoments().relativeError(to: gradients.enumeratedMoments())
                XCTAssertLessThan(error, 1e-10, "scaled d \(d)")
                worst = max(worst, error)
            }
        }
        for d in [4, 6, 8] {
            var g = SeededGenerator(seed: UInt64(d))
            let gradients = try ParityGradients(ParityNetwork.handBuilt(mask: ParityData(d: d, generator: &g).mask, corrected: true))
            XCTAssertTrue((0..<(1 << d)).allSatisfy { abs(gradients.output($0)) == 1 }, "d \(d): the hand-built network is ±1 everywhere")
            let error = gradients.exactMoments().relativeError(to: gradients.enumeratedMoments())
            XCTAssertLessThan(error, 1e-10, "hand-built d \(d)")
            worst = max(worst, error)
        }
        print("closed form against enumeration: largest relative error \(worst)")
    }

    /// The experiment's variance (3 draws of p per d) falls at every step from d = 2 to 16,
    /// for seeds 0, 1, 2, by a factor in 0.3 ... 0.85 once d >= 5 (2^-d times a C_p that grows
    /// slowly and varies some 20% between draws); the experiment's own check agrees.
    func testVarianceFallsAtEveryDUpTo16() throws {
        for seed in 0..<3 {
            var variances: [Double] = []
            for d in 2...16 {
                var g = SeededGenerator(seed: UInt64(seed), stream: UInt64(d))
                let point = try GradientsExperiment.point(d: d, widthFactor: 10, draws: 3, enumerate: d <= 6, generator: &g)
                variances.append(point.exact.variance)
                if d <= 6 { XCTAssertLessThan(point.relativeError ?? 1, 1e-10, "seed \(seed) d \(d)") }
            }
            for (d, (a, b)) in zip(3..., zip(variances, variances.dropFirst())) {
                XCTAssertLessThan(b, a, "seed \(seed): variance at d = \(d) is not below d = \(d - 1)")
                if d >= 5 { XCTAssertTrue((0.3...0.85).contains(b / a), "seed \(seed) d \(d): ratio \(b / a)") }
            }
        }
    }
}

func assertClose(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > 1e-5 + 1e-4 * abs(y) {
        return XCTFail("\(message): [\(i)] \(x) vs \(y)", file: file, line: line)
    }
}
