import Foundation
import PluginAPI
import Parity
import XCTest

final class TrainTests: XCTestCase {
    func testLabelsFollowTheMaskAndBitsAreFair() {
        var g = SeededGenerator(seed: 3)
        let data = ParityData(mask: [1, 0, 1, 1, 0])
        let x = Tensor.zeros([4000, 5]), y = Tensor.zeros([4000])
        data.sample(into: x, labels: y, generator: &g)
        for row in 0..<4000 {
            let bits = Array(x.values[(row * 5)..<(row * 5 + 5)])
            let s = Int(bits[0] + bits[2] + bits[3])
            XCTAssertEqual(y.data[row], Float(1 - 2 * (s % 2)))
            XCTAssertEqual(data.label(bits), y.data[row])
        }
        let ones = x.values.reduce(0, +) / Float(x.count)
        XCTAssertEqual(Double(ones), 0.5, accuracy: 0.02)
    }

    func testSmallDLearnsAndTheCurveIsLogged() throws {
        var s = TrainExperiment.Settings()
        (s.d, s.iters, s.logEvery, s.testSamples) = (4, 8000, 500, 2000)
        var logged: [Int] = []
        let outcome = try TrainExperiment.train(s, seed: 1, log: { step, _, _ in logged.append(step) })
        XCTAssertEqual(logged, Array(stride(from: 500, through: 8000, by: 500)))
        XCTAssertEqual(outcome.testAccuracy, 1, "d = 4 is learned")
        XCTAssertLessThan(outcome.finalLoss, 0.05)
        XCTAssertGreaterThan(outcome.curve[0].loss, outcome.finalLoss)
    }

    func testSameSeedSameNumbers() throws {
        var s = TrainExperiment.Settings()
        (s.d, s.iters, s.logEvery, s.testSamples) = (6, 400, 100, 500)
        let a = try TrainExperiment.train(s, seed: 9), b = try TrainExperiment.train(s, seed: 9)
        XCTAssertEqual(a.curve.map(\.loss), b.curve.map(\.loss))
        XCTAssertEqual(a.testAccuracy, b.testAccuracy)
    }
}
