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
            XCTAssertEqual(y[flat: row], Float(1 - 2 * (s % 2)))
            XCTAssertEqual(data.label(bits), y[flat: row])
        }
        let ones = x.values.reduce(0, +) / Float(x.count)
        XCTAssertEqual(Double(ones), 0.5, accuracy: 0.02)
    }

    func testSmallDLearnsAndTheCurveIsLogged() throws {
        var s = TrainExperiment.Settings()
        (s.d, s.iters, s.logEvery, s.testSamples) = (4, 8000, 500, 2000)
        let metrics = MetricsLog()
        let outcome = try TrainExperiment.train(s, seed: 1, watch: TrainingWatch(metrics: metrics))
        XCTAssertEqual(metrics.rows.map(\.step), Array(stride(from: 500, through: 8000, by: 500)))
        XCTAssertEqual(metrics.rows.map { $0.values.map(\.0) }.first, ["loss", "running_mean_loss"])
        XCTAssertEqual(outcome.curve.map(\.step), metrics.rows.map(\.step))
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

final class TrainThreadsTests: XCTestCase {
    /// The engine's loops split work at boundaries that do not depend on the thread count, so
    /// a run gives the same numbers on 1 and 2 threads.
    func testThreadCountDoesNotChangeTheNumbers() throws {
        var s = TrainExperiment.Settings()
        (s.d, s.iters, s.logEvery, s.testSamples) = (20, 500, 50, 500)
        let pool = WorkerPool.shared, saved = pool.threads
        defer { pool.threads = saved }
        pool.threads = 1
        let one = try TrainExperiment.train(s, seed: 2)
        pool.threads = 2
        let two = try TrainExperiment.train(s, seed: 2)
        XCTAssertEqual(one.curve.map(\.loss), two.curve.map(\.loss))
        XCTAssertEqual(one.testAccuracy, two.testAccuracy)
    }
}
