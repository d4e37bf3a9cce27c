import Foundation
import PluginAPI
import XCTest

/// `linear` on {0,1} inputs takes the engine's gather path (sums of W's columns); these tests
/// hold it to the definition, computed by plain loops in double precision.
final class BitLinearTests: XCTestCase {
    /// out = b + x Wᵀ, dW = gᵀ x, db = g's column sums, for x of bits (with empty rows, full
    /// rows, lengths off the kernels' 8- and 32-float blocks) and g with some all-zero rows.
    func testBitInputsMatchTheDefinition() {
        for (rows, inputs, outputs, bias) in [(1, 1, 1, true), (7, 5, 33, true), (100, 30, 300, true), (64, 12, 8, false), (3, 40, 7, true)] {
            var generator = SeededGenerator(seed: UInt64(rows * 1000 + inputs))
            let bits = (0..<rows * inputs).map { i -> Float in
                let row = i / inputs
                if row == 1 { return 0 }            // a row with no active input
                return Float(generator.nextBit())
            }
            let x = Tensor(bits, shape: [rows, inputs])
            let weight = random([outputs, inputs], seed: 3, requiresGrad: true)
            let b = bias ? random([outputs], seed: 4, requiresGrad: true) : nil
            let g = random([rows, outputs], seed: 5)
            for r in stride(from: 0, to: rows, by: 3) { for i in 0..<outputs { g[flat: r * outputs + i] = 0 } }

            let out = linear(x, weight: weight, bias: b)
            out.backward(g)

            let (w, gv) = (weight.values, g.values)
            var expected = [Float](), gradW = [Float](repeating: 0, count: outputs * inputs), gradB = [Float](repeating: 0, count: outputs)
            for r in 0..<rows {
                for i in 0..<outputs {
                    var sum = Double(b?[flat: i] ?? 0)
                    for j in 0..<inputs { sum += Double(bits[r * inputs + j]) * Double(w[i * inputs + j]) }
                    expected.append(Float(sum))
                }
            }
            for i in 0..<outputs {
                for j in 0..<inputs {
                    var sum = 0.0
                    for r in 0..<rows { sum += Double(gv[r * outputs + i]) * Double(bits[r * inputs + j]) }
                    gradW[i * inputs + j] = Float(sum)
                }
                gradB[i] = Float((0..<rows).reduce(0.0) { $0 + Double(gv[$1 * outputs + i]) })
            }
            let label = "\(rows)x\(inputs) -> \(outputs)"
            assertClose(out.values, expected, atol: 1e-5, rtol: 1e-5, "forward \(label)")
            assertClose(weight.grad?.values ?? [], gradW, atol: 1e-5, rtol: 1e-5, "weight gradient \(label)")
            if let b { assertClose(b.grad?.values ?? [], gradB, atol: 1e-5, rtol: 1e-5, "bias gradient \(label)") }
        }
    }

    /// The gather path and the GEMM path give the same values to float32 rounding: bits
    /// through `linear` against the same bits as 0.0/1.0 through `matmul` (always GEMM).
    func testBitPathAgreesWithTheDensePath() {
        var generator = SeededGenerator(seed: 11)
        let (rows, inputs, outputs) = (50, 30, 300)
        let x = Tensor((0..<rows * inputs).map { _ in Float(generator.nextBit()) }, shape: [rows, inputs])
        let weight = random([outputs, inputs], seed: 6, requiresGrad: true)
        let weightT = Tensor((0..<inputs * outputs).map { weight[flat: ($0 % outputs) * inputs + $0 / outputs] }, shape: [inputs, outputs], requiresGrad: true)
        let gather = linear(x, weight: weight, bias: nil), dense = x.matmul(weightT)
        assertClose(gather.values, dense.values, atol: 1e-5, rtol: 1e-5)
        let g = random([rows, outputs], seed: 7)
        gather.backward(g); dense.backward(g)
        let denseGrad = (0..<outputs * inputs).map { weightT.grad?[flat: ($0 % inputs) * outputs + $0 / inputs] ?? .nan }
        assertClose(weight.grad?.values ?? [], denseGrad, atol: 1e-5, rtol: 1e-5)
    }

    /// Inputs that are not bits, or that need a gradient, take the GEMM path and still give
    /// the definition's values and gradients (including x's).
    func testOtherInputsStillGiveTheDefinition() {
        let x = Tensor([0, 1, 0.5, 1, 0, 1], shape: [2, 3], requiresGrad: true)
        let weight = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], requiresGrad: true)
        let out = linear(x, weight: weight, bias: nil)
        XCTAssertEqual(out.values, [3.5, 8, 4, 10])
        out.sum().backward()
        XCTAssertEqual(x.grad?.values, [5, 7, 9, 5, 7, 9])
        XCTAssertEqual(weight.grad?.values, [1, 1, 1.5, 1, 1, 1.5])
    }

    /// One output unit (a dot product per row) against the definition, with x's gradient too.
    func testSingleOutputMatchesTheDefinition() {
        let (rows, inputs) = (9, 37)
        let x = random([rows, inputs], seed: 21, requiresGrad: true)
        let weight = random([1, inputs], seed: 22, requiresGrad: true), bias = random([1], seed: 23, requiresGrad: true)
        let g = random([rows, 1], seed: 24)
        let out = linear(x, weight: weight, bias: bias)
        out.backward(g)
        let (xv, w, gv) = (x.values, weight.values, g.values)
        let expected = (0..<rows).map { r in bias[flat: 0] + (0..<inputs).reduce(Float(0)) { $0 + xv[r * inputs + $1] * w[$1] } }
        assertClose(out.values, expected, atol: 1e-5, rtol: 1e-5, "forward")
        assertClose(x.grad?.values ?? [], (0..<rows * inputs).map { gv[$0 / inputs] * w[$0 % inputs] }, atol: 1e-6, rtol: 1e-5, "x gradient")
        assertClose(weight.grad?.values ?? [], (0..<inputs).map { j in (0..<rows).reduce(Float(0)) { $0 + gv[$1] * xv[$1 * inputs + j] } },
                    atol: 1e-5, rtol: 1e-5, "weight gradient")
        XCTAssertEqual(bias.grad?[flat: 0] ?? .nan, gv.reduce(0, +), accuracy: 1e-5)
    }
}
