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

    func testTheDualGradientVanishesAtTheClosedFormAndTheSolverStallsWhereFloat32Says() throws {
        // HW3 3(b)'s hint: grad f(a_hat) = 0 at a_hat = 1 / (1 - exp(-2 / sigma^2))^2.
        for sigma in [0.5, 1, 2, 4] {
            let exact = XORExperiment.rbfClosedForm(sigma: sigma), e = Foundation.exp(-2 / (sigma * sigma))
            let at = { (a: Double) in DualSolver.closedFormGradient(kernel: .rbf(sigma: sigma), x: self.xor, y: self.labels, alpha: [Double](repeating: a, count: 4)) }
            XCTAssertLessThan(at(exact).map(abs).max() ?? 1, 1e-13 * exact, "sigma \(sigma)")
            // Along (1, 1, 1, 1) the gradient is (1 - e)^2 (a - a_hat) in each component.
            for component in at(exact * 1.01) { XCTAssertEqual(component, (1 - e) * (1 - e) * 0.01 * exact, accuracy: 1e-9 * exact) }
        }
        // sigma = 4: 10,000 steps and 200,000 stop at the same a, short of a_hat by about
        // ulp(a_hat) / (2 lr (1 - e)^2): the Float32 steps round away, not too few steps.
        let short = try DualSolver(kernel: .rbf(sigma: 4)).solve(x: xor, y: labels)
        let long = try DualSolver(kernel: .rbf(sigma: 4), steps: 200_000).solve(x: xor, y: labels, logEvery: 200_000)
        XCTAssertEqual(short.alpha, long.alpha)
        let gap = XORExperiment.rbfClosedForm(sigma: 4) - Double(short.alpha[0]), stall = XORExperiment.float32Stall(sigma: 4, lr: 0.1)
        XCTAssertEqual(gap, stall, accuracy: 0.25 * stall, "gap \(gap), predicted \(stall)")
    }

    func testTheRatioTendsToTheNearestSupportVectorsSumTiesIncluded() throws {
        var previous: [String: Double] = [:]
        for sigma in [0.5, 0.3, 0.2, 0.1] {
            let model = try DualSolver(kernel: .rbf(sigma: sigma)).solve(x: xor, y: labels)
            for probe in XORNearestLimit.probes {
                let row = XORNearestLimit.row(model, sigma: sigma, probe: probe)
                if row.nearest.count > 1 {
                    // On the axes and at the origin T holds support vectors of both labels: 0.
                    XCTAssertEqual(row.limitAtZero, 0, probe.name)
                    XCTAssertLessThan(abs(row.ratio), 1e-5, "\(probe.name): f is 0 there by symmetry")
                } else {
                    XCTAssertEqual(abs(row.limit), Double(model.alpha[row.nearest[0] - 1]), accuracy: 1e-12)
                    XCTAssertLessThanOrEqual(row.gap, 3 * row.rate * abs(row.limit) + 1e-12, "\(probe.name), sigma \(sigma)")
                    if let before = previous[probe.name] { XCTAssertLessThan(row.gap, before, "\(probe.name) closer at sigma \(sigma)") }
                    previous[probe.name] = row.gap
                }
            }
        }
        let model = try DualSolver(kernel: .rbf(sigma: 0.1)).solve(x: xor, y: labels)
        let nearest = XORNearestLimit.probes.map { XORNearestLimit.row(model, sigma: 0.1, probe: $0).nearest }
        XCTAssertEqual(nearest, [[1], [2], [1], [1, 4], [3, 4], [1, 2, 3, 4]])
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
