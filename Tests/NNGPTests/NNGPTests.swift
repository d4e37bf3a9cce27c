import Foundation
import NNGP
import PluginAPI
import XCTest

final class NNGPTests: XCTestCase {
    func testKernelClosedFormsAtKnownPoints() {
        XCTAssertEqual(NNGPKernel.relu.value(xi: 1, distance: 0), 1, accuracy: 1e-15)
        XCTAssertEqual(NNGPKernel.relu.value(xi: 0, distance: 0), 1 / Double.pi, accuracy: 1e-15)
        XCTAssertEqual(NNGPKernel.relu.value(xi: -1, distance: 0), 0, accuracy: 1e-15)
        XCTAssertEqual(NNGPKernel.relu.value(xi: 1 + 1e-12, distance: 0), 1, accuracy: 1e-12, "xi is clipped before arccos")
        XCTAssertEqual(NNGPKernel.sine.value(xi: 1, distance: 0), 1, accuracy: 1e-15, "normalised: k(x, x) = 1")
        XCTAssertEqual(NNGPKernel.sine.value(xi: 0.5, distance: 0), 2 * M_E / (M_E * M_E - 1) * sinh(0.5), accuracy: 1e-15)
        XCTAssertEqual(NNGPKernel.erf.value(xi: 1, distance: 0), 1, accuracy: 1e-15)
        XCTAssertEqual(NNGPKernel.erf.value(xi: -0.3, distance: 0), asin(-0.2) / asin(2.0 / 3), accuracy: 1e-15)
        XCTAssertEqual(NNGPKernel.laplace.value(xi: 0, distance: 2), exp(-0.01), accuracy: 1e-15)
    }

    func testKernelMatrixMatchesPairwiseValues() {
        let data = RegressionData.generate(n: 7, nTest: 5, d: 9, seed: 3)
        for kernel in NNGPKernel.allCases {
            let k = kernel.matrix(data.xTest, data.x)
            for i in 0..<5 {
                for j in 0..<7 {
                    let (a, b) = (data.xTest.row(i), data.x.row(j))
                    let xi = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
                    let distance = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
                    XCTAssertEqual(k[i, j], kernel.value(xi: xi, distance: distance), accuracy: 1e-13, "\(kernel) [\(i), \(j)]")
                }
            }
        }
    }

    /// The text's two readings of the test labels share every input and training label; only
    /// y_t differs, and with raw labels it is f of a row of norm about sqrt(d), not 1.
    func testRawTestLabelsChangeOnlyTheTestTargets() {
        let normalized = RegressionData.generate(n: 6, nTest: 40, d: 50, seed: 4)
        let raw = RegressionData.generate(n: 6, nTest: 40, d: 50, seed: 4, rawTestLabels: true)
        XCTAssertEqual(normalized.x, raw.x)
        XCTAssertEqual(normalized.xTest, raw.xTest)
        XCTAssertEqual(normalized.y, raw.y)
        for i in 0..<40 {
            XCTAssertEqual(normalized.yTest[i], RegressionData.target(normalized.xTest.row(i)), accuracy: 1e-15)
        }
        // sin(x_i) with x_i ~ N(0, 1) has variance (1 - e^-2)/2 = 0.43, so y_t spreads as
        // sqrt(0.43 / d); of unit rows (entries ~ 1/sqrt(d)), as 1/d.
        func spread(_ v: [Double]) -> Double { (v.reduce(0) { $0 + $1 * $1 } / Double(v.count)).squareRoot() }
        XCTAssertEqual(spread(raw.yTest), (0.432 / 50).squareRoot(), accuracy: 0.03)
        XCTAssertLessThan(spread(normalized.yTest), 0.03)
    }

    func testCholeskyAndLUAgainstADirectSolve() throws {
        var g = SeededGenerator(seed: 11)
        let n = 37
        let b = DMatrix(rows: n, columns: n, values: (0..<n * n).map { _ in g.nextNormal() })
        var a = DoubleLinearAlgebra.multiplyTransposed(b, b)
        for i in 0..<n { a[i, i] += 0.5 }
        // The naive product, as the reference for A B^T.
        for i in [0, 5, 36] { for j in [0, 17, 36] {
            XCTAssertEqual(a[i, j] - (i == j ? 0.5 : 0), (0..<n).reduce(0) { $0 + b[i, $1] * b[j, $1] }, accuracy: 1e-10)
        } }
        let x = (0..<n).map { _ in g.nextNormal() }
        let rhs = DoubleLinearAlgebra.multiply(a, x)
        let l = try XCTUnwrap(DoubleLinearAlgebra.cholesky(a))
        let reference = try XCTUnwrap(DoubleLinearAlgebra.choleskyReference(a))
        for i in 0..<n * n { XCTAssertEqual(l.values[i], reference.values[i], accuracy: 1e-10, "blocked against unblocked at \(i)") }
        let viaCholesky = DoubleLinearAlgebra.choleskySolve(l, rhs)
        let viaLU = try XCTUnwrap(DoubleLinearAlgebra.luSolve(a, rhs))
        for i in 0..<n {
            XCTAssertEqual(viaCholesky[i], x[i], accuracy: 1e-8)
            XCTAssertEqual(viaLU[i], x[i], accuracy: 1e-8)
        }
        XCTAssertLessThan(DoubleLinearAlgebra.relativeResidual(a, viaCholesky, rhs), 1e-13)
        // Not positive definite: Cholesky refuses, LU still solves.
        let indefinite = DMatrix(rows: 2, columns: 2, values: [1, 2, 2, 1])
        XCTAssertNil(DoubleLinearAlgebra.cholesky(indefinite))
        XCTAssertEqual(try XCTUnwrap(DoubleLinearAlgebra.luSolve(indefinite, [3, 3])), [1, 1])
        XCTAssertNil(DoubleLinearAlgebra.luSolve(DMatrix(rows: 2, columns: 2, values: [1, 2, 2, 4]), [1, 1]), "singular")
        // Condition number of diag(1, 10, 100).
        let diagonal = DMatrix(rows: 3, columns: 3, values: [1, 0, 0, 0, 10, 0, 0, 0, 100])
        XCTAssertEqual(DoubleLinearAlgebra.conditionNumber(diagonal, cholesky: try XCTUnwrap(DoubleLinearAlgebra.cholesky(diagonal))), 100, accuracy: 1e-6)
    }

    func testBlockedCholeskyAcrossBlockBoundaries() throws {
        var g = SeededGenerator(seed: 12)
        for n in [1, 63, 64, 65, 200] {
            let b = DMatrix(rows: n, columns: n + 3, values: (0..<n * (n + 3)).map { _ in g.nextNormal() })
            let a = DoubleLinearAlgebra.multiplyTransposed(b, b)
            let fast = try XCTUnwrap(DoubleLinearAlgebra.cholesky(a), "n = \(n)")
            let slow = try XCTUnwrap(DoubleLinearAlgebra.choleskyReference(a), "n = \(n)")
            let worst = zip(fast.values, slow.values).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-9, "n = \(n)")
        }
        XCTAssertNil(DoubleLinearAlgebra.cholesky(DMatrix(rows: 70, columns: 70, repeating: 1)), "rank one: not positive definite")
    }

    func testRegressionInterpolatesAndBeatsZero() throws {
        let data = RegressionData.generate(n: 60, nTest: 400, d: 30, seed: 5)
        for kernel in NNGPKernel.allCases {
            let fit = try KernelRegression(kernel: kernel, x: data.x, y: data.y)
            let onTraining = fit.predict(data.x, training: data.x)
            for i in 0..<60 { XCTAssertEqual(onTraining[i], data.y[i], accuracy: 1e-9, "\(kernel) fits the training data exactly") }
            let mse = zip(fit.predict(data.xTest, training: data.x), data.yTest).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / 400
            let zero = data.yTest.reduce(0) { $0 + $1 * $1 } / 400
            XCTAssertLessThan(mse, zero, "\(kernel) beats predicting 0")
        }
    }

    func testMinimumNormSolutions() throws {
        var g = SeededGenerator(seed: 8)
        let y = (0..<6).map { _ in g.nextNormal() }
        // Wide (k > n): interpolates, and equals where gradient descent from 0 goes (the minimum norm).
        let wide = DMatrix(rows: 6, columns: 15, values: (0..<90).map { _ in g.nextNormal() })
        let a = WidthExperiment.minimumNorm(wide, y)
        let fitted = DoubleLinearAlgebra.multiply(wide, a)
        for i in 0..<6 { XCTAssertEqual(fitted[i], y[i], accuracy: 1e-9) }
        let descended = try WidthExperiment.gradientDescent(wide, y, steps: 20_000)
        for j in 0..<15 { XCTAssertEqual(descended[j], a[j], accuracy: 1e-5, "component \(j)") }
        // Tall (k < n): least squares, so the residual is orthogonal to every feature column.
        let tall = DMatrix(rows: 6, columns: 3, values: (0..<18).map { _ in g.nextNormal() })
        let b = WidthExperiment.minimumNorm(tall, y)
        let residual = zip(DoubleLinearAlgebra.multiply(tall, b), y).map { $0 - $1 }
        for j in 0..<3 { XCTAssertEqual((0..<6).reduce(0) { $0 + tall[$1, j] * residual[$1] }, 0, accuracy: 1e-10) }
    }
}
