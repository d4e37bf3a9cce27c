import Foundation
import PluginAPI

/// Experiment `covariance` (problem 10, Proposition 1 of Lecture 4): for w ~ N(0, I_d),
/// u = w^T x and v = w^T x' have mean (0, 0) and covariance x^T x' (Var u = ||x||^2,
/// Var v = ||x'||^2). Monte Carlo over w for pairs of various lengths and angles, each estimate
/// with its standard error, against the closed forms.
public enum CovarianceExperiment {
    static let declaration = Experiment(
        name: "covariance",
        summary: "Problem 10: u = w^T x, v = w^T x' for w ~ N(0, I): Monte Carlo mean and covariance with standard errors against (0, 0) and x^T x'",
        settings: Settings.self,
        metrics: [
            MetricSpec("max_abs_z_mean", goal: .lowerIsBetter, help: "largest |mean of u or v| / standard error over the pairs (expected 0)"),
            MetricSpec("max_abs_z_covariance", goal: .lowerIsBetter, help: "largest |Cov(u, v) - x^T x'| / standard error over the pairs"),
            MetricSpec("max_abs_z_variance", goal: .lowerIsBetter, help: "largest |Var u - ||x||^2| or |Var v - ||x'||^2| / standard error"),
            MetricSpec("max_relative_error_covariance", goal: .lowerIsBetter, help: "largest |Cov(u, v) - x^T x'| / (||x|| ||x'||)"),
            MetricSpec("max_isserlis_ratio_error", goal: .lowerIsBetter, help: "largest |Var(u v) / (||x||^2 ||x'||^2 + (x^T x')^2) - 1| (the Gaussian fourth moment behind the standard errors)"),
            MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "sampling time"),
        ],
        train: run)

    /// The experiment's options.
    struct Settings: ExperimentSettings {
        var d = 20, samples = 200_000
        static let fields: [SettingField<Settings>] = [
            .int("d", \.d, range: 1...10_000, help: "dimension of w, x, x'"),
            .int("samples", \.samples, range: 100...100_000_000, help: "draws of w"),
        ]
    }

    /// A pair (x, x') given by lengths and the cosine of its angle.
    public struct Pair: Sendable {
        /// x and x'.
        public var x: [Double], xPrime: [Double]
        /// x^T x'.
        public var inner: Double { zip(x, xPrime).reduce(0) { $0 + $1.0 * $1.1 } }
        /// ||x||^2 and ||x'||^2.
        public var squaredNorms: (Double, Double) { (x.reduce(0) { $0 + $1 * $1 }, xPrime.reduce(0) { $0 + $1 * $1 }) }
    }

    /// Pairs with |x|, |x'| and cos(x, x') from `shapes`, in random directions of R^d
    /// (x' = |x'| (cos e1 + sin e2) for orthonormal random e1, e2; for d = 1 only cos = +-1 fits).
    public static func pairs(d: Int, shapes: [(Double, Double, Double)], generator g: inout SeededGenerator) -> [Pair] {
        shapes.compactMap { lengthX, lengthY, cosine in
            let e1 = unit((0..<d).map { _ in g.nextNormal() })
            var e2 = (0..<d).map { _ in g.nextNormal() }
            let along = zip(e1, e2).reduce(0) { $0 + $1.0 * $1.1 }
            e2 = unit(zip(e2, e1).map { $0 - along * $1 })
            let sine = (max(1 - cosine * cosine, 0)).squareRoot()
            guard d > 1 || sine == 0 else { return nil }
            return Pair(x: e1.map { lengthX * $0 }, xPrime: (0..<d).map { lengthY * (cosine * e1[$0] + (d > 1 ? sine * e2[$0] : 0)) })
        }
    }

    static func unit(_ v: [Double]) -> [Double] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }

    /// The default pairs: lengths 1 and 1, 2 and 0.5, 3 and 1.5, cosines from 1 to -1.
    public static let shapes: [(Double, Double, Double)] = [(1, 1, 1), (1, 1, 0.6), (2, 0.5, 0.3), (1, 1, 0), (3, 1.5, -0.5), (2, 2, -0.9), (1, 1, -1)]

    /// Monte Carlo moments of (u, v) for one pair.
    public struct Moments: Sendable {
        /// Means of u and v and their standard errors.
        public var meanU = 0.0, meanV = 0.0, seMeanU = 0.0, seMeanV = 0.0
        /// E[u^2], E[v^2] (the variances, the means being 0) and their standard errors.
        public var varianceU = 0.0, varianceV = 0.0, seVarianceU = 0.0, seVarianceV = 0.0
        /// E[u v] (the covariance) and its standard error.
        public var covariance = 0.0, seCovariance = 0.0
        /// The sample variance of u v (Isserlis: ||x||^2 ||x'||^2 + (x^T x')^2 for Gaussian w).
        public var varianceOfProduct = 0.0
    }

    /// Draws w ~ N(0, I_d) `samples` times and estimates the moments of (w^T x, w^T x') for
    /// every pair from the same draws. Standard errors: sd / sqrt(samples) of u, v, u^2, v^2, u v
    /// (the means are known to be 0 under the claim, and the estimates use that).
    public static func estimate(_ pairs: [Pair], d: Int, samples: Int, generator g: inout SeededGenerator) -> [Moments] {
        var sums = [[Double]](repeating: [Double](repeating: 0, count: 10), count: pairs.count)
        var w = [Double](repeating: 0, count: d)
        for _ in 0..<samples {
            for i in 0..<d { w[i] = g.nextNormal() }
            for (p, pair) in pairs.enumerated() {
                var u = 0.0, v = 0.0
                for i in 0..<d { u += w[i] * pair.x[i]; v += w[i] * pair.xPrime[i] }
                let (uu, vv, uv) = (u * u, v * v, u * v)
                sums[p][0] += u; sums[p][1] += v; sums[p][2] += uu; sums[p][3] += vv; sums[p][4] += uv
                sums[p][5] += uu; sums[p][6] += vv; sums[p][7] += uu * uu; sums[p][8] += vv * vv; sums[p][9] += uv * uv
            }
        }
        let n = Double(samples)
        return sums.map { s in
            func mean(_ t: Int) -> Double { s[t] / n }
            func standardError(_ t: Int) -> Double { (max(s[5 + t] / n - mean(t) * mean(t), 0) / (n - 1)).squareRoot() }
            var m = Moments()
            (m.meanU, m.meanV, m.seMeanU, m.seMeanV) = (mean(0), mean(1), standardError(0), standardError(1))
            (m.varianceU, m.varianceV, m.seVarianceU, m.seVarianceV) = (mean(2), mean(3), standardError(2), standardError(3))
            (m.covariance, m.seCovariance) = (mean(4), standardError(4))
            m.varianceOfProduct = max(s[9] / n - mean(4) * mean(4), 0)
            return m
        }
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (d, samples) = (settings.d, settings.samples)
        var g = SeededGenerator(seed: context.seed, stream: 31)
        let pairs = pairs(d: d, shapes: shapes, generator: &g)
        let start = DispatchTime.now().uptimeNanoseconds
        context.progress.begin("covariance", total: 1, unit: "runs")
        let moments = estimate(pairs, d: d, samples: samples, generator: &g)
        context.progress.end()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var zMean = 0.0, zCovariance = 0.0, zVariance = 0.0, relative = 0.0, isserlis = 0.0
        var rows: [[String]] = [], lines = ["  ||x||  ||x'||  x^T x'   Cov(u,v) +- s.e.      z    mean u (z)  mean v (z)  Var u / ||x||^2  Var v / ||x'||^2"]
        context.metrics.stepName = "pair"
        for (p, pair) in pairs.enumerated() {
            let m = moments[p], (nx, ny) = pair.squaredNorms, inner = pair.inner
            let z = (mu: m.meanU / m.seMeanU, mv: m.meanV / m.seMeanV, c: (m.covariance - inner) / m.seCovariance,
                     vu: (m.varianceU - nx) / m.seVarianceU, vv: (m.varianceV - ny) / m.seVarianceV)
            zMean = max(zMean, abs(z.mu), abs(z.mv)); zCovariance = max(zCovariance, abs(z.c)); zVariance = max(zVariance, abs(z.vu), abs(z.vv))
            relative = max(relative, abs(m.covariance - inner) / (nx * ny).squareRoot())
            isserlis = max(isserlis, abs(m.varianceOfProduct / (nx * ny + inner * inner) - 1))
            rows.append([formatNumber(nx.squareRoot()), formatNumber(ny.squareRoot()), formatNumber(inner), formatNumber(m.covariance), formatNumber(m.seCovariance), formatNumber(z.c),
                         formatNumber(m.meanU), formatNumber(m.seMeanU), formatNumber(m.meanV), formatNumber(m.seMeanV), formatNumber(m.varianceU), formatNumber(nx),
                         formatNumber(m.varianceV), formatNumber(ny), formatNumber(m.varianceOfProduct), formatNumber(nx * ny + inner * inner)])
            lines.append(String(format: "%7.2f %7.2f %7.3f %9.4f +- %.4f %6.2f  %10.2f  %10.2f  %15.4f  %16.4f", nx.squareRoot(), ny.squareRoot(), inner, m.covariance, m.seCovariance,
                                z.c, z.mu, z.mv, m.varianceU / nx, m.varianceV / ny))
            context.metrics.log(step: p, [("inner_product", inner), ("covariance", m.covariance), ("standard_error", m.seCovariance), ("z", z.c)])
        }
        let metrics = context.metrics
        metrics.final("max_abs_z_mean", zMean)
        metrics.final("max_abs_z_covariance", zCovariance)
        metrics.final("max_abs_z_variance", zVariance)
        metrics.final("max_relative_error_covariance", relative)
        metrics.final("max_isserlis_ratio_error", isserlis)
        metrics.final("seconds", seconds)
        metrics.note("table", lines.joined(separator: "\n"))
        metrics.note("closed_form", "E[u] = E[w]^T x = 0, E[v] = E[w]^T x' = 0; Cov(u, v) = E[x^T w w^T x'] = x^T E[w w^T] x' = x^T x' (and Var u = ||x||^2, Var v = ||x'||^2); "
                     + "so for unit x, x' the pair is N(0, [[1, xi], [xi, 1]]) with xi = x^T x', the setting of the dual activation")
        context.log(String(format: "covariance: d = %d, %d draws of w, %d pairs (%.2f s): |mean| within %.2f s.e. of 0, Cov(u, v) within %.2f s.e. of x^T x' (relative %.2g), variances within %.2f s.e.",
                           d, samples, pairs.count, seconds, zMean, zCovariance, relative, zVariance))
        try context.artifacts.writeCSV("covariance.csv", header: ["norm_x", "norm_x_prime", "inner_product", "covariance", "covariance_se", "z", "mean_u", "mean_u_se",
                                                                 "mean_v", "mean_v_se", "variance_u", "norm_x_squared", "variance_v", "norm_x_prime_squared",
                                                                 "variance_uv", "isserlis"], rows: rows)
        let inners = pairs.map(\.inner), low = (inners.min() ?? -1) - 0.5, high = (inners.max() ?? 1) + 0.5
        let index = pairs.indices.map { Double($0 + 1) }
        var deviations = LinePlot(title: "Estimate - closed form, ±2 s.e., per pair", xLabel: "pair (table order)", yLabel: "estimate - closed form", series: [
            Series("Cov(u, v) - x^T x'", x: index.map { $0 - 0.15 }, y: pairs.indices.map { moments[$0].covariance - inners[$0] },
                   yError: moments.map { 2 * $0.seCovariance }, markers: true, line: false),
            Series("mean u - 0", x: index, y: moments.map(\.meanU), yError: moments.map { 2 * $0.seMeanU }, markers: true, line: false),
            Series("mean v - 0", x: index.map { $0 + 0.15 }, y: moments.map(\.meanV), yError: moments.map { 2 * $0.seMeanV }, markers: true, line: false),
        ])
        deviations.horizontalLines = [(label: "0", y: 0)]
        let panels = [
            LinePlot(title: "Cov(w^T x, w^T x') against x^T x'", xLabel: "x^T x'", yLabel: "Monte Carlo Cov(u, v)", series: [
                Series("Cov = x^T x'", x: [low, high], y: [low, high], dashed: true),
                Series("Monte Carlo", x: inners, y: moments.map(\.covariance), markers: true, line: false),
            ]),
            deviations,
        ]
        let plot = PlotGrid(title: "Problem 10: u = w^T x, v = w^T x', w ~ N(0, I_\(d)), \(grouped(samples)) draws", columns: 2, panels: panels, sharedAxes: false)
        try context.artifacts.write(plot.svg(), to: "covariance.svg")
    }
}
