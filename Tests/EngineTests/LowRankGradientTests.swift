import Foundation
import PluginAPI
import XCTest

/// A linear layer's weight gradient on a batch of one to four rows stays as its factors
/// (gᵀ x) until something reads `grad`; SGD applies it row by row without making the dense
/// matrix. These tests hold both to the dense path and to the definition.
final class LowRankGradientTests: XCTestCase {
    /// y = relu(x W1ᵀ) W2ᵀ with weights large enough to defer (300 x 256 and 256 x 300).
    struct Net {
        let w1: Tensor, w2: Tensor
        init(seed: UInt64) {
            w1 = random([300, 256], seed: seed, requiresGrad: true)
            w2 = random([256, 300], seed: seed + 1, requiresGrad: true)
        }
        func loss(_ x: Tensor) -> Tensor { (linear(linear(x, weight: w1, bias: nil).relu(), weight: w2, bias: nil) - x).square().sum() }
    }

    /// dW = gᵀ x in double precision from the tensors' values.
    func definition(g: [Float], x: [Float], rows: Int) -> [Double] {
        let (out, inputs) = (g.count / rows, x.count / rows)
        var dw = [Double](repeating: 0, count: out * inputs)
        for r in 0..<rows { for j in 0..<out { for i in 0..<inputs { dw[j * inputs + i] += Double(g[r * out + j]) * Double(x[r * inputs + i]) } } }
        return dw
    }

    func testGradMatchesTheDefinition() {
        for rows in [1, 2, 4, 5] {
            let x = random([rows, 256], seed: UInt64(rows))
            let w = random([300, 256], seed: 7, requiresGrad: true)
            let g = random([rows, 300], seed: 8)
            linear(x, weight: w, bias: nil).backward(g)
            let expected = definition(g: g.values, x: x.values, rows: rows)
            let got = w.grad?.values ?? []
            XCTAssertEqual(got.count, expected.count, "rows \(rows)")
            let worst = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? 1
            XCTAssertLessThan(worst, 1e-5, "rows \(rows)")
            XCTAssertEqual(w.grad?.values, got, "reading grad twice gives the same values")
        }
    }

    func testSGDFromTheFactorsEqualsSGDFromTheDenseGradientBitForBit() {
        let settings: [(momentum: Float, weightDecay: Float, nesterov: Bool)] = [(0, 0, false), (0, 0.01, false), (0.9, 0.01, true), (0.5, 0, false)]
        for (momentum, weightDecay, nesterov) in settings {
            for rows in [1, 2, 3] {
                let x = random([rows, 256], seed: 20 + UInt64(rows))
                let (factored, dense) = (Net(seed: 3), Net(seed: 3))
                let optimizers = [factored, dense].map { SGD([$0.w1, $0.w2], lr: 0.01, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov) }
                for _ in 0..<3 {
                    for (net, optimizer) in zip([factored, dense], optimizers) {
                        optimizer.zeroGrad()
                        net.loss(x).backward()
                        if net.w1 === dense.w1 { _ = (dense.w1.grad, dense.w2.grad) }   // made dense before the step
                        optimizer.step()
                    }
                }
                let label = "rows \(rows) momentum \(momentum) wd \(weightDecay) nesterov \(nesterov)"
                XCTAssertEqual(factored.w1.values, dense.w1.values, label)
                XCTAssertEqual(factored.w2.values, dense.w2.values, label)
                XCTAssertNotEqual(factored.w1.values, Net(seed: 3).w1.values, "the steps moved the weights")
            }
        }
    }

    func testAdamReadsTheFactoredGradient() {
        let x = random([2, 256], seed: 5)
        let (factored, dense) = (Net(seed: 9), Net(seed: 9))
        for net in [factored, dense] {
            let optimizer = Adam([net.w1, net.w2], lr: 1e-3)
            net.loss(x).backward()
            if net.w1 === dense.w1 { _ = (dense.w1.grad, dense.w2.grad) }
            optimizer.step()
        }
        XCTAssertEqual(factored.w1.values, dense.w1.values)
        XCTAssertEqual(factored.w2.values, dense.w2.values)
    }

    func testAWeightUsedTwiceAndGradientsAccumulatedOverTwoBackwardPasses() {
        // W used twice in one graph: the first use's factors and the second's dense gradient add.
        let x = random([2, 256], seed: 11)
        let w = random([256, 256], seed: 12, requiresGrad: true)
        let (g1, g2) = (random([2, 256], seed: 13), random([2, 256], seed: 14))
        let h = linear(x, weight: w, bias: nil)
        let y = linear(h, weight: w, bias: nil)
        (h * g1 + y * g2).sum().backward()
        // dW = g1ᵀ x + (g2ᵀ h) + ((g2 W)ᵀ x)  (the second use's input h also depends on W)
        let g2w = noGrad { g2.matmul(w) }
        let hValues = noGrad { h.detach() }.values
        var expected = definition(g: g1.values, x: x.values, rows: 2)
        for (i, v) in definition(g: g2.values, x: hValues, rows: 2).enumerated() { expected[i] += v }
        for (i, v) in definition(g: g2w.values, x: x.values, rows: 2).enumerated() { expected[i] += v }
        let worst = zip(w.grad?.values ?? [], expected).map { abs(Double($0) - $1) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-4)
        // A second backward adds to the gradient already there.
        let before = w.grad?.values ?? []
        linear(x, weight: w, bias: nil).backward(g1)
        let again = definition(g: g1.values, x: x.values, rows: 2)
        let worstAgain = zip(zip(w.grad?.values ?? [], before), again).map { abs(Double($0.0 - $0.1) - $1) }.max() ?? 1
        XCTAssertLessThan(worstAgain, 1e-4)
    }

    func testZeroGradClearsTheFactors() {
        let x = random([1, 256], seed: 2)
        let net = Net(seed: 4)
        let optimizer = SGD([net.w1, net.w2], lr: 0.1)
        net.loss(x).backward()
        optimizer.zeroGrad()
        XCTAssertNil(net.w1.grad)
        let before = net.w1.values
        optimizer.step()
        XCTAssertEqual(net.w1.values, before, "no gradient, no step")
    }

    /// SGD leaves its step from the factors waiting on the weight, and the next forward pass
    /// applies each row just before reading it: the same bits as applying it at once (here
    /// forced by reading the values after every step), and two steps with no pass between
    /// them are both applied.
    func testAWaitingUpdateGivesTheBitsOfAnImmediateOne() {
        for weightDecay: Float in [0, 0.01] {
            let x = random([2, 256], seed: 30)
            let (waiting, immediate) = (Net(seed: 31), Net(seed: 31))
            let optimizers = [waiting, immediate].map { SGD([$0.w1, $0.w2], lr: 0.01, weightDecay: weightDecay) }
            for round in 0..<4 {
                for (net, optimizer) in zip([waiting, immediate], optimizers) {
                    optimizer.zeroGrad()
                    net.loss(x).backward()
                    optimizer.step()
                    if round == 2 { optimizer.step() }   // twice from the same gradient
                    if net.w1 === immediate.w1 { _ = (immediate.w1.values, immediate.w2.values) }
                }
            }
            XCTAssertEqual(waiting.w1.values, immediate.w1.values, "wd \(weightDecay)")
            XCTAssertEqual(waiting.w2.values, immediate.w2.values, "wd \(weightDecay)")
        }
    }

    func testAWaitingUpdateReadFromManyThreadsAtOnceIsAppliedOnce() {
        let x = random([1, 256], seed: 40)
        let (waiting, immediate) = (Net(seed: 41), Net(seed: 41))
        for net in [waiting, immediate] {
            let optimizer = SGD([net.w1, net.w2], lr: 0.05)
            net.loss(x).backward()
            optimizer.step()
        }
        let expected = immediate.w2.values
        let seen = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 8)
        seen.initialize(repeating: [])
        defer { seen.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { i in seen[i] = waiting.w2.values }
        for i in 0..<8 { XCTAssertEqual(seen[i], expected, "reader \(i)") }
    }
}

