import Foundation
import PluginAPI
import Review
import XCTest

/// CSCI-GA.2565 HW3 problem 1(a): the gradients of R̂(W, v) = l(sum_j v_j sigma(<w_j, x>), y).
final class InitGradientsTests: XCTestCase {
    typealias IG = InitGradients

    func testAutogradMatchesTheClosedFormsForEveryActivationAndLoss() {
        var g = SeededGenerator(seed: 1)
        for a in IG.Activation.allCases {
            for l in IG.Loss.allCases {
                let e = IG.errors(m: 12, d: 5, draws: 100, a, l, generator: &g)
                XCTAssertLessThan(e.dv, 1e-4, "\(a) \(l)")
                XCTAssertLessThan(e.dw, 1e-4, "\(a) \(l)")
                XCTAssertLessThan(e.discounted, 3e-6, "\(a) \(l): Float32 rounding once f - y's cancellation is discounted")
            }
        }
    }

    func testTheClosedFormsMatchCentralDifferencesInDoublePrecision() {
        var g = SeededGenerator(seed: 2)
        for a in IG.Activation.allCases {
            for l in IG.Loss.allCases {
                let p = IG.draw(m: 6, d: 4, loss: l, generator: &g)
                let (dv, dw) = IG.closedForm(p, a, l)
                let h = 1e-6
                for j in 0..<6 where abs(p.preactivations[j]) > 1e-3 {
                    var plus = p, minus = p
                    plus.v[j] += h; minus.v[j] -= h
                    XCTAssertEqual((IG.risk(plus, a, l) - IG.risk(minus, a, l)) / (2 * h), dv[j], accuracy: 1e-7, "\(a) \(l) v_\(j)")
                    for k in 0..<4 {
                        var plus = p, minus = p
                        plus.w[j * 4 + k] += h; minus.w[j * 4 + k] -= h
                        XCTAssertEqual((IG.risk(plus, a, l) - IG.risk(minus, a, l)) / (2 * h), dw[j * 4 + k], accuracy: 1e-7, "\(a) \(l) w_\(j)\(k)")
                    }
                }
            }
        }
    }

    func testTheCheckCatchesAFormulaWithoutSigmaPrime() {
        // dR/dw_j with sigma(<w_j, x>) where sigma'(<w_j, x>) belongs: far from autograd.
        var g = SeededGenerator(seed: 3)
        let p = IG.draw(m: 8, d: 4, loss: .squared, generator: &g)
        let z = p.preactivations, closed = IG.closedForm(p, .tanh, .squared), measured = IG.autograd(p, .tanh, .squared)
        let wrong = closed.dw.enumerated().map { i, v in v / IG.Activation.tanh.derivative(z[i / 4]) * IG.Activation.tanh.value(z[i / 4]) }
        XCTAssertLessThan(IG.relativeError(measured.dw, closed.dw), 1e-4)
        XCTAssertGreaterThan(IG.relativeError(measured.dw, wrong), 0.1)
    }

    func testInactiveReLUUnitsGetNoGradientAndEqualUnitsEqualGradients() {
        var g = SeededGenerator(seed: 4)
        let p = IG.draw(m: 16, d: 6, loss: .logistic, generator: &g)
        let z = p.preactivations, closed = IG.closedForm(p, .relu, .logistic), measured = IG.autograd(p, .relu, .logistic)
        XCTAssertTrue(z.contains { $0 < 0 } && z.contains { $0 > 0 })
        for j in 0..<16 where z[j] < 0 {
            XCTAssertEqual(closed.dv[j], 0); XCTAssertEqual(measured.dv[j], 0)
            XCTAssertEqual(Array(measured.dw[j * 6..<(j + 1) * 6]), [Double](repeating: 0, count: 6), "unit \(j)")
        }
        for a in IG.Activation.allCases {
            for l in IG.Loss.allCases { XCTAssertEqual(IG.symmetricDifference(m: 5, d: 3, a, l, generator: &g), 0, "\(a) \(l): HW3 1(b)'s step") }
        }
    }
}
