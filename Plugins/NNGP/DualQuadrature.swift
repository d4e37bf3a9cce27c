import Foundation
import PluginAPI

/// Gaussian expectations by quadrature instead of sampling: E[f(z)], z ~ N(0, 1), as composite
/// Gauss-Legendre on [-halfWidth, halfWidth] (the mass beyond 12 is 4e-33) with a panel edge at
/// every point where f has a kink or a jump, so each panel integrates a smooth function and the
/// error is at the level of rounding. The dual activation is the nested form
///
///     phi-check(xi) = E_z1[ phi(z1) E_z2[ phi(xi z1 + sqrt(1 - xi^2) z2) ] ],
///
/// which is E[phi(u) phi(v)] for (u, v) ~ N(0, [[1, xi], [xi, 1]]) (u = z1, v = xi z1 + s z2).
public struct GaussianQuadrature: Sendable {
    /// Gauss-Legendre nodes and weights on [-1, 1].
    public let nodes: [Double], weights: [Double]
    /// The uniform panel edges on [-halfWidth, halfWidth].
    public let edges: [Double]

    /// `order` Gauss-Legendre points on each of `panels` equal panels of [-halfWidth, halfWidth].
    public init(order: Int = 10, panels: Int = 24, halfWidth: Double = 12) {
        (nodes, weights) = Self.legendre(order: max(order, 1))
        let count = max(panels, 1)
        edges = (0...count).map { -halfWidth + 2 * halfWidth * Double($0) / Double(count) }
    }

    /// Gauss-Legendre rule of `order` points on [-1, 1]: the roots of P_order by Newton's method
    /// from the Chebyshev-like guesses cos(pi (i - 1/4) / (order + 1/2)), and w = 2 / ((1 - x^2) P'(x)^2).
    public static func legendre(order n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n), weights = nodes
        for i in 0..<(n + 1) / 2 {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5)), derivative = 0.0
            for _ in 0..<100 {
                var (p0, p1) = (1.0, x)
                if n == 1 { p0 = 1; p1 = x } else {
                    for j in 2...n { (p0, p1) = (p1, ((2 * Double(j) - 1) * x * p1 - (Double(j) - 1) * p0) / Double(j)) }
                }
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let step = p1 / derivative
                x -= step
                if abs(step) < 1e-16 { break }
            }
            if n == 1 { derivative = 1 }
            let w = 2 / ((1 - x * x) * derivative * derivative)
            (nodes[i], nodes[n - 1 - i]) = (-x, x)
            (weights[i], weights[n - 1 - i]) = (w, w)
        }
        return (nodes, weights)
    }

    /// The quadrature points and weights for E[f(z)], the standard normal density folded into
    /// the weights, with extra panel edges at `breaks` (those outside the range are ignored).
    public func points(breaks: [Double] = []) -> (z: [Double], w: [Double]) {
        let (low, high) = (edges.first ?? 0, edges.last ?? 0)
        let all = (edges + breaks.filter { $0.isFinite && $0 > low && $0 < high }).sorted()
        var z: [Double] = [], w: [Double] = []
        z.reserveCapacity(all.count * nodes.count); w.reserveCapacity(all.count * nodes.count)
        for (a, b) in zip(all, all.dropFirst()) where b - a > 1e-14 {
            let (mid, half) = ((a + b) / 2, (b - a) / 2)
            for (x, weight) in zip(nodes, weights) {
                let point = mid + half * x
                z.append(point)
                w.append(half * weight * exp(-point * point / 2) / (2 * Double.pi).squareRoot())
            }
        }
        return (z, w)
    }

    /// E[f(z)], z ~ N(0, 1), with panel edges at `breaks`.
    public func expectation(breaks: [Double] = [], _ f: (Double) -> Double) -> Double {
        let (z, w) = points(breaks: breaks)
        var sum = 0.0
        for i in z.indices { sum += w[i] * f(z[i]) }
        return sum
    }

    /// The dual E[phi(u) phi(v)], (u, v) ~ N(0, [[1, xi], [xi, 1]]), by nested quadrature;
    /// `kinks` are the points where phi has a kink or a jump. The inner expectation is phi
    /// smoothed over a width s = sqrt(1 - xi^2), so near xi = +-1 it changes within s / |xi| of
    /// kink / xi in z1: the outer rule gets panel edges there too.
    public func dual(_ phi: (Double) -> Double, kinks: [Double], xi rawXi: Double) -> Double {
        let xi = min(max(rawXi, -1), 1), s = (1 - xi * xi).squareRoot()
        guard s > 1e-12 else {
            return expectation(breaks: kinks + kinks.map { $0 / xi }) { z in phi(z) * phi(xi * z) }
        }
        let smooth = kinks.isEmpty ? points() : nil
        let outer = kinks + (xi == 0 ? [] : kinks.flatMap { k in [-4.0, -2, -1, -0.5, 0, 0.5, 1, 2, 4].map { (k + $0 * s) / xi } })
        return expectation(breaks: outer) { z1 in
            let m = xi * z1
            let (z, w) = smooth ?? points(breaks: kinks.map { ($0 - m) / s })
            var sum = 0.0
            for i in z.indices { sum += w[i] * phi(m + s * z[i]) }
            return phi(z1) * sum
        }
    }

    /// a_0 ... a_terms, the coefficients of phi in the orthonormal Hermite polynomials
    /// h_0 = 1, h_1 = z, h_(n+1) = (z h_n - sqrt(n) h_(n-1)) / sqrt(n + 1): a_n = E[phi(z) h_n(z)].
    /// Then phi-check(xi) = sum_n a_n^2 xi^n (Lecture 5, section 3).
    public func hermiteCoefficients(_ phi: (Double) -> Double, kinks: [Double], terms: Int) -> [Double] {
        let (z, w) = points(breaks: kinks)
        var a = [Double](repeating: 0, count: terms + 1)
        for i in z.indices {
            let f = w[i] * phi(z[i])
            var (previous, current) = (0.0, 1.0)
            for n in 0...terms {
                a[n] += f * current
                (previous, current) = (current, (z[i] * current - Double(n).squareRoot() * previous) / Double(n + 1).squareRoot())
            }
        }
        return a
    }

    /// sum_{n <= N} a_n^2 xi^n.
    public static func series(_ coefficients: [Double], xi: Double) -> Double {
        coefficients.reversed().reduce(0) { $0 * xi + $1 * $1 }
    }
}
