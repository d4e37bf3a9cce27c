import Foundation
import PluginAPI

/// The normalised NNGP kernels of one-hidden-layer networks on unit-norm inputs, as functions
/// of xi = <x, x'> (clipped into [-1, 1]), and the Laplace kernel of the distance.
public enum NNGPKernel: String, CaseIterable, Sendable {
    case relu, sine, erf, laplace

    /// k at cosine `xi` and distance `distance` (only the Laplace kernel uses the distance).
    public func value(xi rawXi: Double, distance: Double) -> Double {
        let xi = min(max(rawXi, -1), 1)
        switch self {
        case .relu: return (xi * (Double.pi - acos(xi)) + (1 - xi * xi).squareRoot()) / Double.pi
        case .sine: return 2 * M_E / (M_E * M_E - 1) * sinh(xi)
        case .erf: return asin(2 * xi / 3) / asin(2.0 / 3)
        case .laplace: return exp(-distance / 200)
        }
    }

    /// The formula, for tables and plots.
    public var formula: String {
        switch self {
        case .relu: return "(xi (pi - arccos xi) + sqrt(1 - xi^2)) / pi"
        case .sine: return "2e / (e^2 - 1) sinh xi"
        case .erf: return "arcsin(2 xi / 3) / arcsin(2 / 3)"
        case .laplace: return "exp(-||x - x'|| / 200)"
        }
    }

    /// K[i, j] = k(a_i, b_j): the inner products by one double-precision A B^T, then elementwise.
    public func matrix(_ a: DMatrix, _ b: DMatrix) -> DMatrix { matrix(InnerProducts(a, b)) }

    /// The kernel from precomputed inner products (shared by all the kernels of one data set),
    /// rows split over the worker pool.
    public func matrix(_ p: InnerProducts) -> DMatrix {
        var k = DMatrix(rows: p.inner.rows, columns: p.inner.columns)
        let columns = k.columns
        let rows = WorkerPool.shared.parallelMap(k.rows, grain: max(1, 16_384 / max(columns, 1))) { i in
            (0..<columns).map { j in
                let inner = p.inner.values[i * columns + j]
                let distance = self == .laplace ? max(p.squaredA[i] + p.squaredB[j] - 2 * inner, 0).squareRoot() : 0
                return value(xi: inner, distance: distance)
            }
        }
        k.values = rows.flatMap { $0 }
        return k
    }
}

/// The inner products <a_i, b_j> and squared norms of two sets of points: what every kernel
/// here is a function of.
public struct InnerProducts {
    public var inner: DMatrix
    public var squaredA: [Double], squaredB: [Double]

    public init(_ a: DMatrix, _ b: DMatrix) {
        inner = DoubleLinearAlgebra.multiplyTransposed(a, b)
        squaredA = (0..<a.rows).map { i in a.row(i).reduce(0) { $0 + $1 * $1 } }
        squaredB = (0..<b.rows).map { j in b.row(j).reduce(0) { $0 + $1 * $1 } }
    }
}

/// Kernel regression that interpolates the training data: a = K^-1 y, f(x) = k(x, X) a.
public struct KernelRegression {
    public var kernel: NNGPKernel
    public var alpha: [Double]
    /// How the system was solved: "Cholesky", or "LU" when K was not positive definite enough.
    public var method: String
    /// ||K a - y|| / ||y||.
    public var residual: Double
    /// The condition number of K (estimated; nil after an LU solve).
    public var condition: Double?

    /// Fits the training data exactly. Throws when K is singular. `products` are the training
    /// points' inner products when already computed.
    public init(kernel: NNGPKernel, x: DMatrix, y: [Double], products: InnerProducts? = nil, estimateCondition: Bool = true) throws {
        self.kernel = kernel
        let k = kernel.matrix(products ?? InnerProducts(x, x))
        if let l = DoubleLinearAlgebra.cholesky(k) {
            alpha = DoubleLinearAlgebra.choleskySolve(l, y)
            method = "Cholesky"
            condition = estimateCondition ? DoubleLinearAlgebra.conditionNumber(k, cholesky: l) : nil
        } else if let solution = DoubleLinearAlgebra.luSolve(k, y) {
            alpha = solution
            method = "LU"
            condition = nil
        } else {
            throw PluginError.failure("the \(kernel.rawValue) kernel matrix is singular", hint: "remove duplicate training points")
        }
        residual = DoubleLinearAlgebra.relativeResidual(k, alpha, y)
    }

    /// Predictions for the rows of `points`, given the training inputs.
    public func predict(_ points: DMatrix, training x: DMatrix) -> [Double] {
        predict(InnerProducts(points, x))
    }

    /// Predictions from the test-by-training inner products.
    public func predict(_ products: InnerProducts) -> [Double] {
        DoubleLinearAlgebra.multiply(kernel.matrix(products), alpha)
    }
}
