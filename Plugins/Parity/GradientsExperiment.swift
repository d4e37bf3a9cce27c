import Foundation
import PluginAPI

/// Experiment `gradients` (problem 3c, computed instead of proved): at fixed random parameters
/// p, the variance over masks v* uniform on {0,1}^d of the population-risk gradient
/// grad R_v(p), exactly, for every d in the range: in closed form from one pass over the 2^d
/// inputs (`ParityGradients.exactMoments`, Parseval over the Walsh basis), and, where 2^d is
/// at most `--masks`, by brute force over all 2^d masks as the check. Nothing is sampled but p.
public enum GradientsExperiment {
    static let declaration = Experiment(
        name: "gradients",
        summary: "Exact variance over all masks v* of the population-risk gradient (Parseval, checked by enumeration): it shrinks like 2^-d",
        options: [
            .int("d-min", default: 2, range: 1...20, help: "smallest input dimension"),
            .int("d-max", default: 16, range: 1...20, help: "largest input dimension (the closed form passes over all 2^d inputs)"),
            .int("masks", default: 1024, range: 0...4096,
                 help: "the brute-force check: each d with 2^d <= masks also forms the gradients of all 2^d masks (0: none)"),
            .int("width-factor", default: 10, range: 1...100, help: "hidden units k = width-factor x d"),
            .int("draws", default: 3, range: 1...100, help: "random parameter draws p per d, averaged"),
        ],
        metrics: [MetricSpec("variance_at_d_max", goal: .neither, help: "Var_v = E_v ||grad R_v - E_v grad R_v||^2 at the largest d (exact)"),
                  MetricSpec("scaled_variance_at_d_max", goal: .neither, help: "2^d Var_v at the largest d: C in Var_v = C / 2^d"),
                  MetricSpec("slope_log2", goal: .neither, help: "least-squares slope of log2(variance) against d (-1 for exactly 2^-d)"),
                  MetricSpec("decreasing", goal: .higherIsBetter, help: "1 when the variance falls at every step of d, else 0"),
                  MetricSpec("max_relative_error", goal: .lowerIsBetter, help: "largest relative difference of the closed form from the enumeration")],
        train: run)

    /// One d: the moments (averaged over the parameter draws) in closed form and, when
    /// checked, by enumeration; the largest relative difference over the draws; the seconds each took.
    public struct Point {
        /// The input dimension.
        public var d: Int
        /// The closed form's moments, averaged over the draws.
        public var exact: ParityGradients.Moments
        /// The enumeration's moments, averaged over the draws; nil where not checked.
        public var enumerated: ParityGradients.Moments?
        /// The largest relative difference of the two over the draws; nil where not checked.
        public var relativeError: Double?
        /// Seconds spent in the closed form and in the enumeration, all draws together.
        public var exactSeconds: Double, enumerationSeconds: Double
    }

    static func run(_ context: RunContext) throws {
        let (dMin, dMax) = (try context.options.int("d-min"), try context.options.int("d-max"))
        guard dMin <= dMax else { throw PluginError.invalidInput("--d-min \(dMin) is above --d-max \(dMax)", hint: "give --d-min <= --d-max") }
        let masks = try context.options.int("masks"), widthFactor = try context.options.int("width-factor")
        let draws = try context.options.int("draws")
        context.progress.begin("gradients", total: dMax - dMin + 1, unit: "dims")
        var points: [Point] = []
        for d in dMin...dMax {
            if context.isCancelled { break }
            var generator = SeededGenerator(seed: context.seed, stream: UInt64(d))
            let point = try Self.point(d: d, widthFactor: widthFactor, draws: draws, enumerate: (1 << d) <= masks, generator: &generator)
            points.append(point)
            var row = [("variance", point.exact.variance), ("around_a", point.exact.aroundA),
                       ("mean_squared_norm", point.exact.meanSquaredNorm), ("scaled_variance", point.exact.variance * pow(2, Double(d)))]
            if let check = point.enumerated, let error = point.relativeError {
                row += [("variance_enumerated", check.variance), ("relative_error", error)]
            }
            context.metrics.log(step: d, row)
            let check = point.enumerated.map { String(format: "; enumeration over all %d masks %.6e (relative error %.1e, %.2f s)",
                                                          1 << d, $0.variance, point.relativeError ?? .nan, point.enumerationSeconds) } ?? ""
            context.log(String(format: "gradients: d = %2d: variance %.6e exact (2^d x variance %.3f, mean of %d draws, %.3f s)%@",
                               d, point.exact.variance, point.exact.variance * pow(2, Double(d)), draws, point.exactSeconds, check))
            context.progress.update(completed: d - dMin + 1, values: [("variance", point.exact.variance)])
        }
        context.progress.end()
        try report(points, context: context)
    }

    /// The moments at d for `draws` freshly initialised networks (k = widthFactor d), averaged.
    public static func point(d: Int, widthFactor: Int, draws: Int, enumerate: Bool, generator: inout SeededGenerator) throws -> Point {
        var point = Point(d: d, exact: .init(variance: 0, aroundA: 0, meanSquaredNorm: 0), enumerated: nil, relativeError: nil,
                          exactSeconds: 0, enumerationSeconds: 0)
        func add(_ m: ParityGradients.Moments, to total: inout ParityGradients.Moments) {
            total.variance += m.variance / Double(draws); total.aroundA += m.aroundA / Double(draws)
            total.meanSquaredNorm += m.meanSquaredNorm / Double(draws)
        }
        for _ in 0..<draws {
            let gradients = try ParityGradients(TwoLayerReLU(d: d, hidden: widthFactor * d, generator: &generator))
            var start = DispatchTime.now().uptimeNanoseconds
            let exact = gradients.exactMoments()
            point.exactSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            add(exact, to: &point.exact)
            guard enumerate else { continue }
            start = DispatchTime.now().uptimeNanoseconds
            let check = gradients.enumeratedMoments()
            point.enumerationSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var total = point.enumerated ?? .init(variance: 0, aroundA: 0, meanSquaredNorm: 0)
            add(check, to: &total)
            point.enumerated = total
            point.relativeError = max(point.relativeError ?? 0, exact.relativeError(to: check))
        }
        return point
    }

    /// Final metrics, `gradients.csv` and `gradient_variance.svg`.
    static func report(_ points: [Point], context: RunContext) throws {
        guard let last = points.last else { return }
        context.metrics.final("variance_at_d_max", last.exact.variance)
        context.metrics.final("scaled_variance_at_d_max", last.exact.variance * pow(2, Double(last.d)))
        context.metrics.final("slope_log2", log2Slope(points))
        context.metrics.final("decreasing", zip(points, points.dropFirst()).allSatisfy { $1.exact.variance < $0.exact.variance } ? 1 : 0)
        let errors = points.compactMap(\.relativeError)
        if let worst = errors.max() { context.metrics.final("max_relative_error", worst) }
        let rows = points.map { p -> [String] in
            [String(p.d), String(format: "%.10e", p.exact.variance), p.enumerated.map { String(format: "%.10e", $0.variance) } ?? "",
             p.relativeError.map { String(format: "%.3e", $0) } ?? "", formatNumber(p.exact.variance * pow(2, Double(p.d))),
             formatNumber(p.exact.aroundA), formatNumber(p.exact.meanGradientSquaredNorm),
             String(format: "%.4f", p.exactSeconds), p.enumerated == nil ? "" : String(format: "%.4f", p.enumerationSeconds)]
        }
        try context.artifacts.writeCSV("gradients.csv", header: ["d", "variance_exact", "variance_enumerated", "relative_error", "scaled_variance",
                                                                 "around_a", "mean_gradient_squared_norm", "exact_seconds", "enumeration_seconds"], rows: rows)
        let ds = points.map { Double($0.d) }
        let checked = points.filter { $0.enumerated != nil }
        let anchor = points[0].exact.variance * pow(2, ds[0])
        var series = [Series("exact (Parseval)", x: ds, y: points.map(\.exact.variance), markers: true)]
        if !checked.isEmpty {
            series.append(Series("enumeration of all 2^d masks", x: checked.map { Double($0.d) }, y: checked.compactMap { $0.enumerated?.variance }, line: false))
        }
        series.append(Series("2^-d reference", x: ds, y: ds.map { anchor * pow(2, -$0) }, dashed: true))
        var plot = LinePlot(title: "Variance over masks v* of the population-risk gradient", xLabel: "d",
                            yLabel: "E_v ||grad R_v - E_v grad R_v||^2", series: series, logY: true)
        if let first = ds.first, let end = ds.last, first < end { plot.xRange = first...end }
        try context.artifacts.write(plot.svg(), to: "gradient_variance.svg")
    }

    /// Least-squares slope of log2(variance) against d.
    static func log2Slope(_ points: [Point]) -> Double {
        let xs = points.map { Double($0.d) }, ys = points.map { Foundation.log2(max($0.exact.variance, 1e-300)) }
        let (mx, my) = (xs.reduce(0, +) / Double(xs.count), ys.reduce(0, +) / Double(ys.count))
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return sxx == 0 ? .nan : zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
    }
}
