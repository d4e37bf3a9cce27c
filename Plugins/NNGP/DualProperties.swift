import Foundation
import PluginAPI

/// Problem 8 measured: for activations with and without closed-form duals, the dual by
/// quadrature, its Hermite series, (a phi)-check = a^2 phi-check, and whether the dual is
/// non-decreasing and convex on [0, 1] (and on [-1, 0], where the claim is not made).
public enum DualProperties {
    /// An activation, where it has kinks or jumps (the quadrature's panel edges), and its
    /// dual's closed form when there is one.
    public struct Activation: Sendable {
        /// The name in tables and plots.
        public var name: String
        /// The activation.
        public var phi: @Sendable (Double) -> Double
        /// Where phi has a kink or a jump.
        public var kinks: [Double]
        /// The dual's closed form, if known.
        public var closedForm: (@Sendable (Double) -> Double)?

        /// An activation with its kinks and its dual's closed form (nil when none is known).
        public init(_ name: String, kinks: [Double] = [], phi: @escaping @Sendable (Double) -> Double, closedForm: (@Sendable (Double) -> Double)?) {
            (self.name, self.phi, self.kinks, self.closedForm) = (name, phi, kinks, closedForm)
        }

        /// x -> a phi(x), whose dual should be a^2 phi-check.
        public func scaled(by a: Double) -> Activation {
            let phi = self.phi
            return Activation("\(formatNumber(a)) \(name)", kinks: kinks, phi: { a * phi($0) }, closedForm: closedForm.map { f in { @Sendable x in a * a * f(x) } })
        }
    }

    /// The activations checked: those of problems 5-7 and 9, ReLU, erf, sign, |x|, x^2 (closed
    /// forms from the Hermite expansion or the arcsine law) and tanh (none).
    public static func activations(c: Double) -> [Activation] {
        let clip = { (xi: Double) in min(max(xi, -1), 1) }
        return [
            Activation("identity", phi: { $0 }, closedForm: { $0 }),
            Activation("ReLU", kinks: [0], phi: { max($0, 0) }, closedForm: { x in let xi = clip(x); return ((1 - xi * xi).squareRoot() + (Double.pi - acos(xi)) * xi) / (2 * Double.pi) }),
            Activation("sin", phi: { sin($0) }, closedForm: { sinh($0) / M_E }),
            Activation("cos", phi: { cos($0) }, closedForm: { cosh($0) / M_E }),
            Activation("exp(-C^2 + C x), C = \(formatNumber(c))", phi: { exp(-c * c + c * $0) }, closedForm: { exp(-c * c + c * c * $0) }),
            Activation("erf", phi: { erf($0) }, closedForm: { 2 / Double.pi * asin(2 * clip($0) / 3) }),
            Activation("sign", kinks: [0], phi: { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, closedForm: { 2 / Double.pi * asin(clip($0)) }),
            Activation("|x|", kinks: [0], phi: { abs($0) }, closedForm: { x in let xi = clip(x); return 2 / Double.pi * ((1 - xi * xi).squareRoot() + xi * asin(xi)) }),
            Activation("x^2", phi: { $0 * $0 }, closedForm: { 1 + 2 * $0 * $0 }),
            Activation("tanh", phi: { tanh($0) }, closedForm: nil),
        ]
    }

    /// The smallest slope and second difference quotient of `values` on the equally spaced
    /// grid `xi`, over the points with `range.contains(xi)`; a function is non-decreasing
    /// (convex) on the grid when the first (second) is >= -tolerance.
    public struct Shape: Sendable {
        /// The smallest slope and the smallest second difference quotient.
        public var minSlope: Double, minCurvature: Double
        /// minSlope >= -tolerance.
        public func nonDecreasing(tolerance: Double = 1e-9) -> Bool { minSlope >= -tolerance }
        /// minCurvature >= -tolerance.
        public func convex(tolerance: Double = 1e-9) -> Bool { minCurvature >= -tolerance }
    }

    /// Slopes (f_(i+1) - f_i) / h and curvatures (f_(i+1) - 2 f_i + f_(i-1)) / h^2 over the
    /// grid points inside `range`.
    public static func shape(xi: [Double], values: [Double], in range: ClosedRange<Double>) -> Shape {
        let inside = xi.indices.filter { range.contains(xi[$0]) }
        var slope = Double.infinity, curvature = Double.infinity
        for (i, j) in zip(inside, inside.dropFirst()) where j == i + 1 {
            slope = min(slope, (values[j] - values[i]) / (xi[j] - xi[i]))
        }
        for (i, (j, l)) in zip(inside, zip(inside.dropFirst(), inside.dropFirst(2))) where j == i + 1 && l == j + 1 {
            let h = (xi[l] - xi[i]) / 2
            curvature = min(curvature, (values[l] - 2 * values[j] + values[i]) / (h * h))
        }
        return Shape(minSlope: slope, minCurvature: curvature)
    }

    /// Everything measured for one activation.
    public struct Result: Sendable {
        /// The activation's name.
        public var name: String
        /// The grid and, on it, the dual by quadrature, by its closed form, by the Hermite series.
        public var xi: [Double], quadrature: [Double], closedForm: [Double]?, series: [Double]
        /// a_0 ... a_terms.
        public var coefficients: [Double]
        /// max |quadrature - closed form| (nil without a closed form).
        public var closedFormError: Double?
        /// max |series - quadrature| over |xi| <= seriesRange.
        public var seriesError: Double
        /// 1 - sum a_n^2 / phi-check(1): the share of E[phi^2] the truncated series misses.
        public var parsevalTail: Double
        /// max over the scales a of |(a phi)-check - a^2 phi-check| / (a^2 max |phi-check|) on
        /// 11 of the grid's points, the left side by quadrature, the right side the closed form
        /// where there is one (else the quadrature of phi).
        public var scalingError: Double
        /// The dual's shape on [0, 1] and on [-1, 0].
        public var positive: Shape, negative: Shape
    }

    /// Measures one activation on the grid `xi` (equally spaced, from -1 to 1).
    public static func measure(_ activation: Activation, xi: [Double], quadrature q: GaussianQuadrature, terms: Int,
                               scales: [Double], seriesRange: Double = 0.9) -> Result {
        let values = duals(activation, xi: xi, quadrature: q)
        let exact = activation.closedForm.map { f in xi.map(f) }
        let coefficients = q.hermiteCoefficients(activation.phi, kinks: activation.kinks, terms: terms)
        let series = xi.map { GaussianQuadrature.series(coefficients, xi: $0) }
        let closedFormError = exact.map { zip(values, $0).map { abs($0 - $1) }.max() ?? 0 }
        let seriesError = xi.indices.filter { abs(xi[$0]) <= seriesRange + 1e-12 }.map { abs(series[$0] - values[$0]) }.max() ?? 0
        let atOne = values.last ?? .nan
        let parsevalTail = 1 - coefficients.reduce(0) { $0 + $1 * $1 } / atOne
        let reference = exact ?? values
        let size = max(reference.map(abs).max() ?? 0, .leastNormalMagnitude)
        var scalingError = 0.0
        let coarse = Array(stride(from: 0, to: xi.count, by: max(1, (xi.count - 1) / 10)))
        for a in scales {
            let scaled = duals(activation.scaled(by: a), xi: coarse.map { xi[$0] }, quadrature: q)
            scalingError = max(scalingError, (zip(scaled, coarse.map { reference[$0] }).map { abs($0 - a * a * $1) }.max() ?? 0) / (a * a * size))
        }
        return Result(name: activation.name, xi: xi, quadrature: values, closedForm: exact, series: series, coefficients: coefficients,
                      closedFormError: closedFormError, seriesError: seriesError, parsevalTail: parsevalTail, scalingError: scalingError,
                      positive: shape(xi: xi, values: values, in: 0...1), negative: shape(xi: xi, values: values, in: -1...0))
    }

    /// The dual at every grid point by nested quadrature, the points split over the worker pool.
    public static func duals(_ activation: Activation, xi: [Double], quadrature q: GaussianQuadrature) -> [Double] {
        WorkerPool.shared.parallelMap(xi.count) { i in q.dual(activation.phi, kinks: activation.kinks, xi: xi[i]) }
    }
}
