import Foundation
import PluginAPI

/// The SVM kernels, computed as whole matrices on the engine (one matmul, then elementwise).
public enum Kernel: CustomStringConvertible, Sendable {
    /// <x, x'>: the plain inner product (the separator passes through the origin unless the
    /// solver adds a bias).
    case linear
    /// (1 + <x, x'>)^degree.
    case polynomial(degree: Int)
    /// exp(-||x - x'||^2 / (2 sigma^2)).
    case rbf(sigma: Double)

    /// K[i, j] = k(a_i, b_j) for a (n, d) and b (m, d): an (n, m) matrix.
    public func matrix(_ a: Tensor, _ b: Tensor) -> Tensor {
        noGrad {
            let inner = a.matmul(b.T)
            switch self {
            case .linear:
                return inner
            case .polynomial(let degree):
                return (inner + 1).pow(Float(degree))
            case .rbf(let sigma):
                // ||a_i||^2 + ||b_j||^2 - 2 a_i.b_j, clamped at 0 against rounding.
                let squared = (a.square().sum(axis: 1, keepDims: true) + b.square().sum(axis: 1).reshape([1, b.shape[0]]) - 2 * inner).clamp(min: 0)
                return (squared * Float(-1 / (2 * sigma * sigma))).exp()
            }
        }
    }

    /// k(x, z) for two points, in Double: the reference the matrix is tested against.
    public func value(_ x: [Double], _ z: [Double]) -> Double {
        switch self {
        case .linear:
            return zip(x, z).reduce(0) { $0 + $1.0 * $1.1 }
        case .polynomial(let degree):
            return Foundation.pow(1 + zip(x, z).reduce(0) { $0 + $1.0 * $1.1 }, Double(degree))
        case .rbf(let sigma):
            return Foundation.exp(-zip(x, z).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / (2 * sigma * sigma))
        }
    }

    public var description: String {
        switch self {
        case .linear: return "linear"
        case .polynomial(let degree): return "polynomial, degree \(degree)"
        case .rbf(let sigma): return "RBF, sigma = \(formatNumber(sigma))"
        }
    }

    /// A short name for files: `poly2`, `rbf1`.
    public var slug: String {
        switch self {
        case .linear: return "linear"
        case .polynomial(let degree): return "poly\(degree)"
        case .rbf(let sigma): return "rbf" + formatNumber(sigma).replacingOccurrences(of: ".", with: "_")
        }
    }
}
