import PluginAPI
import XCTest
import Parity

final class ExactNetworkTests: XCTestCase {
    /// The construction exactly as problem 3a states it.
    func testConstructionFollowsTheStatement() {
        let d = 6
        let net = ParityNetwork.handBuilt(mask: [1, 0, 1, 1, 0, 1])
        XCTAssertEqual(net.k, 60)
        XCTAssertEqual(net.beta, -1)
        XCTAssertEqual(net.unitsWithNonZeroWeight, 9, "w_i = v* for i <= 3d/2 = 9")
        XCTAssertEqual(Array(net.weight[0..<d]), [1, 0, 1, 1, 0, 1])
        XCTAssertEqual(Array(net.weight[9 * d..<10 * d]), [0, 0, 0, 0, 0, 0])
        // i = 1: units 4, 5, 6 (0-based 3, 4, 5) centred at s = 2.
        XCTAssertEqual(Array(net.bias[3..<6]), [-1.5, -2, -2.5])
        XCTAssertEqual(Array(net.alpha[3..<6]), [4, -8, 4])
        // i = 3 = d/2 uses units 10..12, beyond 3d/2.
        XCTAssertEqual(Array(net.alpha[9..<12]), [4, -8, 4])
        XCTAssertEqual(net.alpha[12], 0)
    }

    /// A brute-force reference for f: one unit at a time in Double.
    func bruteForce(_ net: ParityNetwork, _ x: [Float]) -> Double {
        var f = Double(net.beta)
        for unit in 0..<net.k {
            var pre = Double(net.bias[unit])
            for j in 0..<net.d { pre += Double(net.weight[unit * net.d + j]) * Double(x[j]) }
            f += Double(net.alpha[unit]) * max(0, pre)
        }
        return f
    }

    func testForwardMatchesBruteForce() {
        var rng = SeededGenerator(seed: 1)
        for d in [1, 2, 5, 9, 13] {
            let mask = (0..<d).map { _ in Float(rng.nextBit()) }
            var net = ParityNetwork.handBuilt(mask: mask)
            for i in net.weight.indices { net.weight[i] += Float(rng.nextNormal()) }   // generic weights too
            let inputs = (0..<7 * d).map { _ in Float(rng.nextBit()) }
            let fast = net.forward(inputs, count: 7)
            for row in 0..<7 {
                XCTAssertEqual(Double(fast[row]), bruteForce(net, Array(inputs[row * d..<(row + 1) * d])), accuracy: 1e-4)
            }
        }
    }

    /// As stated, the construction fails exactly on v* = x = all ones (s = d); corrected, never.
    func testExhaustiveCheckFindsOnlyTheAllOnesPair() {
        for d in 1...8 {
            var stated = ExactExperiment.Tally(), fixed = ExactExperiment.Tally()
            let all = (0..<(1 << d)).map { ExactExperiment.bits(of: $0, d: d) }
            for mask in all {
                stated.merge(ExactExperiment.check(.handBuilt(mask: mask), mask: mask, inputs: all.flatMap { $0 }, count: all.count))
                fixed.merge(ExactExperiment.check(.handBuilt(mask: mask, corrected: true), mask: mask, inputs: all.flatMap { $0 }, count: all.count))
            }
            XCTAssertEqual(stated.pairs, 1 << (2 * d))
            XCTAssertEqual(fixed.mismatches, 0, "d = \(d)")
            XCTAssertEqual(stated.mismatches, ExactExperiment.analyseByS(d: d, corrected: false).failingPairs == 0 ? 0 : 1, "d = \(d)")
            if d >= 2 {
                XCTAssertEqual(stated.mismatches, 1, "d = \(d)")
                XCTAssertEqual(stated.examples.first?.s, d)
            }
        }
    }

    func testPairsWithSCountsAllPairs() {
        for d in 1...6 {
            let total = (0...d).reduce(0.0) { $0 + ExactExperiment.pairsWith(s: $1, d: d) }
            XCTAssertEqual(total, pow(4, Double(d)))
        }
        XCTAssertEqual(ExactExperiment.pairsWith(s: 30, d: 30), 1)
    }
}
