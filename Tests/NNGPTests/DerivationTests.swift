import Foundation
import NNGP
import PluginAPI
import XCTest

/// Problems 1, 8 and 10 measured: each closed form against an independent computation, and
/// each check shown to reject a wrong claim.
final class DerivationTests: XCTestCase {
    // MARK: Problem 1

    func testLinearNetworkGradientMatchesAutogradAndCentralDifferences() {
        var g = SeededGenerator(seed: 3)
        for (k, d, n) in [(1, 1, 1), (3, 7, 5), (16, 10, 50), (40, 3, 9)] {
            let p = LinearGradient.Problem.random(k: k, d: d, n: n, generator: &g)
            let closed = LinearGradient.closedForm(p)
            XCTAssertEqual(closed.a.count, k)
            XCTAssertEqual(closed.b.count, k * d)
            XCTAssertLessThan(LinearGradient.relativeError(LinearGradient.centralDifferences(p).all, closed.all), 1e-8, "k \(k) d \(d) n \(n)")
            let (auto, loss) = LinearGradient.autograd(p)
            XCTAssertLessThan(LinearGradient.relativeError(auto.a, closed.a), 1e-5, "k \(k) d \(d) n \(n)")
            XCTAssertLessThan(LinearGradient.relativeError(auto.b, closed.b), 1e-5, "k \(k) d \(d) n \(n)")
            XCTAssertEqual(loss, p.loss, accuracy: 1e-5 * p.loss)
            // The gradient with the sign of the residual flipped is caught.
            XCTAssertGreaterThan(LinearGradient.relativeError(closed.a.map { -$0 }, auto.a), 1)
            XCTAssertGreaterThan(LinearGradient.relativeError(closed.b.map { -$0 }, auto.b), 1)
        }
    }

    func testTheHintsUpdateForAIsMinusTheGradientStep() {
        // A + eta (y - A B X) X^T B^T, written with matrix products, equals A - eta grad_A.
        var g = SeededGenerator(seed: 4)
        let p = LinearGradient.Problem.random(k: 5, d: 4, n: 9, generator: &g)
        let (eta, r, gradient) = (0.01, p.residual, LinearGradient.closedForm(p))
        let xtbt = DMatrix(rows: p.n, columns: p.k, values: (0..<p.n * p.k).map { e in
            let (j, i) = (e / p.k, e % p.k)
            return (0..<p.d).reduce(0) { $0 + p.x[$1, j] * p.b[i, $1] }
        })
        for i in 0..<p.k {
            let hint = p.a[i] + eta * (0..<p.n).reduce(0) { $0 + r[$1] * xtbt[$1, i] }
            XCTAssertEqual(hint, p.a[i] - eta * gradient.a[i], accuracy: 1e-12)
        }
    }

    func testGradientDescentByTheUpdateRuleReachesLeastSquaresAndFollowsSGD() throws {
        var g = SeededGenerator(seed: 5)
        let p = LinearGradient.Problem.random(k: 8, d: 6, n: 40, generator: &g)
        let exact = LinearGradient.descend(p, lr: 0.002, steps: 400)
        let engine = LinearGradient.engineDescent(p, lr: 0.002, steps: 400)
        XCTAssertEqual(exact.count, 401)
        for (a, b) in zip(exact, engine) { XCTAssertEqual(a, b, accuracy: 1e-5 * exact[0]) }
        let floor = try XCTUnwrap(LinearGradient.leastSquaresLoss(p))
        XCTAssertLessThan(floor, exact[0])
        XCTAssertEqual(try XCTUnwrap(exact.last), floor, accuracy: 1e-6 * floor, "A B reaches the least-squares row")
        XCTAssertNil(LinearGradient.leastSquaresLoss(LinearGradient.Problem.random(k: 2, d: 6, n: 3, generator: &g)), "n < d: X X^T singular")
    }

    // MARK: Problem 8

    func testGaussLegendreAndGaussianMomentsAreExact() {
        let (nodes, weights) = GaussianQuadrature.legendre(order: 5)
        XCTAssertEqual(weights.reduce(0, +), 2, accuracy: 1e-14)
        XCTAssertEqual(zip(nodes, weights).reduce(0) { $0 + $1.1 * pow($1.0, 8) }, 2.0 / 9, accuracy: 1e-14, "degree 2n - 2 is exact")
        let q = GaussianQuadrature()
        XCTAssertEqual(q.expectation { _ in 1 }, 1, accuracy: 1e-14)
        XCTAssertEqual(q.expectation { $0 * $0 }, 1, accuracy: 1e-13)
        XCTAssertEqual(q.expectation { pow($0, 4) }, 3, accuracy: 1e-12)
        XCTAssertEqual(q.expectation { pow($0, 6) }, 15, accuracy: 1e-11)
        XCTAssertEqual(q.expectation(breaks: [0.3]) { $0 > 0.3 ? 1 : 0 }, 0.5 * erfc(0.3 / 2.0.squareRoot()), accuracy: 1e-14, "a jump at a panel edge")
    }

    func testDualsByQuadratureMatchTheClosedFormsAndTheHermiteSeries() throws {
        let q = GaussianQuadrature(), xi = (0...40).map { -1 + Double($0) / 20 }
        for activation in DualProperties.activations(c: 0.7) {
            let r = DualProperties.measure(activation, xi: xi, quadrature: q, terms: 40, scales: [-3, 0.5])
            if let error = r.closedFormError { XCTAssertLessThan(error, 1e-12, activation.name) }
            XCTAssertLessThan(r.scalingError, 1e-12, "(a phi)-check = a^2 phi-check for \(activation.name)")
            XCTAssertLessThan(r.seriesError, 2e-4, "Hermite series of \(activation.name) on |xi| <= 0.9")
            XCTAssertTrue(r.positive.nonDecreasing() && r.positive.convex(), "\(activation.name) on [0, 1]: \(r.positive)")
        }
        // ReLU's Hermite coefficients: a_0^2 = 1/(2 pi), a_1^2 = 1/4, a_2^2 = 1/(4 pi), a_3 = 0, a_4^2 = 1/(48 pi).
        let a = q.hermiteCoefficients({ max($0, 0) }, kinks: [0], terms: 4)
        for (n, value) in [1 / (2 * Double.pi), 0.25, 1 / (4 * Double.pi), 0, 1 / (48 * Double.pi)].enumerated() {
            XCTAssertEqual(a[n] * a[n], value, accuracy: 1e-14, "a_\(n)^2")
        }
    }

    func testTheShapeCheckRejectsDualsOutsideZeroToOne() {
        // On [-1, 0] the claim fails for cos (decreasing) and sin (concave): the same check says so.
        let q = GaussianQuadrature(), xi = (0...40).map { -1 + Double($0) / 20 }
        let all = DualProperties.activations(c: 1)
        let named = { (name: String) in all.first { $0.name == name } }
        for (name, decreases, bendsDown) in [("cos", true, false), ("sin", false, true), ("|x|", true, false), ("ReLU", false, false)] {
            guard let activation = named(name) else { return XCTFail("no activation \(name)") }
            let negative = DualProperties.measure(activation, xi: xi, quadrature: q, terms: 4, scales: []).negative
            XCTAssertEqual(!negative.nonDecreasing(), decreases, "\(name) on [-1, 0]: \(negative)")
            XCTAssertEqual(!negative.convex(), bendsDown, "\(name) on [-1, 0]: \(negative)")
        }
        let concave = DualProperties.shape(xi: xi, values: xi.map { sin(2 * $0) }, in: 0...1)
        XCTAssertFalse(concave.convex(), "sin 2 xi bends down on [0, 1]")
        XCTAssertFalse(DualProperties.shape(xi: xi, values: xi.map { -$0 }, in: 0...1).nonDecreasing())
    }

    // MARK: Problem 10

    func testProjectionsHaveZeroMeanAndCovarianceXTransposeXPrime() {
        var g = SeededGenerator(seed: 6)
        let pairs = CovarianceExperiment.pairs(d: 12, shapes: CovarianceExperiment.shapes, generator: &g)
        XCTAssertEqual(pairs.count, CovarianceExperiment.shapes.count)
        for (pair, shape) in zip(pairs, CovarianceExperiment.shapes) {
            let (nx, ny) = pair.squaredNorms
            XCTAssertEqual(nx.squareRoot(), shape.0, accuracy: 1e-12)
            XCTAssertEqual(ny.squareRoot(), shape.1, accuracy: 1e-12)
            XCTAssertEqual(pair.inner, shape.0 * shape.1 * shape.2, accuracy: 1e-12)
        }
        let moments = CovarianceExperiment.estimate(pairs, d: 12, samples: 40_000, generator: &g)
        for (pair, m) in zip(pairs, moments) {
            let (nx, ny) = pair.squaredNorms
            XCTAssertLessThan(abs(m.meanU / m.seMeanU), 4.5)
            XCTAssertLessThan(abs(m.meanV / m.seMeanV), 4.5)
            XCTAssertLessThan(abs(m.covariance - pair.inner) / m.seCovariance, 4.5, "x^T x' = \(pair.inner)")
            XCTAssertLessThan(abs(m.varianceU - nx) / m.seVarianceU, 4.5)
            XCTAssertEqual(m.varianceOfProduct, nx * ny + pair.inner * pair.inner, accuracy: 0.1 * (nx * ny + pair.inner * pair.inner), "Isserlis")
            // A wrong claim, Cov = ||x|| ||x'|| (the Cauchy-Schwarz bound), is rejected unless the pair is parallel.
            if abs(pair.inner) < 0.99 * (nx * ny).squareRoot() {
                XCTAssertGreaterThan(abs(m.covariance - (nx * ny).squareRoot()) / m.seCovariance, 20)
            }
        }
    }
}
