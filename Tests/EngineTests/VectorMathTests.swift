import Foundation
import PluginAPI
import XCTest
import Kernels

/// The eight-lane exp and SiLU against their scalar references.
final class VectorMathTests: XCTestCase {
    func testExpMatchesFoundationAcrossTheRange() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
            let fast = VectorMath.exp(lanes)
            for lane in 0..<8 {
                let exact = Foundation.exp(lanes[lane])
                worst = max(worst, abs(fast[lane] - exact) / exact)
            }
            x += 0.0917
        }
        XCTAssertLessThan(worst, 3e-7, "largest relative error of VectorMath.exp")
    }

    func testSquareRootIsTheScalarOneLaneByLane() {
        var g = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let lanes = SIMD8<Float>((0..<8).map { _ in Float.random(in: 0..<1, using: &g) * Foundation.pow(10, Float.random(in: -30..<30, using: &g)) })
            let fast = VectorMath.squareRoot(lanes)
            for lane in 0..<8 { XCTAssertEqual(fast[lane], lanes[lane].squareRoot(), "sqrt(\(lanes[lane]))") }
        }
        let edges = VectorMath.squareRoot(SIMD8<Float>(0, -0.0, 1, 4, .infinity, -1, .nan, .leastNonzeroMagnitude))
        XCTAssertEqual(Array((0..<6).map { edges[$0] }.prefix(5)), [0, 0, 1, 2, .infinity])
        XCTAssertTrue(edges[5].isNaN && edges[6].isNaN, "negative and NaN give NaN")
        XCTAssertEqual(edges[7], Float.leastNonzeroMagnitude.squareRoot())
    }

    func testExpEdges() {
        let e = VectorMath.exp(SIMD8<Float>(-200, -88, 0, 1, .nan, -.infinity, 88.5, 50))
        XCTAssertEqual(e[0], 0)
        XCTAssertLessThan(e[1], 1e-37)
        XCTAssertEqual(e[2], 1)
        XCTAssertEqual(e[3], Float(M_E), accuracy: 1e-6)
        XCTAssertTrue(e[4].isNaN, "NaN stays NaN")
        XCTAssertEqual(e[5], 0)
        XCTAssertTrue(e[6].isFinite && e[6] > 1e38)
        XCTAssertEqual(e[7] / Foundation.exp(Float(50)), 1, accuracy: 1e-6)
    }

    func testSiLUAgainstTheScalarReference() {
        // 203 values: not a multiple of 8, so the scalar tail runs too; extremes on both sides.
        let values = (0..<203).map { Float($0 - 101) * 0.61 } + [-120, 95]
        let x = Tensor(values, shape: [values.count], requiresGrad: true)
        let fast = x.silu(), reference = x.siluReference()
        for i in 0..<values.count {
            XCTAssertEqual(fast[flat: i], reference[flat: i], accuracy: 2e-6 * max(1, abs(reference[flat: i])), "silu(\(values[i]))")
        }
        let upstream = Tensor((0..<values.count).map { Float($0 % 7) - 3 }, shape: [values.count])
        (fast * upstream).sum().backward()
        for i in 0..<values.count {
            let v = Double(values[i]), s = 1 / (1 + Foundation.exp(-v))
            let expected = Double(upstream[flat: i]) * s * (1 + v * (1 - s))
            XCTAssertEqual(Double(x.grad?[flat: i] ?? .nan), expected, accuracy: 1e-5 * max(1, abs(expected)), "silu'(\(values[i]))")
        }
    }

    func testSiLUPropagatesNaN() {
        let y = Tensor([.nan, 1, 2, 3, 4, 5, 6, 7, .nan], shape: [9]).silu()
        XCTAssertTrue(y[flat: 0].isNaN && y[flat: 8].isNaN)
    }
}
