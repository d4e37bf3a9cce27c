import PluginAPI
import Parity
import XCTest

/// HW7 3(c)(i), (iii) and (iv)'s bound (`GradientBound.swift`).
final class GradientBoundTests: XCTestCase {
    /// Networks that exercise every case: PyTorch's initialisation (|f| < 1 everywhere), the
    /// same with weights x3, biases +1 and output weights x5 (|f| >= 1 on many inputs, units on
    /// everywhere), and the hand-built network of 3a (f = ±1, weights far from the initial ones).
    func networks(d: Int, seed: UInt64) throws -> [ParityGradients] {
        var g = SeededGenerator(seed: seed, stream: UInt64(d))
        let network = TwoLayerReLU(d: d, hidden: 10 * d, generator: &g)
        let (w, b) = (network.hidden.weight.values.map(Double.init), (network.hidden.bias?.values ?? [Float]()).map(Double.init))
        let (alpha, beta) = (network.output.weight.values.map(Double.init), Double(network.output.bias?.values.first ?? Float(0)))
        let scaled = try ParityGradients(d: d, k: 10 * d, weight: w.map { 3 * $0 }, bias: b.map { $0 + 1 }, alpha: alpha.map { 5 * $0 }, beta: beta)
        let mask = ParityData(d: d, generator: &g).mask
        return [try ParityGradients(network), scaled, try ParityGradients(ParityNetwork.handBuilt(mask: mask, corrected: true))]
    }

    /// The largest |grad_p f(x)_j| over every x in {0,1}^d, from the gradients formed one by one.
    func largestEntry(_ gradients: ParityGradients) -> Double {
        (0..<gradients.inputs).reduce(0) { m, x in gradients.jacobian(x).reduce(m) { max($0, abs($1)) } }
    }

    /// (i) The closed-form grad_p f(x) equals the engine's autograd at x = 0, all ones and random
    /// inputs, for initial networks and for ones with large biases (every unit on).
    func testClosedFormGradientMatchesAutogradAtRandomInputs() throws {
        for d in [1, 2, 3, 5, 8, 12] {
            var g = SeededGenerator(seed: 3, stream: UInt64(d))
            let network = TwoLayerReLU(d: d, hidden: 4 * d, generator: &g)
            for shift: Float in [0, 1.5] {
                if shift > 0, let bias = network.hidden.bias { for i in 0..<bias.count { bias[flat: i] += shift } }
                let gradients = try ParityGradients(network)
                let xs = [0, (1 << d) - 1] + (0..<8).map { _ in Int(g.next() & UInt64((1 << d) - 1)) }
                for x in xs {
                    let reference = ParityGradients.autogradJacobian(network, x: x).map(Float.init)
                    XCTAssertEqual(reference.count, gradients.parameterCount)
                    assertClose(gradients.jacobian(x).map(Float.init), reference, "d \(d) shift \(shift) x \(x)")
                }
            }
        }
    }

    /// (i) Every entry of grad_p f(x) over all 2^d inputs is at most c_p; the largest equals the
    /// closed-form c*_p and the closed-form pass's `maxGradientEntry`.
    func testEveryGradientEntryIsAtMostCp() throws {
        for seed in 0..<3 {
            for d in [1, 2, 4, 6, 9] {
                for gradients in try networks(d: d, seed: UInt64(seed)) {
                    let largest = largestEntry(gradients)
                    XCTAssertLessThanOrEqual(largest, gradients.entryBound, "seed \(seed) d \(d)")
                    XCTAssertEqual(largest, gradients.tightEntryBound, accuracy: 1e-12 * largest, "seed \(seed) d \(d)")
                    XCTAssertEqual(largest, gradients.exactMoments().maxGradientEntry, accuracy: 1e-12 * largest, "seed \(seed) d \(d)")
                }
            }
        }
    }

    /// (i) Each term of c_p is needed and c_p is attained: a formula without the bias, or without
    /// the 1 of d f / d beta, is exceeded on some x.
    func testCpNeedsTheBiasAndTheOne() throws {
        let d = 4, k = 3
        func withoutBias(_ w: [Double], _ alpha: [Double]) -> Double {
            (0..<k).reduce(1.0) { c, i in max(c, abs(alpha[i]), (0..<d).reduce(0) { $0 + abs(w[i * d + $1]) }) }
        }
        // w = 0.1, b = 2: z_i = 2 + 0.1 |x| reaches 2.4 = ||w_i||_1 + |b_i| at x = 1111 (c_p attained).
        let w = [Double](repeating: 0.1, count: k * d), alpha = [0.5, -0.5, 0.25]
        let biased = try ParityGradients(d: d, k: k, weight: w, bias: [2, 2, 2], alpha: alpha, beta: 0)
        XCTAssertEqual(largestEntry(biased), 2.4, accuracy: 1e-12)
        XCTAssertEqual(biased.entryBound, 2.4, accuracy: 1e-12)
        XCTAssertGreaterThan(largestEntry(biased), withoutBias(w, alpha), "a c_p without |b_i| would hold")
        // Small weights: every entry but beta's is at most 0.5, so c_p without the 1 fails.
        let (small, smallBias, smallAlpha) = (w.map { $0 / 2 }, [0.1, 0, -0.1], [0.1, 0.2, 0.3])
        let tiny = try ParityGradients(d: d, k: k, weight: small, bias: smallBias, alpha: smallAlpha, beta: 5)
        let withoutOne = (0..<k).map { i in max(abs(smallAlpha[i]), (0..<d).reduce(abs(smallBias[i])) { $0 + abs(small[i * d + $1]) }) }.max() ?? 0
        XCTAssertEqual(withoutOne, 0.3, accuracy: 1e-12)
        XCTAssertEqual(largestEntry(tiny), 1, "d f / d beta = 1 at every x")
        XCTAssertEqual(tiny.entryBound, 1)
    }

    /// (iii) The Gram matrix of the 2^d characters, summed over all x, is the identity, so the
    /// family is sub-orthonormal; Bessel's inequality then holds for any h and any set of distinct
    /// masks (equality for all 2^d), and fails for a set with a mask twice.
    func testCharactersAreSubOrthonormal() throws {
        for d in 0...6 {
            let n = 1 << d, gram = try ParityGradients.characterGram(d: d)
            XCTAssertEqual(gram, (0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 }, "d \(d)")
            XCTAssertEqual(try ParityGradients.characterGramDeviation(d: d), 0)
        }
        XCTAssertThrowsError(try ParityGradients.characterGram(d: 11))
        let d = 6, n = 1 << d
        var g = SeededGenerator(seed: 11)
        let h = (0..<n).map { _ in g.nextNormal() }
        let energy = h.reduce(0) { $0 + $1 * $1 } / Double(n)
        func coefficient(_ v: Int) -> Double {
            (0..<n).reduce(0) { $0 + ((v & $1).nonzeroBitCount & 1 == 0 ? 1 : -1) * h[$1] } / Double(n)
        }
        let squares = (0..<n).map { coefficient($0) * coefficient($0) }
        XCTAssertEqual(squares.reduce(0, +), energy, accuracy: 1e-12 * energy, "Parseval over all masks")
        let some = (0..<n).filter { _ in g.next() & 1 == 0 }
        XCTAssertLessThanOrEqual(some.reduce(0) { $0 + squares[$1] }, energy)
        // h = chi_5: with mask 5 listed twice the sum is 2 E h^2.
        let character = (0..<n).map { (5 & $0).nonzeroBitCount & 1 == 0 ? 1.0 : -1.0 }
        let twice = [5, 5].reduce(0.0) { s, v in
            let c = (0..<n).reduce(0.0) { $0 + ((v & $1).nonzeroBitCount & 1 == 0 ? 1 : -1) * character[$1] } / Double(n)
            return s + c * c
        }
        XCTAssertEqual(twice, 2, "a repeated mask is not sub-orthonormal")
    }

    /// (iv) E_v ||grad R_v - a||^2 <= E_x ||J||^2 / 2^d <= P max|J_j|^2 / 2^d <= C_p / 2^d for
    /// every network and d = 1 ... 14, and the experiment's check reports ratios <= 1, an
    /// identity Gram matrix and autograd within Float rounding.
    func testBoundHoldsAtEveryD() throws {
        for seed in 0..<2 {
            for d in 1...14 {
                for gradients in try networks(d: d, seed: UInt64(seed)) {
                    let m = gradients.exactMoments(), n = Double(gradients.inputs), p = Double(gradients.parameterCount)
                    let chain = [m.aroundA, m.jacobianNorm / n, p * m.maxGradientEntry * m.maxGradientEntry / n, gradients.boundConstant / n]
                    for (low, high) in zip(chain, chain.dropFirst()) {
                        XCTAssertLessThanOrEqual(low, high * (1 + 1e-12), "seed \(seed) d \(d): chain \(chain)")
                    }
                }
            }
        }
        for d in [2, 8, 11] {
            var g = SeededGenerator(seed: 0, stream: UInt64(d))
            let bound = try GradientsExperiment.point(d: d, widthFactor: 10, draws: 2, enumerate: false, generator: &g).bound
            XCTAssertTrue(bound.entryRatio <= 1 && bound.entryRatio > 0.5, "d \(d): entry ratio \(bound.entryRatio)")
            XCTAssertTrue(bound.boundRatio <= 1 && bound.boundRatio > 0, "d \(d): bound ratio \(bound.boundRatio)")
            XCTAssertEqual(bound.gramDeviation, d <= GradientsExperiment.gramDMax ? 0 : nil)
            XCTAssertLessThan(bound.autogradError, 1e-5)
        }
    }
}
