import Foundation
import PluginAPI
import Review
import XCTest

/// Experiment `init`, parts 1 and 2, on the text's W in R^{m x d} and bias-free network.
final class InitTests: XCTestCase {
    func testTheTextsVariancePreservesTheNormWhenDIsNotM() {
        var g = SeededGenerator(seed: 6)
        for (m, d) in [(8, 40), (40, 8)] {
            let x = (0..<d).map { _ in g.nextNormal() }
            for relu in [false, true] {
                let s = InitExperiment.normStatistics(x: x, m: m, entryVariance: (relu ? 2 : 1) / Double(m), relu: relu, draws: 1500, generator: &g)
                let setting = "m \(m) d \(d) relu \(relu)"
                XCTAssertLessThan(s.total.z(1), 4, "\(setting): \(s.total)")
                XCTAssertLessThan(s.row.z(1), 4, "\(setting) per row: \(s.row)")
                if !relu {
                    XCTAssertLessThan(s.squares.z(1), 4, "\(setting): E[sum w_i^2 x_i^2] = ||x||^2 / m: \(s.squares)")
                    XCTAssertLessThan(s.cross.z(0), 4, "\(setting): E[sum_{i != j} w_i w_j x_i x_j] = 0: \(s.cross)")
                }
            }
        }
    }

    func testFanInVarianceGivesMOverDAndIsCaught() {
        var g = SeededGenerator(seed: 7)
        for (m, d) in [(8, 40), (40, 8)] {
            let x = (0..<d).map { _ in g.nextNormal() }
            for relu in [false, true] {
                let s = InitExperiment.normStatistics(x: x, m: m, entryVariance: (relu ? 2 : 1) / Double(d), relu: relu, draws: 1500, generator: &g)
                XCTAssertLessThan(s.total.z(Double(m) / Double(d)), 4, "E||f(Wx)||^2 / ||x||^2 = m/d: \(s.total)")
                XCTAssertGreaterThan(s.total.z(1), 20, "m \(m) d \(d) relu \(relu): 1/d is many standard errors from 1: \(s.total)")
                XCTAssertGreaterThan(s.row.z(1), 20, "and per row: \(s.row)")
            }
        }
    }

    func testShapesAreParsedAndBadOnesRefused() throws {
        let parsed = try InitExperiment.shapes("16x64, 64X16,1x1")
        XCTAssertEqual(parsed.map(\.m), [16, 64, 1])
        XCTAssertEqual(parsed.map(\.d), [64, 16, 1])
        for bad in ["16", "0x4", "5000x2", "axb", "", "16x64,", "4096x4096", "2x3x4"] {
            XCTAssertThrowsError(try InitExperiment.shapes(bad), bad) { error in
                XCTAssertEqual((error as? PluginError)?.kind, .invalidInput, "\(bad): \(error)")
            }
        }
    }

    func testEqualUnitsStayEqualForEveryActivationAndLoss() {
        var g = SeededGenerator(seed: 8)
        for a in InitGradients.Activation.allCases {
            for l in InitGradients.Loss.allCases {
                for examples in [1, 16] {
                    let setting = "\(a) \(l) \(examples) examples"
                    XCTAssertEqual(InitExperiment.unitDifference(symmetric: true, activation: a, loss: l, examples: examples, steps: 200, generator: &g), 0, setting)
                    XCTAssertGreaterThan(InitExperiment.unitDifference(symmetric: false, activation: a, loss: l, examples: examples, steps: 200, generator: &g), 1e-3, setting)
                }
            }
        }
    }
}
