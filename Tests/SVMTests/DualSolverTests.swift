import Foundation
import PluginAPI
import SVM
import XCTest

/// The kernel SVM dual: kernels against the pairwise definition, autograd against the closed
/// form gradient, and the XOR solutions against HW3's closed form.
final class DualSolverTests: XCTestCase {
    let xor = Tensor([1, 1, -1, 1, -1, -1, 1, -1], shape: [4, 2])
    let labels = Tensor([1, -1, 1, -1], shape: [4])

    func testKernelMatricesMatchThePairwiseDefinition() {
        var g = SeededGenerator(seed: 2)
        let a = Tensor.normal([5, 3], generator: &g), b = Tensor.normal([4, 3], generator: &g)
        for kernel in [Kernel.polynomial(degree: 3), .rbf(sigma: 0.7), .linear] {
            let k = kernel.matrix(a, b)
            XCTAssertEqual(k.shape, [5, 4])
            for i in 0..<5 {
                for j in 0..<4 {
                    let exact = kernel.value((0..<3).map { Double(a.values[i * 3 + $0]) }, (0..<3).map { Double(b.values[j * 3 + $0]) })
                    XCTAssertEqual(Double(k.values[i * 4 + j]), exact, accuracy: 1e-5 * max(1, abs(exact)), "\(kernel) [\(i), \(j)]")
                }
            }
        }
    }

    func testAutogradGradientIsTheClosedForm() {
        var g = SeededGenerator(seed: 7)
        let x = Tensor.normal([6, 2], generator: &g)
        let y = Tensor([1, -1, 1, 1, -1, -1], shape: [6])
        let alpha: [Float] = [0.3, 1.2, 0, 0.7, 2.5, 0.1]
        for kernel in [Kernel.polynomial(degree: 2), .rbf(sigma: 1.5)] {
            let auto = DualSolver.autogradGradient(kernel: kernel, x: x, y: y, alpha: alpha)
            let closed = DualSolver.closedFormGradient(kernel: kernel, x: x, y: y, alpha: alpha)
            for i in 0..<6 { XCTAssertEqual(Double(auto[i]), closed[i], accuracy: 1e-5 * max(1, abs(closed[i])), "\(kernel) component \(i)") }
        }
    }

    func testXORMatchesTheClosedForms() throws {
        let poly = try DualSolver(kernel: .polynomial(degree: 2)).solve(x: xor, y: labels)
        for a in poly.alpha { XCTAssertEqual(a, 0.125, accuracy: 1e-6, "degree 2: every alpha is 1/8") }
        XCTAssertEqual(poly.finalObjective, -0.25, accuracy: 1e-6)
        for (sigma, tolerance) in [(1.0, 1e-5), (2.0, 1e-4)] {
            let model = try DualSolver(kernel: .rbf(sigma: sigma)).solve(x: xor, y: labels)
            let e = Foundation.exp(-2 / (sigma * sigma)), exact = 1 / ((1 - e) * (1 - e))
            for a in model.alpha { XCTAssertEqual(Double(a), exact, accuracy: tolerance * exact, "sigma \(sigma)") }
        }
        // The predictor: f(x) = x1 x2 for the degree-2 kernel with alpha = 1/8.
        let f = poly.predict(Tensor([2, 3, -1, 4], shape: [2, 2]))
        XCTAssertEqual(f[0], 6, accuracy: 1e-4)
        XCTAssertEqual(f[1], -4, accuracy: 1e-4)
    }

    func testSoftMarginBoundsAlpha() throws {
        let model = try DualSolver(kernel: .rbf(sigma: 4), c: 5).solve(x: xor, y: labels)
        for a in model.alpha { XCTAssertEqual(a, 5, "the hard-margin optimum (72.4) is clipped at C") }
    }

    func testDivergenceIsReported() {
        XCTAssertThrowsError(try DualSolver(kernel: .polynomial(degree: 2), lr: 1e30, steps: 200).solve(x: xor, y: labels, logEvery: 1)) {
            XCTAssertEqual(($0 as? PluginError)?.kind, .diverged)
        }
    }
}
