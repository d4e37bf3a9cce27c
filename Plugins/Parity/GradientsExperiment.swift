import Foundation
import PluginAPI

/// Experiment `gradients` (problem 3c, computed instead of proved): at fixed random parameters
/// p, the variance over masks v* uniform on {0,1}^d of the population-risk gradient
/// grad R_v(p), exactly, for every d in the range: in closed form from one pass over the 2^d
/// inputs (`ParityGradients.exactMoments`, Parseval over the Walsh basis), and, where 2^d is
/// at most `--masks`, by brute force over all 2^d masks as the check. Nothing is sampled but p.
/// Beside it, 3(c)(i), (iii) and (iv)'s bound (`GradientBound.swift`): c_p against the largest
/// |grad_p f(x)_j| over all 2^d inputs, autograd against the closed-form grad_p f at a few x, the
/// Gram matrix of the characters (-1)^(v.x) for d <= `gramDMax`, and C_p / 2^d = P c_p^2 / 2^d
/// against the exact E_v ||grad R_v - a||^2.
public enum GradientsExperiment {
    static let declaration = Experiment(
        name: "gradients",
        summary: "Exact variance over all masks v* of the population-risk gradient (Parseval, checked by enumeration): it shrinks like 2^-d; 3c's c_p and C_p / 2^d bound against it",
        settings: Settings.self,
        metrics: [MetricSpec("variance_at_d_max", goal: .neither, help: "Var_v = E_v ||grad R_v - E_v grad R_v||^2 at the largest d (exact)"),
                  MetricSpec("scaled_variance_at_d_max", goal: .neither, help: "2^d Var_v at the largest d: C in Var_v = C / 2^d"),
                  MetricSpec("slope_log2", goal: .neither, help: "least-squares slope of log2(variance) against d (-1 for exactly 2^-d)"),
                  MetricSpec("decreasing", goal: .higherIsBetter, help: "1 when the variance falls at every step of d, else 0"),
                  MetricSpec("max_relative_error", goal: .lowerIsBetter, help: "largest relative difference of the closed form from the enumeration"),
                  MetricSpec("max_entry_ratio", goal: .neither, help: "largest max_x max_j |grad_p f(x)_j| / c_p over d and draws (3c(i): <= 1)"),
                  MetricSpec("max_bound_ratio", goal: .neither, help: "largest E_v ||grad R_v - a||^2 / (C_p / 2^d) over d and draws (3c(iv): <= 1)"),
                  MetricSpec("bound_holds", goal: .higherIsBetter, help: "1 when both ratios are <= 1 for every d and draw, else 0"),
                  MetricSpec("gram_max_deviation", goal: .lowerIsBetter, help: "largest |E_x chi_u chi_v - 1{u = v}| for d <= 8 (3c(iii))"),
                  MetricSpec("autograd_max_error", goal: .lowerIsBetter, help: "largest |autograd - closed form| entry of grad_p f(x) (3c(i))")],
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
        /// 3(c)(i), (iii) and (iv)'s bound at this d.
        public var bound = Bound()
    }

    /// 3(c)(i), (iii) and (iv)'s bound at one d (`GradientBound.swift` has the formulas).
    public struct Bound {
        /// c_p = max(1, max_i |alpha_i|, max_i (||w_i||_1 + |b_i|)), mean over the draws.
        public var entryBound = 0.0
        /// max over x in {0,1}^d and j of |grad_p f(x)_j|, mean over the draws.
        public var maxEntry = 0.0
        /// That maximum over c_p, the largest over the draws (<= 1 is 3(c)(i)'s claim).
        public var entryRatio = 0.0
        /// E_x ||grad_p f||^2 / 2^d (the bound before |J_j| <= c_p), mean over the draws.
        public var jacobianBound = 0.0
        /// P (max_x max_j |grad_p f(x)_j|)^2 / 2^d, the bound with the smallest constant, mean over the draws.
        public var tightBound = 0.0
        /// The right side of 3(c)(iv), C_p / 2^d = P c_p^2 / 2^d, mean over the draws.
        public var rightSide = 0.0
        /// E_v ||grad R_v - a||^2 / (C_p / 2^d), the largest over the draws (<= 1 is 3(c)(iv)'s claim).
        public var boundRatio = 0.0
        /// max_{u,v} |E_x chi_u chi_v - 1{u = v}| (3(c)(iii)); nil above `gramDMax`.
        public var gramDeviation: Double?
        /// Largest |autograd - closed form| entry of grad_p f(x) over `autogradInputs` inputs x, every draw.
        public var autogradError = 0.0
    }

    /// The largest d whose character Gram matrix is formed (8^d / 2 terms: 8.4e6 at d = 8).
    public static let gramDMax = 8
    /// Inputs x at which autograd is checked against the closed form per draw: 0, all ones and random ones.
    public static let autogradInputs = 6

    /// The experiment's options.
    struct Settings: ExperimentSettings {
        var dMin = 2, dMax = 16, masks = 1024, widthFactor = 10, draws = 3
        static let fields: [SettingField<Settings>] = [
            .int("d-min", \.dMin, range: 1...20, help: "smallest input dimension"),
            .int("d-max", \.dMax, range: 1...20, help: "largest input dimension (the closed form passes over all 2^d inputs)"),
            .int("masks", \.masks, range: 0...4096,
                 help: "the brute-force check: each d with 2^d <= masks also forms the gradients of all 2^d masks (0: none)"),
            .int("width-factor", \.widthFactor, range: 1...100, help: "hidden units k = width-factor x d"),
            .int("draws", \.draws, range: 1...100, help: "random parameter draws p per d, averaged"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (dMin, dMax, masks, widthFactor, draws) = (settings.dMin, settings.dMax, settings.masks, settings.widthFactor, settings.draws)
        guard dMin <= dMax else { throw PluginError.invalidInput("--d-min \(dMin) is above --d-max \(dMax)", hint: "give --d-min <= --d-max") }
        context.progress.begin("gradients", total: dMax - dMin + 1, unit: "dims")
        var points: [Point] = []
        context.metrics.stepName = "d"
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
            let b = point.bound
            row += [("c_p", b.entryBound), ("entry_ratio", b.entryRatio), ("bound", b.rightSide),
                    ("bound_ratio", b.boundRatio), ("autograd_error", b.autogradError)]
                + (b.gramDeviation.map { [("gram_deviation", $0)] } ?? [])
            context.metrics.log(step: d, row)
            let check = point.enumerated.map { String(format: "; enumeration over all %d masks %.6e (relative error %.1e, %.2f s)",
                                                          1 << d, $0.variance, point.relativeError ?? .nan, point.enumerationSeconds) } ?? ""
            context.log(String(format: "gradients: d = %2d: variance %.6e exact (2^d x variance %.3f, mean of %d draws, %.3f s)%@",
                               d, point.exact.variance, point.exact.variance * pow(2, Double(d)), draws, point.exactSeconds, check))
            context.log(String(format: "bound:     d = %2d: c_p %.4f, max |grad f_j| %.4f (ratio <= %.4f); C_p/2^d %.4e vs E_v||grad R - a||^2 %.4e (ratio <= %.2e)%@; autograd %.1e",
                               d, b.entryBound, b.maxEntry, b.entryRatio, b.rightSide, point.exact.aroundA, b.boundRatio,
                               b.gramDeviation.map { String(format: "; Gram |G - I| %.1e", $0) } ?? "", b.autogradError))
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
            total.jacobianNorm += m.jacobianNorm / Double(draws); total.maxGradientEntry += m.maxGradientEntry / Double(draws)
        }
        if d <= gramDMax { point.bound.gramDeviation = try ParityGradients.characterGramDeviation(d: d) }
        // The autograd inputs come from their own stream, so the draws of p are those without the check.
        var inputs = SeededGenerator(seed: UInt64(d), stream: 0xA0)
        for _ in 0..<draws {
            let network = TwoLayerReLU(d: d, hidden: widthFactor * d, generator: &generator)
            let gradients = try ParityGradients(network)
            var start = DispatchTime.now().uptimeNanoseconds
            let exact = gradients.exactMoments()
            point.exactSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            add(exact, to: &point.exact)
            addBound(gradients, exact, network: network, draws: draws, inputs: &inputs, to: &point.bound)
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

    /// One draw's share of `Bound`: c_p, C_p / 2^d and their ratios from the exact moments,
    /// and autograd against `jacobian` at x = 0, all ones and random inputs.
    static func addBound(_ gradients: ParityGradients, _ exact: ParityGradients.Moments, network: TwoLayerReLU, draws: Int,
                         inputs: inout SeededGenerator, to bound: inout Bound) {
        let (c, n, p) = (gradients.entryBound, Double(gradients.inputs), Double(gradients.parameterCount))
        bound.entryBound += c / Double(draws)
        bound.maxEntry += exact.maxGradientEntry / Double(draws)
        bound.entryRatio = max(bound.entryRatio, exact.maxGradientEntry / c)
        bound.jacobianBound += exact.jacobianNorm / n / Double(draws)
        bound.tightBound += p * exact.maxGradientEntry * exact.maxGradientEntry / n / Double(draws)
        bound.rightSide += gradients.boundConstant / n / Double(draws)
        bound.boundRatio = max(bound.boundRatio, exact.aroundA / (gradients.boundConstant / n))
        let all = gradients.inputs - 1
        for t in 0..<autogradInputs {
            let x = t == 0 ? 0 : t == 1 ? all : Int(inputs.next() & UInt64(all))
            for (a, b) in zip(ParityGradients.autogradJacobian(network, x: x), gradients.jacobian(x)) {
                bound.autogradError = max(bound.autogradError, abs(a - b))
            }
        }
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
        let bounds = points.map(\.bound)
        context.metrics.final("max_entry_ratio", bounds.map(\.entryRatio).max() ?? 0)
        context.metrics.final("max_bound_ratio", bounds.map(\.boundRatio).max() ?? 0)
        context.metrics.final("bound_holds", bounds.allSatisfy { $0.entryRatio <= 1 && $0.boundRatio <= 1 } ? 1 : 0)
        if let worst = bounds.compactMap(\.gramDeviation).max() { context.metrics.final("gram_max_deviation", worst) }
        context.metrics.final("autograd_max_error", bounds.map(\.autogradError).max() ?? 0)
        let rows = points.map { p -> [String] in
            let b = p.bound, n = pow(2, Double(p.d))
            return [String(p.d), String(format: "%.10e", p.exact.variance), p.enumerated.map { String(format: "%.10e", $0.variance) } ?? "",
                    p.relativeError.map { String(format: "%.3e", $0) } ?? "", formatNumber(p.exact.variance * n),
                    formatNumber(p.exact.aroundA), formatNumber(p.exact.meanGradientSquaredNorm),
                    String(format: "%.4f", p.exactSeconds), p.enumerated == nil ? "" : String(format: "%.4f", p.enumerationSeconds),
                    formatNumber(b.entryBound), formatNumber(b.maxEntry), formatNumber(b.entryRatio), formatNumber(b.rightSide * n),
                    formatNumber(b.rightSide), formatNumber(b.boundRatio), formatNumber(b.jacobianBound), formatNumber(b.tightBound),
                    b.gramDeviation.map { String(format: "%.1e", $0) } ?? "", String(format: "%.1e", b.autogradError)]
        }
        try context.artifacts.writeCSV("gradients.csv", header: ["d", "variance_exact", "variance_enumerated", "relative_error", "scaled_variance",
                                                                 "around_a", "mean_gradient_squared_norm", "exact_seconds", "enumeration_seconds",
                                                                 "c_p", "max_grad_entry", "entry_ratio", "C_p", "bound", "bound_ratio",
                                                                 "jacobian_bound", "tight_bound", "gram_max_deviation", "autograd_max_error"], rows: rows)
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
        try context.artifacts.write(boundPlot(points).svg(panelWidth: 420, panelHeight: 320), to: "gradient_bound.svg")
    }

    /// 3(c)(iv)'s chain against d (left; J = grad_p f) and how loose its two steps are (right).
    /// The exact value is drawn as markers only: at initialisation |f| < 1 on every input, so
    /// |B| = 1 and E_x ||J||^2 / 2^d, dashed under it, is equal to it.
    static func boundPlot(_ points: [Point]) -> PlotGrid {
        let ds = points.map { Double($0.d) }, bounds = points.map(\.bound)
        var values = LinePlot(title: "E_v ||grad R_v - a||^2 and its bounds (J = grad_p f)", xLabel: "d", yLabel: "value (mean of the draws)", series: [
            Series("C_p / 2^d = P c_p^2 / 2^d", x: ds, y: bounds.map(\.rightSide), markers: true),
            Series("P max|J_j|^2 / 2^d", x: ds, y: bounds.map(\.tightBound), dashed: true),
            Series("E_x ||J||^2 / 2^d", x: ds, y: bounds.map(\.jacobianBound), dashed: true),
            Series("exact E_v ||grad R_v - a||^2", x: ds, y: points.map(\.exact.aroundA), line: false),
        ], logY: true)
        var ratios = LinePlot(title: "ratios, largest over the draws (claims: <= 1)", xLabel: "d", yLabel: "ratio", series: [
            Series("max_x,j |J_j| / c_p (i)", x: ds, y: bounds.map(\.entryRatio), markers: true),
            Series("exact / (C_p / 2^d) (iv)", x: ds, y: bounds.map(\.boundRatio), markers: true),
        ], logY: true)
        let low = bounds.map(\.boundRatio).min() ?? 1e-3
        ratios.yRange = pow(10, (log10(max(low, 1e-300)) - 0.3).rounded(.down))...3
        ratios.horizontalLines = [("1", 1)]
        if let first = ds.first, let end = ds.last, first < end { values.xRange = first...end; ratios.xRange = first...end }
        return PlotGrid(title: "HW7 3(c)(iv): E_v ||grad R_v - a||^2 <= C_p / 2^d, C_p = (dk + 2k + 1) c_p^2",
                        columns: 2, panels: [values, ratios], sharedAxes: false)
    }

    /// Least-squares slope of log2(variance) against d.
    static func log2Slope(_ points: [Point]) -> Double {
        let xs = points.map { Double($0.d) }, ys = points.map { Foundation.log2(max($0.exact.variance, 1e-300)) }
        let (mx, my) = (xs.reduce(0, +) / Double(xs.count), ys.reduce(0, +) / Double(ys.count))
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return sxx == 0 ? .nan : zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
    }
}
