import Foundation
import PluginAPI

/// Problem 1: the one-hidden-layer linear network f(x) = A B x with A (1 x k), B (k x d),
/// on data X (d x n), y (1 x n), trained on L = 1/2 ||y - A B X||^2. With the residual
/// r = y - A B X (1 x n) the derivation gives
///
///     dL/dA_i  = -sum_j r_j (B X)_ij         grad_A = -r X^T B^T   (1 x k)
///     dL/dB_il = -A_i sum_j r_j X_lj         grad_B = -A^T r X^T   (k x d)
///
/// so gradient descent is A <- A + eta r X^T B^T and B <- B + eta A^T r X^T (both from the
/// same A, B). Here the closed form against the engine's autograd, central differences, and
/// a gradient-descent run against the engine's SGD.
public enum LinearGradient {
    /// The data and the parameters: X (d x n), y (n values), A (k values), B (k x d).
    public struct Problem: Sendable {
        /// X (d x n), y (n), A (k), B (k x d, row-major).
        public var x: DMatrix, y: [Double], a: [Double], b: DMatrix

        /// The problem with these data and parameters.
        public init(x: DMatrix, y: [Double], a: [Double], b: DMatrix) {
            (self.x, self.y, self.a, self.b) = (x, y, a, b)
        }

        /// Hidden width, input dimension, samples.
        public var k: Int { a.count }
        public var d: Int { x.rows }
        public var n: Int { x.columns }

        /// A random problem: X ~ N(0, 1), y = w^T X + 0.1 N(0, 1) for a w ~ N(0, 1),
        /// A ~ N(0, 1/k), B ~ N(0, 1/d).
        public static func random(k: Int, d: Int, n: Int, generator g: inout SeededGenerator) -> Problem {
            let x = DMatrix(rows: d, columns: n, values: (0..<d * n).map { _ in g.nextNormal() })
            let w = (0..<d).map { _ in g.nextNormal() }
            let y = (0..<n).map { j in (0..<d).reduce(0) { $0 + w[$1] * x[$1, j] } + 0.1 * g.nextNormal() }
            let a = (0..<k).map { _ in g.nextNormal() / Double(k).squareRoot() }
            let b = DMatrix(rows: k, columns: d, values: (0..<k * d).map { _ in g.nextNormal() / Double(d).squareRoot() })
            return Problem(x: x, y: y, a: a, b: b)
        }

        /// B X (k x n).
        public var hidden: DMatrix {
            var h = DMatrix(rows: k, columns: n)
            for i in 0..<k { for l in 0..<d where b[i, l] != 0 { for j in 0..<n { h[i, j] += b[i, l] * x[l, j] } } }
            return h
        }

        /// r = y - A B X (n values).
        public var residual: [Double] {
            let h = hidden
            return (0..<n).map { j in y[j] - (0..<k).reduce(0) { $0 + a[$1] * h[$1, j] } }
        }

        /// L = 1/2 ||y - A B X||^2.
        public var loss: Double { residual.reduce(0) { $0 + $1 * $1 } / 2 }
    }

    /// A gradient: grad_A (k values) and grad_B (k x d, row-major).
    public struct Gradient: Sendable {
        /// dL/dA (k values) and dL/dB (k x d, row-major).
        public var a: [Double], b: [Double]
        /// Both, A first.
        public var all: [Double] { a + b }
    }

    /// The closed form, entry by entry as derived: dL/dA_i = -sum_j r_j (B X)_ij,
    /// dL/dB_il = -A_i sum_j r_j X_lj.
    public static func closedForm(_ p: Problem) -> Gradient {
        let (r, h) = (p.residual, p.hidden)
        let gradA = (0..<p.k).map { i in -(0..<p.n).reduce(0) { $0 + r[$1] * h[i, $1] } }
        let rx = (0..<p.d).map { l in (0..<p.n).reduce(0) { $0 + r[$1] * p.x[l, $1] } }
        let gradB = (0..<p.k).flatMap { i in (0..<p.d).map { l in -p.a[i] * rx[l] } }
        return Gradient(a: gradA, b: gradB)
    }

    /// The engine's autograd (float32) of 1/2 ||y - A B X||^2, and the loss it computed.
    public static func autograd(_ p: Problem) -> (gradient: Gradient, loss: Double) {
        let (a, b) = parameters(p)
        let loss = engineLoss(p, a, b)
        loss.backward()
        return (Gradient(a: (a.grad?.values ?? []).map(Double.init), b: (b.grad?.values ?? []).map(Double.init)), Double(loss.item))
    }

    /// Central differences (L(w + h e) - L(w - h e)) / 2h for every parameter, in double
    /// precision. L is quadratic along each coordinate (A B X is linear in any one entry), so
    /// this is exact up to rounding.
    public static func centralDifferences(_ p: Problem, step h: Double = 1e-4) -> Gradient {
        func difference(_ move: (inout Problem, Double) -> Void) -> Double {
            var (plus, minus) = (p, p)
            move(&plus, h); move(&minus, -h)
            return (plus.loss - minus.loss) / (2 * h)
        }
        let gradA = (0..<p.k).map { i in difference { q, e in q.a[i] += e } }
        let gradB = (0..<p.k * p.d).map { e in difference { q, s in q.b.values[e] += s } }
        return Gradient(a: gradA, b: gradB)
    }

    /// Gradient descent with the closed-form update A <- A + eta r X^T B^T,
    /// B <- B + eta A^T r X^T, in double precision: the loss before each step and after the last.
    public static func descend(_ p: Problem, lr: Double, steps: Int) -> [Double] {
        var q = p, losses = [p.loss]
        for _ in 0..<steps {
            let g = closedForm(q)
            for i in 0..<q.k { q.a[i] -= lr * g.a[i] }
            for e in 0..<q.b.values.count { q.b.values[e] -= lr * g.b[e] }
            losses.append(q.loss)
        }
        return losses
    }

    /// The same run through the engine: autograd and `SGD` in float32.
    public static func engineDescent(_ p: Problem, lr: Double, steps: Int) -> [Double] {
        let (a, b) = parameters(p)
        let optimizer = SGD([a, b], lr: Float(lr))
        var losses: [Double] = []
        for _ in 0..<steps {
            optimizer.zeroGrad()
            let loss = engineLoss(p, a, b)
            losses.append(Double(loss.item))
            loss.backward()
            optimizer.step()
        }
        losses.append(Double(noGrad { engineLoss(p, a, b) }.item))
        return losses
    }

    /// min over v in R^d of 1/2 ||y - v^T X||^2 (normal equations, Cholesky of X X^T): the
    /// lowest loss A B x can reach, since A B is any 1 x d row once k >= 1. Nil when X X^T is
    /// singular (n < d).
    public static func leastSquaresLoss(_ p: Problem) -> Double? {
        let gram = DoubleLinearAlgebra.multiplyTransposed(p.x, p.x)
        guard let l = DoubleLinearAlgebra.cholesky(gram) else { return nil }
        let v = DoubleLinearAlgebra.choleskySolve(l, DoubleLinearAlgebra.multiply(p.x, p.y))
        return (0..<p.n).reduce(0) { sum, j in
            let r = p.y[j] - (0..<p.d).reduce(0) { $0 + v[$1] * p.x[$1, j] }
            return sum + r * r / 2
        }
    }

    /// max |u - v| / max |v|: an error relative to the size of the reference `v`.
    public static func relativeError(_ u: [Double], _ v: [Double]) -> Double {
        guard u.count == v.count else { return .infinity }
        let scale = v.map(abs).max() ?? 0
        let worst = zip(u, v).map { abs($0 - $1) }.max() ?? 0
        return scale > 0 ? worst / scale : worst
    }

    static func parameters(_ p: Problem) -> (Tensor, Tensor) {
        (Tensor(p.a.map(Float.init), shape: [1, p.k], requiresGrad: true), Tensor(p.b.values.map(Float.init), shape: [p.k, p.d], requiresGrad: true))
    }

    /// 1/2 ||y - A B X||^2 recorded for autograd.
    static func engineLoss(_ p: Problem, _ a: Tensor, _ b: Tensor) -> Tensor {
        let x = Tensor(p.x.values.map(Float.init), shape: [p.d, p.n]), y = Tensor(p.y.map(Float.init), shape: [1, p.n])
        return (y - a.matmul(b.matmul(x))).square().sum() * 0.5
    }
}
