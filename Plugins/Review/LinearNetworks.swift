import Foundation
import PluginAPI

/// CS189 HW7 problem 2, linear neural networks, in double precision and in the text's notation:
/// layers W_i in R^{d_i x d_{i-1}} (`layers[0]` is W_1), d_0 = d inputs, d_L = p outputs, the
/// product W̄ = W_L ... W_1 in R^{p x d}, data matrices X (n x d) and Y (n x p) whose rows are
/// x_i and y_i, the training loss R̂(f) = 1/2 sum_i ||f(x_i) - y_i||^2 and
/// Q(W̄) = 1/2 ||W̄ X^T - Y^T||_F^2. The experiment `linear-networks` measures each part with these.
public enum LinearNetworks {
    // MARK: Matrices

    /// A B (naive triple loop; the matrices here are at most tens of rows).
    public static func multiply(_ a: DMatrix, _ b: DMatrix) -> DMatrix {
        precondition(a.columns == b.rows, "A B: \(a.rows) x \(a.columns) times \(b.rows) x \(b.columns)")
        var out = DMatrix(rows: a.rows, columns: b.columns)
        let (n, m) = (a.columns, b.columns)
        for i in 0..<a.rows {
            for k in 0..<n {
                let v = a.values[i * n + k]
                if v == 0 { continue }
                for j in 0..<m { out.values[i * m + j] += v * b.values[k * m + j] }
            }
        }
        return out
    }

    /// A^T.
    public static func transpose(_ a: DMatrix) -> DMatrix { DoubleLinearAlgebra.transpose(a) }

    /// A + s B.
    public static func add(_ a: DMatrix, _ b: DMatrix, scale s: Double = 1) -> DMatrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "A + s B: shapes differ")
        return DMatrix(rows: a.rows, columns: a.columns, values: zip(a.values, b.values).map { $0 + s * $1 })
    }

    /// s A.
    public static func scale(_ a: DMatrix, _ s: Double) -> DMatrix { DMatrix(rows: a.rows, columns: a.columns, values: a.values.map { s * $0 }) }

    /// ||A||_F^2, the sum of squared entries.
    public static func frobeniusSquared(_ a: DMatrix) -> Double { a.values.reduce(0) { $0 + $1 * $1 } }

    /// The n x n identity.
    public static func identity(_ n: Int) -> DMatrix {
        var m = DMatrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// A rows x columns matrix of i.i.d. N(0, std^2) entries.
    public static func gaussian(_ rows: Int, _ columns: Int, std: Double = 1, generator g: inout SeededGenerator) -> DMatrix {
        DMatrix(rows: rows, columns: columns, values: (0..<rows * columns).map { _ in std * g.nextNormal() })
    }

    /// A random n x n orthogonal matrix: Gram-Schmidt (twice) on the columns of a Gaussian matrix.
    public static func orthogonal(_ n: Int, generator g: inout SeededGenerator) -> DMatrix {
        var q = gaussian(n, n, generator: &g)
        for j in 0..<n {
            for _ in 0..<2 {
                for k in 0..<j {
                    let dot = (0..<n).reduce(0) { $0 + q[$1, j] * q[$1, k] }
                    for i in 0..<n { q[i, j] -= dot * q[i, k] }
                }
            }
            let norm = (0..<n).reduce(0) { $0 + q[$1, j] * q[$1, j] }.squareRoot()
            for i in 0..<n { q[i, j] /= norm }
        }
        return q
    }

    /// A^{-1} by LU with partial pivoting, one column at a time; nil when A is singular.
    public static func inverse(_ a: DMatrix) -> DMatrix? {
        let n = a.rows
        var out = DMatrix(rows: n, columns: n)
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            guard let column = DoubleLinearAlgebra.luSolve(a, e), column.allSatisfy(\.isFinite) else { return nil }
            for i in 0..<n { out[i, j] = column[i] }
        }
        return out
    }

    /// The thin singular value decomposition A = U diag(s) V^T (A m x n, k = min(m, n): U m x k,
    /// V n x k, s descending), by one-sided Jacobi rotations on the columns until every pair is
    /// orthogonal to 1e-15.
    public static func svd(_ a: DMatrix) -> (u: DMatrix, s: [Double], v: DMatrix) {
        if a.rows < a.columns {
            let t = svd(transpose(a))
            return (t.v, t.s, t.u)
        }
        let (m, n) = (a.rows, a.columns)
        var w = a, v = identity(n)
        for _ in 0..<100 {
            var worst = 0.0
            for p in 0..<n {
                for q in p + 1..<n {
                    var alpha = 0.0, beta = 0.0, gamma = 0.0
                    for i in 0..<m { alpha += w[i, p] * w[i, p]; beta += w[i, q] * w[i, q]; gamma += w[i, p] * w[i, q] }
                    guard alpha > 0, beta > 0, gamma != 0 else { continue }
                    worst = max(worst, abs(gamma) / (alpha * beta).squareRoot())
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot(), s = c * t
                    for i in 0..<m { let (x, y) = (w[i, p], w[i, q]); w[i, p] = c * x - s * y; w[i, q] = s * x + c * y }
                    for i in 0..<n { let (x, y) = (v[i, p], v[i, q]); v[i, p] = c * x - s * y; v[i, q] = s * x + c * y }
                }
            }
            if worst < 1e-15 { break }
        }
        let norms = (0..<n).map { j in (0..<m).reduce(0) { $0 + w[$1, j] * w[$1, j] }.squareRoot() }
        let order = (0..<n).sorted { norms[$0] > norms[$1] }
        var u = DMatrix(rows: m, columns: n), vs = DMatrix(rows: n, columns: n)
        for (k, j) in order.enumerated() {
            for i in 0..<m { u[i, k] = norms[j] > 0 ? w[i, j] / norms[j] : 0 }
            for i in 0..<n { vs[i, k] = v[i, j] }
        }
        return (u, order.map { norms[$0] }, vs)
    }

    /// The singular values of A, descending.
    public static func singularValues(_ a: DMatrix) -> [Double] { svd(a).s }

    /// The number of singular values above `relative` times the largest.
    public static func numericalRank(_ a: DMatrix, relative: Double = 1e-8) -> Int {
        let s = singularValues(a)
        return s.filter { $0 > relative * (s.first ?? 0) }.count
    }

    // MARK: The network and its loss

    /// W̄_{(b:a)} = W_b ... W_a (1-based, as in part (e)); the d_{a-1} x d_{a-1} identity when b < a.
    public static func product(_ layers: [DMatrix], from a: Int = 1, to b: Int? = nil) -> DMatrix {
        let last = b ?? layers.count
        guard a >= 1, last >= a else { return identity(a >= 1 && a <= layers.count ? layers[a - 1].columns : layers.last?.rows ?? 0) }
        var p = layers[a - 1]
        for i in a..<last { p = multiply(layers[i], p) }
        return p
    }

    /// R̂(f_{W_{1:L}}) = 1/2 sum_i ||W_L (... (W_1 x_i)) - y_i||^2, the network applied layer by layer to each x_i.
    public static func risk(_ layers: [DMatrix], x: DMatrix, y: DMatrix) -> Double {
        var total = 0.0
        for i in 0..<x.rows {
            var h = x.row(i)
            for w in layers { h = (0..<w.rows).map { r in (0..<w.columns).reduce(0) { $0 + w[r, $1] * h[$1] } } }
            total += zip(h, y.row(i)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        return total / 2
    }

    /// E = W̄ X^T - Y^T (p x n).
    public static func residual(_ w: DMatrix, x: DMatrix, y: DMatrix) -> DMatrix { add(multiply(w, transpose(x)), transpose(y), scale: -1) }

    /// Q(W̄) = 1/2 ||W̄ X^T - Y^T||_F^2.
    public static func q(_ w: DMatrix, x: DMatrix, y: DMatrix) -> Double { frobeniusSquared(residual(w, x: x, y: y)) / 2 }

    /// Part (c): dQ/dW̄ = (W̄ X^T - Y^T) X = W̄ X^T X - Y^T X (p x d).
    public static func qGradient(_ w: DMatrix, x: DMatrix, y: DMatrix) -> DMatrix { multiply(residual(w, x: x, y: y), x) }

    /// Part (e): dR̂/dW_i = W̄_{(L:i+1)}^T (W̄ X^T - Y^T) X W̄_{(i-1:1)}^T for i = 1...L (`[0]` is W_1's).
    public static func layerGradients(_ layers: [DMatrix], x: DMatrix, y: DMatrix) -> [DMatrix] {
        layerGradients(layers, residual: residual(product(layers), x: x, y: y), x: x)
    }

    /// The same from the residual E = W̄ X^T - Y^T of these layers.
    static func layerGradients(_ layers: [DMatrix], residual e: DMatrix, x: DMatrix) -> [DMatrix] {
        let count = layers.count
        let m = multiply(e, x)
        return (1...count).map { i in
            let after = product(layers, from: i + 1, to: count), before = product(layers, from: 1, to: i - 1)
            return multiply(multiply(transpose(after), m), transpose(before))
        }
    }

    /// The least-squares W* = Y^T X (X^T X)^{-1}, the solution of the normal equations
    /// W X^T X = Y^T X (part (d)); nil when X^T X is singular (n < d or dependent columns).
    public static func leastSquares(x: DMatrix, y: DMatrix) -> DMatrix? {
        guard let l = DoubleLinearAlgebra.cholesky(multiply(transpose(x), x)) else { return nil }
        let xty = multiply(transpose(x), y)
        var wt = DMatrix(rows: x.columns, columns: y.columns)
        for j in 0..<y.columns {
            let column = DoubleLinearAlgebra.choleskySolve(l, (0..<x.columns).map { xty[$0, j] })
            guard column.allSatisfy(\.isFinite) else { return nil }
            for i in 0..<x.columns { wt[i, j] = column[i] }
        }
        return transpose(wt)
    }

    /// The least Q(W̄) over rank(W̄) <= k (the best a net with min d_i = k can do):
    /// Q(W*) + 1/2 sum_{i>k} sigma_i(W* C)^2 with C C^T = X^T X, since
    /// Q(W̄) = Q(W*) + 1/2 ||(W̄ - W*) C||_F^2 and Eckart-Young; nil when X^T X is singular.
    public static func rankConstrainedMinimum(x: DMatrix, y: DMatrix, rank k: Int) -> Double? {
        guard let star = leastSquares(x: x, y: y), let c = DoubleLinearAlgebra.cholesky(multiply(transpose(x), x)) else { return nil }
        return q(star, x: x, y: y) + eckartYoungTail(singularValues(multiply(star, c)), rank: k) / 2
    }

    /// sum_{i>k} s_i^2: the least ||W̄ - W0||_F^2 over rank(W̄) <= k when W0 has singular values s (Eckart-Young).
    public static func eckartYoungTail(_ s: [Double], rank k: Int) -> Double { s.dropFirst(max(k, 0)).reduce(0) { $0 + $1 * $1 } }

    /// Part (a), "if": layers of widths `dims` (d_0 = d, ..., d_L = p) with W̄ = W0, built from
    /// W0 = U diag(s) V^T as in the hint: W_1 = [diag(s_r) V_r^T; 0], the middle layers
    /// [I_r 0; 0 0], W_L = [U_r 0]. nil when rank(W0) > min d_i (part (a), "only if").
    public static func construction(_ w0: DMatrix, dims: [Int]) -> [DMatrix]? {
        guard dims.count >= 2, dims.first == w0.columns, dims.last == w0.rows else { return nil }
        let (u, s, v) = svd(w0)
        let r = s.filter { $0 > 1e-12 * (s.first ?? 0) }.count
        guard r <= dims.min() ?? 0 else { return nil }
        if dims.count == 2 { return [w0] }
        var layers: [DMatrix] = []
        for i in 1..<dims.count {
            var w = DMatrix(rows: dims[i], columns: dims[i - 1])
            for j in 0..<r {
                if i == 1 {
                    for k in 0..<w.columns { w[j, k] = s[j] * v[k, j] }
                } else if i == dims.count - 1 {
                    for k in 0..<w.rows { w[k, j] = u[k, j] }
                } else {
                    w[j, j] = 1
                }
            }
            layers.append(w)
        }
        return layers
    }

    /// Layers of widths `dims` with i.i.d. N(0, scale^2 / d_{i-1}) entries.
    public static func randomLayers(_ dims: [Int], scale: Double = 1, generator g: inout SeededGenerator) -> [DMatrix] {
        (1..<dims.count).map { gaussian(dims[$0], dims[$0 - 1], std: scale / Double(dims[$0 - 1]).squareRoot(), generator: &g) }
    }

    /// Gradient descent on R̂ with the part (e) gradients, step `lr / ||X||_2^2` (so `lr` is free of
    /// the data's scale), reporting to `watch` (whose cancellation ends it early); Q(W̄) before the
    /// first step and after every `every`-th, and the last. Throws `PluginError.diverged` when Q
    /// becomes NaN or infinite.
    public static func descend(_ layers: inout [DMatrix], x: DMatrix, y: DMatrix, lr: Double, steps: Int, every: Int = 1,
                               watch: TrainingWatch = .silent) throws -> [(step: Int, loss: Double)] {
        let step = lr / max(pow(singularValues(x).first ?? 1, 2), 1e-300)
        var trace = [(0, q(product(layers), x: x, y: y))]
        let dims = ([layers.first?.columns ?? 0] + layers.map(\.rows)).map(String.init).joined(separator: "-")
        let loop = TrainingLoop("gradient descent \(dims)", total: steps, logEvery: every, watch: watch,
                                lossName: "loss Q", divergenceHint: "lower --lr (now \(formatNumber(lr)))")
        // Each step's value is Q before it, from the residual its gradients need anyway.
        try loop.run(step: { _ in
            let e = residual(product(layers), x: x, y: y)
            let gradients = layerGradients(layers, residual: e, x: x)
            for i in layers.indices { layers[i] = add(layers[i], gradients[i], scale: -step) }
            return frobeniusSquared(e) / 2
        }, log: { point in
            trace.append((point.step, q(product(layers), x: x, y: y)))
            return []
        })
        return trace
    }

    // MARK: The engine's autograd

    static func tensor(_ m: DMatrix, requiresGrad: Bool = false) -> Tensor {
        Tensor(m.values.map { Float($0) }, shape: [m.rows, m.columns], requiresGrad: requiresGrad)
    }

    static func matrix(_ t: Tensor?, rows: Int, columns: Int) -> DMatrix {
        let values = t?.values.map(Double.init) ?? []
        return DMatrix(rows: rows, columns: columns, values: values.count == rows * columns ? values : [Double](repeating: .nan, count: rows * columns))
    }

    /// dQ/dW̄ by the engine's autograd (Float32) of Q = 1/2 sum_ij E_ij^2, E = W̄ X^T - Y^T (part (c)'s graph).
    public static func autogradQGradient(_ w: DMatrix, x: DMatrix, y: DMatrix) -> DMatrix {
        let wt = tensor(w, requiresGrad: true)
        let e = wt.matmul(tensor(x).T) - tensor(y).T
        (0.5 * (e * e).sum()).backward()
        return matrix(wt.grad, rows: w.rows, columns: w.columns)
    }

    /// dR̂/dW_i for every layer by the engine's autograd: the network applied layer by layer to
    /// X^T (H_0 = X^T, H_i = W_i H_{i-1}), R̂ = 1/2 ||H_L - Y^T||_F^2.
    public static func autogradLayerGradients(_ layers: [DMatrix], x: DMatrix, y: DMatrix) -> [DMatrix] {
        let ws = layers.map { tensor($0, requiresGrad: true) }
        var h = tensor(x).T
        for w in ws { h = w.matmul(h) }
        let e = h - tensor(y).T
        (0.5 * (e * e).sum()).backward()
        return zip(ws, layers).map { matrix($0.grad, rows: $1.rows, columns: $1.columns) }
    }

    /// max |A - B| / max |B| (NaN counts as infinite): the error of a measured matrix against a closed form.
    public static func relativeError(_ a: DMatrix, _ b: DMatrix) -> Double {
        guard a.values.count == b.values.count else { return .infinity }
        let worst = zip(a.values, b.values).reduce(0.0) { w, p in let e = abs(p.0 - p.1); return e.isNaN ? .infinity : max(w, e) }
        return worst / max(b.values.map(abs).max() ?? 0, 1e-300)
    }
}
