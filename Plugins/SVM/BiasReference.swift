import Foundation

/// Naive references for the bias form, by enumerating active sets: slow (exponential in n)
/// and only for a handful of points, but with no step size, iteration or bisection in them.
public enum BiasReference {
    /// The projection of v onto {0 <= a_i <= upper, sum a_i y_i = 0} by trying every
    /// assignment of the points to {at 0, free, at upper} (3^n of them): on a face, the
    /// free coordinates are v_i - mu y_i with mu fixing the equality; the nearest feasible
    /// candidate is the projection. For n <= 10.
    public static func projection(_ v: [Double], labels y: [Double], upper: Double = .infinity) -> [Double]? {
        let n = v.count
        guard n <= 10 else { return nil }
        let states = upper.isFinite ? 3 : 2
        var best: (distance: Double, a: [Double])?
        var total = 1
        for _ in 0..<n { total *= states }
        for code in 0..<total {
            var state = [Int](repeating: 0, count: n), rest = code
            for i in 0..<n { state[i] = rest % states; rest /= states }
            let free = (0..<n).filter { state[$0] == 1 }, top = (0..<n).filter { state[$0] == 2 }
            let fixed = top.reduce(0.0) { $0 + y[$1] * upper }
            var a = [Double](repeating: 0, count: n)
            for i in top { a[i] = upper }
            if free.isEmpty {
                if abs(fixed) > 1e-12 { continue }
            } else {
                let mu = (free.reduce(0.0) { $0 + y[$1] * v[$1] } + fixed) / Double(free.count)
                for i in free { a[i] = v[i] - mu * y[i] }
            }
            guard a.allSatisfy({ $0 >= -1e-12 && $0 <= upper + 1e-12 }) else { continue }
            let distance = zip(a, v).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            if best.map({ distance < $0.distance }) ?? true { best = (distance, a) }
        }
        return best?.a
    }

    /// The hard-margin SVM with a free bias for a few points (n <= 12), from the kernel matrix
    /// k (n * n) and labels: for every set S of support vectors, the KKT system
    /// [Q_SS y_S; y_S^T 0] [a_S; b] = [1; 0] (every point of S on its margin); the answer is the
    /// candidate with a_S >= 0 and y_i f(x_i) >= 1 for all i with the smallest 1/2 ||v||^2.
    /// nil when the points are not separable.
    public static func hardMarginSVM(kernelMatrix k: [Double], labels y: [Double]) -> (alpha: [Double], bias: Double)? {
        let n = y.count
        guard n <= 12 else { return nil }
        var best: (norm: Double, alpha: [Double], bias: Double)?
        for mask in 1..<(1 << n) {
            let s = (0..<n).filter { mask & (1 << $0) != 0 }
            let m = s.count + 1
            var system = [[Double]](repeating: [Double](repeating: 0, count: m + 1), count: m)
            for (r, i) in s.enumerated() {
                for (col, j) in s.enumerated() { system[r][col] = y[i] * y[j] * k[i * n + j] }
                system[r][m - 1] = y[i]
                system[r][m] = 1
                system[m - 1][r] = y[i]
            }
            guard let solution = solveLinear(system) else { continue }
            var alpha = [Double](repeating: 0, count: n)
            for (r, i) in s.enumerated() { alpha[i] = solution[r] }
            let b = solution[m - 1]
            guard alpha.allSatisfy({ $0 >= -1e-10 }) else { continue }
            let f = (0..<n).map { i in (0..<n).reduce(b) { $0 + alpha[$1] * y[$1] * k[i * n + $1] } }
            guard (0..<n).allSatisfy({ y[$0] * f[$0] >= 1 - 1e-9 }) else { continue }
            var norm = 0.0
            for i in 0..<n { for j in 0..<n { norm += alpha[i] * alpha[j] * y[i] * y[j] * k[i * n + j] } }
            if best.map({ norm / 2 < $0.norm - 1e-12 }) ?? true { best = (norm / 2, alpha, b) }
        }
        return best.map { ($0.alpha, $0.bias) }
    }

    /// Gaussian elimination with partial pivoting on an augmented m x (m + 1) system; nil when singular.
    static func solveLinear(_ matrix: [[Double]]) -> [Double]? {
        var a = matrix
        let m = a.count
        for col in 0..<m {
            guard let pivot = (col..<m).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[pivot][col]) > 1e-12 else { return nil }
            a.swapAt(col, pivot)
            for r in 0..<m where r != col {
                let factor = a[r][col] / a[col][col]
                if factor != 0 { for c in col...m { a[r][c] -= factor * a[col][c] } }
            }
        }
        return (0..<m).map { a[$0][m] / a[$0][$0] }
    }
}
