import Foundation
import PluginAPI
import SVM
import XCTest

/// The SVM with a free bias (CS446 HW2 problem 1): the projection onto
/// {0 <= a (<= C), sum a_i y_i = 0} against an active-set enumeration, the solver against a
/// brute-force SVM and the two-point closed forms, and the bias-free path left as it was.
final class BiasSolverTests: XCTestCase {
    func testProjectionIsFeasibleAndEqualsTheEnumeratedProjection() throws {
        var g = SeededGenerator(seed: 11)
        for trial in 0..<300 {
            let n = 1 + trial % 4
            let v = Tensor.normal([n], generator: &g).values.map { 2 * Double($0) }
            let signs = Tensor.normal([n], generator: &g).values.map { $0 >= 0 ? 1.0 : -1.0 }
            for upper in [Double.infinity, 0.7] {
                let a = DualSolver.projectOntoBiasConstraint(v, labels: signs, upper: upper)
                let reference = try XCTUnwrap(BiasReference.projection(v, labels: signs, upper: upper))
                XCTAssertEqual(abs(zip(a, signs).reduce(0) { $0 + $1.0 * $1.1 }), 0, accuracy: 1e-12, "sum a_i y_i, trial \(trial)")
                XCTAssertTrue(a.allSatisfy { $0 >= 0 && $0 <= upper }, "bounds, trial \(trial): \(a)")
                for i in 0..<n { XCTAssertEqual(a[i], reference[i], accuracy: 1e-10, "trial \(trial), C \(upper), v \(v), y \(signs)") }
            }
        }
    }

    func testProjectionOfAFeasiblePointIsThePointItself() {
        let a = [0.3, 0.5, 0.8, 0], y = [1.0, 1, -1, -1]
        for (projected, original) in zip(DualSolver.projectOntoBiasConstraint(a, labels: y), a) { XCTAssertEqual(projected, original, accuracy: 1e-15) }
        XCTAssertEqual(DualSolver.projectOntoBiasConstraint([1, 2], labels: [1, 1]), [0, 0], "one class: only a = 0 is feasible")
    }

    func testBiasSolverMatchesTheBruteForceSVMOnSmallSeparableSets() throws {
        var g = SeededGenerator(seed: 5)
        var checked = 0
        while checked < 12 {
            let n = 2 + checked % 3
            let x = Tensor.normal([n, 2], generator: &g)
            let score = (0..<n).map { Double(x.values[2 * $0] - 0.5 * x.values[2 * $0 + 1]) + 0.3 }
            guard score.allSatisfy({ abs($0) > 0.2 }), Set(score.map { $0 > 0 }).count == 2 else { continue }
            let labels = score.map { $0 > 0 ? 1.0 : -1.0 }
            let k = DualSolver.kernelMatrix(.linear, x)
            let reference = try XCTUnwrap(BiasReference.hardMarginSVM(kernelMatrix: k, labels: labels), "separable by construction")
            let lr = Float(DualSolver.gershgorinStep(.linear, x: x))
            let model = try DualSolver(kernel: .linear, lr: lr, steps: 50_000, bias: true)
                .solve(x: x, y: Tensor(labels.map(Float.init), shape: [n]), logEvery: 50_000)
            let xs = x.values.map(Double.init)
            for axis in 0..<2 {
                let v = (0..<n).reduce(0.0) { $0 + model.alphaDouble[$1] * labels[$1] * xs[2 * $1 + axis] }
                let exact = (0..<n).reduce(0.0) { $0 + reference.alpha[$1] * labels[$1] * xs[2 * $1 + axis] }
                XCTAssertEqual(v, exact, accuracy: 1e-6 * max(1, abs(exact)), "v[\(axis)], set \(checked)")
            }
            XCTAssertEqual(try XCTUnwrap(model.bias), reference.bias, accuracy: 1e-6 * max(1, abs(reference.bias)), "b, set \(checked)")
            checked += 1
        }
    }

    func testBothFormulationsMatchTheClosedFormsOnTheTwoPoints() throws {
        for a in [0.5, 2, 3, 5, 12, 30] {
            let d = 3
            let x: [Float] = [1, 0, 0, Float(-a), 0, 0], y = Tensor([1, -1], shape: [2])
            let plain = Tensor(x, shape: [2, d]), augmented = Tensor([1, 0, 0, 1, Float(-a), 0, 0, 1], shape: [2, d + 1])
            let first = try DualSolver(kernel: .linear, lr: Float(DualSolver.gershgorinStep(.linear, x: augmented)), steps: 20_000)
                .solve(x: augmented, y: y, logEvery: 20_000)
            let second = try DualSolver(kernel: .linear, lr: Float(DualSolver.gershgorinStep(.linear, x: plain)), steps: 20_000, bias: true)
                .solve(x: plain, y: y, logEvery: 20_000)
            let alphaU = first.alpha.map(Double.init), alphaV = second.alphaDouble
            let u1 = alphaU[0] + a * alphaU[1], uLast = alphaU[0] - alphaU[1]
            XCTAssertEqual(u1, BiasClosedForms.u1(a), accuracy: 1e-4, "u1 at a = \(a)")
            XCTAssertEqual(uLast, BiasClosedForms.uLast(a), accuracy: 1e-4, "u_(d+1) at a = \(a)")
            for (measured, exact) in zip(alphaU + alphaV, BiasClosedForms.alphaU(a) + BiasClosedForms.alphaV(a)) {
                XCTAssertEqual(measured, exact, accuracy: 1e-4, "alphas at a = \(a)")
            }
            XCTAssertEqual(alphaV[0] * (1 + a), BiasClosedForms.v1(a), accuracy: 1e-9, "v1 at a = \(a)")
            XCTAssertEqual(try XCTUnwrap(second.bias), BiasClosedForms.b(a), accuracy: 1e-9, "b at a = \(a)")
            let f = second.predict(plain)
            XCTAssertEqual(f[0], 1, accuracy: 1e-5, "x_1 on its margin at a = \(a)")
            XCTAssertEqual(f[1], -1, accuracy: 1e-5, "x_2 on its margin at a = \(a)")
        }
        XCTAssertEqual(BiasClosedForms.halfNormU(1e6), 0.25)
        XCTAssertLessThan(BiasClosedForms.halfNormV(1e6), 1e-11)
    }

    func testSoftMarginWithBiasMeetsTheKKTConditions() throws {
        var g = SeededGenerator(seed: 9)
        let n = 12
        let x = Tensor.normal([n, 2], generator: &g)
        // Overlapping classes: the label follows x1 except for two flipped points.
        let labels = (0..<n).map { i -> Double in (x.values[2 * i] > 0) != (i < 2) ? 1 : -1 }
        let c = 0.5
        let model = try DualSolver(kernel: .linear, c: c, lr: Float(DualSolver.gershgorinStep(.linear, x: x)), steps: 100_000, bias: true)
            .solve(x: x, y: Tensor(labels.map(Float.init), shape: [n]), logEvery: 100_000)
        let a = model.alphaDouble, b = try XCTUnwrap(model.bias, "some 0 < a_i < C")
        XCTAssertEqual(zip(a, labels).reduce(0) { $0 + $1.0 * $1.1 }, 0, accuracy: 1e-12)
        let k = DualSolver.kernelMatrix(.linear, x)
        for i in 0..<n {
            let margin = labels[i] * (0..<n).reduce(b) { $0 + a[$1] * labels[$1] * k[i * n + $1] }
            XCTAssertTrue(a[i] >= 0 && a[i] <= c, "bounds")
            if a[i] < 1e-9 { XCTAssertGreaterThanOrEqual(margin, 1 - 1e-5, "a_\(i) = 0: outside the margin") }
            else if a[i] > c - 1e-9 { XCTAssertLessThanOrEqual(margin, 1 + 1e-5, "a_\(i) = C: inside the margin") }
            else { XCTAssertEqual(margin, 1, accuracy: 1e-5, "0 < a_\(i) < C: on the margin") }
        }
    }

    func testOnePointLeavesTheBiasUndetermined() throws {
        let model = try DualSolver(kernel: .linear, lr: 0.5, steps: 100, bias: true).solve(x: Tensor([1, 0], shape: [1, 2]), y: Tensor([1], shape: [1]))
        XCTAssertEqual(model.alphaDouble, [0])
        XCTAssertNil(model.bias, "v = 0 and any b >= 1 is optimal: no margin support vector fixes b")
    }

    func testBiasFreePathGivesTheSameNumbersAsBefore() throws {
        // The blobs of SVMCommandTests, solved before the bias form existed: alphas
        // (0, 0, 0.2222222, 0, 0, 0.2222222), objective -0.2222222089767456.
        let x = Tensor([-2, 0, -2.5, 0.5, -1.5, -0.5, 2, 0, 2.5, 0.5, 1.5, -0.5], shape: [6, 2]), y = Tensor([-1, -1, -1, 1, 1, 1], shape: [6])
        let model = try DualSolver(kernel: .polynomial(degree: 1), c: 10, steps: 3000).solve(x: x, y: y, logEvery: 15)
        XCTAssertEqual(model.alpha, [0, 0, 0.2222222089767456, 0, 0, 0.2222222089767456])
        XCTAssertEqual(model.finalObjective, -0.2222222089767456)
        XCTAssertNil(model.bias)
        XCTAssertEqual(try DualSolver(kernel: .polynomial(degree: 1), c: 10, steps: 3000, bias: false).solve(x: x, y: y).alpha, model.alpha)
    }
}
