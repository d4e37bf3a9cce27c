import Foundation
import PluginAPI
import Review
import XCTest

/// The sheet's problem 1 beyond the expected loss: E[N N^T] = sigma^2 I, lambda = sigma^2, and the shrinkage of y/x.
final class NoiseRidgeTests: XCTestCase {
    func testTheNoiseCovarianceIsSigmaSquaredTimesTheIdentity() {
        var g = SeededGenerator(seed: 1)
        let c = NoiseExperiment.noiseCovariance(n: 4, sigma: 0.7, samples: 20_000, generator: &g)
        XCTAssertLessThan(c.maxZ, 4.5, "16 entries within their error bars")
        XCTAssertLessThan(c.maxDeviation, 0.03)
    }

    func testTheMinimiserOfTheExpectedNoisyLossIsRidgeWithLambdaSigmaSquared() throws {
        for seed: UInt64 in [2, 3] {
            var g = SeededGenerator(seed: seed)
            let r = try XCTUnwrap(NoiseExperiment.noisyMinimizer(m: 12, n: 3, sigma: 0.6, samples: 20_000, batches: 20, generator: &g))
            XCTAssertLessThan(r.z(r.ridge), 4.5, "seed \(seed): (X^TX + m sigma^2 I)^{-1} X^Ty")
            XCTAssertGreaterThan(r.z(r.leastSquares), 20, "seed \(seed): the penalty is measurable")
            XCTAssertGreaterThan(r.z(r.withoutM), 20, "seed \(seed): and its size is m sigma^2, not sigma^2")
            XCTAssertTrue(r.standardError.allSatisfy { $0 > 0 && $0 < 0.01 })
        }
        var g = SeededGenerator(seed: 4)
        XCTAssertNil(NoiseExperiment.noisyMinimizer(m: 2, n: 3, sigma: 0, samples: 100, batches: 4, generator: &g), "X^T X singular and no noise")
    }

    func testNoisyDescentShrinksTheNoNoiseSolutionByOneOverOnePlusSigmaSquaredOverXSquared() {
        var g = SeededGenerator(seed: 5)
        let (x, y) = (1.5, -2.0)
        let rows = NoiseExperiment.shrinkage(x: x, y: y, sigmas: [0, 0.5, 1.5, 3], steps: 50, runs: 20_000, generator: &g)
        XCTAssertEqual(rows[0].standardError, 0, accuracy: 1e-7, "deterministic (up to the rounding of the variance formula)")
        XCTAssertEqual(rows[0].mean, y / x, accuracy: 1e-9, "plain gradient descent reaches w = y/x")
        for r in rows.dropFirst() {
            XCTAssertEqual(r.closedForm, (y / x) / (1 + r.sigma * r.sigma / (x * x)), accuracy: 1e-12)
            XCTAssertLessThan(abs(r.mean - r.closedForm), 4.5 * r.standardError, "sigma \(r.sigma)")
            XCTAssertGreaterThan(abs(r.mean - y / x), 8 * r.standardError, "sigma \(r.sigma): visibly shrunk")
        }
    }

    func testSigmasAreNonNegativeNumbers() throws {
        let spec = try XCTUnwrap(ReviewPlugin().experiments.first { $0.name == "noise" }?.options.first { $0.name == "sigmas" })
        XCTAssertEqual(try spec.parse("0, 0.5,2").get(), .numbers([0, 0.5, 2]))
        for bad in ["-1", "x", "1e9", "nan"] {
            XCTAssertThrowsError(try spec.parse(bad).get(), bad)
        }
    }
}
