import Foundation
import PluginAPI

/// The SVM with a free bias (CS446 HW2 problem 1, the second formulation):
/// min 1/2 ||v||^2 subject to y_i (v.x_i + b) >= 1. Its dual is the bias-free dual plus one
/// equality, min_a 1/2 a^T Q a - sum a over {0 <= a_i (<= C), sum_i a_i y_i = 0}, solved by
/// projected gradient descent with the exact Euclidean projection onto that set. Everything
/// is in Double (the kernel by `Kernel.value`, the gradient Q a - 1 in closed form, which
/// `DualSolverTests` checks against autograd); the bias-free path is untouched.
extension DualSolver {
    /// Solves the bias form: a <- P(a - lr (Q a - 1)) from a = 0, then b from the KKT
    /// conditions. Throws `PluginError.diverged` when the objective is not finite.
    func solveWithBias(x: Tensor, y: Tensor, loop: TrainingLoop) throws -> Model {
        let n = x.shape[0]
        let k = DualSolver.kernelMatrix(kernel, x)
        let labels = y.values.map(Double.init)
        let q = (0..<n * n).map { labels[$0 / n] * labels[$0 % n] * k[$0] }
        let eta = Double(lr), upper = c ?? .infinity
        var a = [Double](repeating: 0, count: n), v = a
        var model = Model(x: x, y: y, alpha: [], kernel: kernel, objective: [])
        let report = try loop.run(step: { step in
            for i in 0..<n {
                var g = -1.0
                for j in 0..<n { g += q[i * n + j] * a[j] }
                v[i] = a[i] - eta * g
            }
            a = DualSolver.projectOntoBiasConstraint(v, labels: labels, upper: upper)
            return loop.isLoggingPoint(step) ? DualSolver.dualObjective(a, q: q) : nil
        }, log: { point in
            model.objective.append((point.step, point.windowLoss))
            return [("objective", point.windowLoss)]
        })
        model.seconds = report.seconds
        model.alphaDouble = a
        model.alpha = a.map { Float($0) }
        model.bias = DualSolver.recoverBias(alpha: a, labels: labels, kernelMatrix: k, upper: upper)
        return model
    }

    /// K[i * n + j] = k(x_i, x_j) in Double for the rows of x (n, d).
    public static func kernelMatrix(_ kernel: Kernel, _ x: Tensor) -> [Double] {
        let n = x.shape[0], d = x.shape[1], values = x.values.map(Double.init)
        let rows = (0..<n).map { Array(values[$0 * d..<($0 + 1) * d]) }
        return (0..<n * n).map { kernel.value(rows[$0 / n], rows[$0 % n]) }
    }

    /// f(a) = 1/2 a^T Q a - sum a for Q (n * n, row-major).
    public static func dualObjective(_ a: [Double], q: [Double]) -> Double {
        let n = a.count
        var total = 0.0
        for i in 0..<n {
            var row = 0.0
            for j in 0..<n { row += q[i * n + j] * a[j] }
            total += a[i] * (0.5 * row - 1)
        }
        return total
    }

    /// The Euclidean projection of `v` onto {0 <= a_i <= upper, sum_i a_i y_i = 0} for labels
    /// y_i = +-1 (upper may be infinite). By the KKT conditions a_i = clip(v_i - mu y_i, 0,
    /// upper) for one multiplier mu with g(mu) = sum_i y_i a_i(mu) = 0; g does not increase
    /// with mu, is >= 0 at mu = -(max |v| + 1) and <= 0 at max |v| + 1, so bisection finds
    /// its root; the last step solves g = 0 exactly on the active set the bisection ended in.
    public static func projectOntoBiasConstraint(_ v: [Double], labels y: [Double], upper: Double = .infinity) -> [Double] {
        func clipped(_ mu: Double) -> [Double] { zip(v, y).map { Swift.min(Swift.max($0 - mu * $1, 0), upper) } }
        func g(_ mu: Double) -> Double { zip(clipped(mu), y).reduce(0) { $0 + $1.0 * $1.1 } }
        let reach = (v.map(abs).max() ?? 0) + 1
        var (lo, hi) = (-reach, reach)
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid <= lo || mid >= hi { break }
            if g(mid) > 0 { lo = mid } else { hi = mid }
        }
        var mu = 0.5 * (lo + hi)
        // Exact finish: with the free set F and the set U at the upper bound fixed,
        // g(mu) = sum_F y_i v_i - |F| mu + upper sum_U y_i = 0.
        let a = clipped(mu)
        let free = a.indices.filter { a[$0] > 0 && a[$0] < upper }
        if !free.isEmpty {
            let atUpper = a.indices.filter { a[$0] >= upper }
            let exact = (free.reduce(0) { $0 + y[$1] * v[$1] } + atUpper.reduce(0) { $0 + y[$1] * upper }) / Double(free.count)
            if abs(g(exact)) <= abs(g(mu)) { mu = exact }
        }
        return clipped(mu)
    }

    /// b from the KKT conditions: y_i (sum_j a_j y_j K_ij + b) = 1 on every margin support
    /// vector (a_i > 0, and < C for the soft margin), averaged over them; nil when there is none.
    public static func recoverBias(alpha: [Double], labels: [Double], kernelMatrix k: [Double], upper: Double = .infinity) -> Double? {
        let n = alpha.count
        let tolerance = 1e-6 * Swift.max(1, alpha.max() ?? 0)
        let margin = alpha.indices.filter { alpha[$0] > tolerance && alpha[$0] < upper - tolerance }
        guard !margin.isEmpty else { return nil }
        let sum = margin.reduce(0.0) { total, i in
            total + labels[i] - (0..<n).reduce(0.0) { $0 + alpha[$1] * labels[$1] * k[i * n + $1] }
        }
        return sum / Double(margin.count)
    }

    /// A safe step for the dual: 1 / the largest absolute row sum of Q (an upper bound on
    /// Q's largest eigenvalue, so lr < 2 / lambda_max).
    public static func gershgorinStep(_ kernel: Kernel, x: Tensor) -> Double {
        let n = x.shape[0], k = kernelMatrix(kernel, x)
        let bound = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + abs(k[i * n + $1]) } }.max() ?? 1
        return 1 / Swift.max(bound, 1e-12)
    }
}
