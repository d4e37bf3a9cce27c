import Foundation
import PluginAPI

/// CSCI-GA.2565 HW3 problem 3(a) at fixed points: with rho the distance from x to the nearest
/// support vectors T, f_sigma(x) / exp(-rho^2 / 2 sigma^2) tends to sum_{i in T} a_i y_i as
/// sigma -> 0. The ratio is sum_{i in S} a_i y_i exp(-(d_i^2 - rho^2) / 2 sigma^2), computed in
/// Double without forming either exponential alone (neither underflows); the terms outside T
/// decay like exp(-Delta / 2 sigma^2), Delta the gap between the second and the first squared
/// distance. For XOR the optimal a (all equal, 1 / (1 - exp(-2 / sigma^2))^2) tends to 1, so the
/// limit tends to sum_{i in T} y_i: +1 or -1 at a single nearest point, 0 on the axes (two
/// nearest support vectors of opposite label) and at the origin (all four).
public enum XORNearestLimit {
    /// The test points (name, coordinates), chosen by what T is for them.
    public static let probes: [(name: String, point: [Double])] = [
        ("(0.5, 0.2)", [0.5, 0.2]),     // T = {x1}, y = +1; Delta = 0.8
        ("(-1.5, 0.5)", [-1.5, 0.5]),   // T = {x2}, y = -1; Delta = 2
        ("(2, 0.05)", [2, 0.05]),       // T = {x1}, but x4 is only Delta = 0.2 further: slow
        ("(2, 0)", [2, 0]),             // on the x1 axis: T = {x1, x4}, opposite labels, limit 0
        ("(0, -0.7)", [0, -0.7]),       // on the x2 axis: T = {x3, x4}, limit 0
        ("(0, 0)", [0, 0]),             // the origin: T = all four, limit 0
    ]

    /// One point at one sigma.
    public struct Row {
        /// The RBF width and the point's name (from `probes`).
        public var sigma: Double, probe: String
        /// The nearest support vectors (1-based, as the handout numbers x1..x4).
        public var nearest: [Int]
        /// f_sigma(x) / exp(-rho^2 / 2 sigma^2) and sum_{i in T} a_i y_i with this sigma's a.
        public var ratio: Double, limit: Double
        /// sum_{i in T} y_i: the limit with a -> 1, its value as sigma -> 0 for XOR.
        public var limitAtZero: Double
        /// exp(-Delta / 2 sigma^2): the size of the largest term outside T relative to a_i (0 when T = S).
        public var rate: Double
        /// |ratio - limit|.
        public var gap: Double { abs(ratio - limit) }
    }

    /// The ratio and its limit for `model` (RBF with `sigma`; points of the probe's dimension) at the probe's point.
    public static func row(_ model: DualSolver.Model, sigma: Double, probe: (name: String, point: [Double])) -> Row {
        let n = model.alpha.count, d = n > 0 ? model.x.count / n : 0, coordinates = model.x.values, labels = model.y.values
        let support = model.alpha.indices.filter { model.alpha[$0] > 1e-6 }
        let d2 = support.map { i in zip(probe.point, coordinates[i * d..<(i + 1) * d]).reduce(0.0) { $0 + ($1.0 - Double($1.1)) * ($1.0 - Double($1.1)) } }
        let rho2 = d2.min() ?? .nan
        var ratio = 0.0, limit = 0.0, limitAtZero = 0.0, nearest: [Int] = [], delta = Double.infinity
        for (i, d) in zip(support, d2) {
            let term = Double(model.alpha[i] * labels[i])
            ratio += term * Foundation.exp(-(d - rho2) / (2 * sigma * sigma))
            if d - rho2 < 1e-9 {
                limit += term; limitAtZero += Double(labels[i]); nearest.append(i + 1)
            } else {
                delta = min(delta, d - rho2)
            }
        }
        return Row(sigma: sigma, probe: probe.name, nearest: nearest, ratio: ratio, limit: limit, limitAtZero: limitAtZero,
                   rate: delta.isFinite ? Foundation.exp(-delta / (2 * sigma * sigma)) : 0)
    }

    /// Rows for every probe and sigma (`solve` gives the RBF model for a sigma); writes
    /// nearest_limit.csv, nearest_limit.svg (ratio against sigma, the limit dashed) and
    /// nearest_limit_gap.svg (|ratio - limit| against sigma for the points with one nearest
    /// support vector, with exp(-Delta / 2 sigma^2) a_T dashed).
    static func run(sigmas: [Double], solve: (Double) throws -> DualSolver.Model, context: RunContext) throws -> [Row] {
        var rows: [Row] = []
        for sigma in sigmas.sorted() {
            let model = try solve(sigma)
            rows += probes.map { row(model, sigma: sigma, probe: $0) }
        }
        guard !rows.isEmpty else { return rows }
        try context.artifacts.writeCSV("nearest_limit.csv",
                                       header: ["sigma", "point", "nearest_T", "ratio", "limit_sum_T_alpha_y", "abs_difference", "exp_minus_delta_over_2sigma2", "limit_sigma_to_0"],
                                       rows: rows.map { r in
                                           [formatNumber(r.sigma), r.probe, r.nearest.map { "x\($0)" }.joined(separator: " "), formatNumber(r.ratio), formatNumber(r.limit),
                                            formatNumber(r.gap), formatNumber(r.rate), formatNumber(r.limitAtZero)]
                                       })
        var ratioSeries: [Series] = [], gapSeries: [Series] = [], limitSeries: [Series] = [], limitsDrawn: Set<Double> = []
        for (index, probe) in probes.enumerated() {
            let mine = rows.filter { $0.probe == probe.name }, colour = ColorMap.category(index)
            guard let first = mine.first else { continue }
            let xs = mine.map(\.sigma)
            ratioSeries.append(Series(probe.name + ", T = {" + first.nearest.map { "x\($0)" }.joined(separator: ", ") + "}", x: xs, y: mine.map(\.ratio),
                                      markers: true, color: colour))
            // One dashed limit per value of sum_T y_i: the limits of points with the same one are the same curve.
            if limitsDrawn.insert(first.limitAtZero).inserted {
                limitSeries.append(Series("sum_T a_i y_i -> \(formatNumber(first.limitAtZero))", x: xs, y: mine.map(\.limit), dashed: true,
                                          color: ["#555555", "#999999", "#000000"][limitSeries.count % 3]))
            }
            if first.nearest.count == 1 {
                gapSeries.append(Series(probe.name, x: xs, y: mine.map(\.gap), markers: true, color: colour))
                gapSeries.append(Series(probe.name + " predicted", x: xs, y: mine.map { $0.rate * abs($0.limit) }, dashed: true, color: colour))
            }
        }
        let range = (sigmas.min() ?? 0.05)...(sigmas.max() ?? 1)
        var ratioPlot = LinePlot(title: "HW3 3(a): f(x) / exp(-rho^2/2 sigma^2) against its limit sum over T of a_i y_i",
                                 xLabel: "sigma", yLabel: "ratio", series: ratioSeries + limitSeries, logX: true)
        ratioPlot.xRange = range
        try context.artifacts.write(ratioPlot.svg(width: 800, height: 440), to: "nearest_limit.svg")
        var gapPlot = LinePlot(title: "HW3 3(a): |ratio - sum_T a_i y_i| (0 not drawn); dashed: a exp(-Delta/2 sigma^2)",
                               xLabel: "sigma", yLabel: "absolute difference", series: gapSeries, logY: true, logX: true)
        (gapPlot.xRange, gapPlot.yRange) = (range, 1e-18...10)
        try context.artifacts.write(gapPlot.svg(width: 800, height: 440), to: "nearest_limit_gap.svg")
        return rows
    }
}
