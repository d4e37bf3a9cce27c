import Foundation
import PluginAPI

/// Experiment `dual-properties` (problem 8): (a phi)-check = a^2 phi-check, and phi-check
/// non-decreasing and convex on [0, 1], measured on ten activations. Duals by nested
/// Gauss-Legendre quadrature (no sampling error), against the closed forms and against the
/// Hermite series sum a_n^2 xi^n whose non-negative coefficients are the proof of part 2.
enum DualPropertiesExperiment {
    static let declaration = Experiment(
        name: "dual-properties",
        summary: "Problem 8: duals of ten activations by quadrature against closed forms and Hermite series; (a phi)-check = a^2 phi-check; non-decreasing and convex on [0, 1]",
        settings: Settings.self,
        metrics: [
            MetricSpec("max_closed_form_error", goal: .lowerIsBetter, help: "largest |quadrature - closed form| over the activations with one and every xi"),
            MetricSpec("max_series_error", goal: .lowerIsBetter, help: "largest |sum_{n <= terms} a_n^2 xi^n - quadrature| for |xi| <= 0.9"),
            MetricSpec("max_scaling_error", goal: .lowerIsBetter, help: "largest |(a phi)-check - a^2 phi-check| / (a^2 max |phi-check|), a in {-3, -0.5, 2}"),
            MetricSpec("min_slope_0_1", help: "smallest slope of any dual between grid points in [0, 1] (>= 0: non-decreasing)"),
            MetricSpec("min_curvature_0_1", help: "smallest second difference quotient of any dual in [0, 1] (>= 0: convex)"),
            MetricSpec("violations_0_1", goal: .lowerIsBetter, help: "activations whose dual decreases or bends down somewhere in [0, 1] (beyond 1e-9)"),
            MetricSpec("violations_minus1_0", help: "activations whose dual decreases or bends down somewhere in [-1, 0], where problem 8 claims nothing"),
            MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "quadrature time"),
        ],
        train: run)

    /// The experiment's options.
    struct Settings: ExperimentSettings {
        var points = 101, terms = 40, order = 10, panels = 24
        var c = 1.0
        static let fields: [SettingField<Settings>] = [
            .int("points", \.points, range: 5...2001, help: "grid points of xi in [-1, 1] (odd, so that 0 is one)"),
            .int("terms", \.terms, range: 1...150, help: "Hermite coefficients a_0 ... a_terms"),
            .int("order", \.order, range: 2...40, help: "Gauss-Legendre points per panel"),
            .int("panels", \.panels, range: 4...400, help: "panels on [-12, 12] (before the kinks are added)"),
            .double("c", \.c, min: -3, max: 3, help: "C of phi(x) = exp(-C^2 + C x)"),
        ]
    }

    static let scales: [Double] = [-3, -0.5, 2]

    static func run(_ context: RunContext, _ settings: Settings) throws {
        var points = settings.points
        if points % 2 == 0 { points += 1 }
        let quadrature = GaussianQuadrature(order: settings.order, panels: settings.panels)
        let (terms, activations) = (settings.terms, DualProperties.activations(c: settings.c))
        let xi = (0..<points).map { -1 + 2 * Double($0) / Double(points - 1) }
        let start = DispatchTime.now().uptimeNanoseconds
        var results: [DualProperties.Result] = []
        context.progress.begin("dual-properties", total: activations.count, unit: "activations")
        for activation in activations {
            if context.isCancelled { break }
            results.append(DualProperties.measure(activation, xi: xi, quadrature: quadrature, terms: terms, scales: scales))
            context.progress.update(completed: results.count, values: [])
        }
        context.progress.end()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let m = context.metrics
        m.final("max_closed_form_error", results.compactMap(\.closedFormError).max() ?? 0)
        m.final("max_series_error", results.map(\.seriesError).max() ?? 0)
        m.final("max_scaling_error", results.map(\.scalingError).max() ?? 0)
        m.final("min_slope_0_1", results.map(\.positive.minSlope).min() ?? .nan)
        m.final("min_curvature_0_1", results.map(\.positive.minCurvature).min() ?? .nan)
        let failing = results.filter { !$0.positive.nonDecreasing() || !$0.positive.convex() }
        let failingNegative = results.filter { !$0.negative.nonDecreasing() || !$0.negative.convex() }
        m.final("violations_0_1", Double(failing.count))
        m.final("violations_minus1_0", Double(failingNegative.count))
        m.final("seconds", seconds)
        m.note("table", table(results))
        m.note("method", "phi-check(xi) = E_z1[phi(z1) E_z2[phi(xi z1 + sqrt(1 - xi^2) z2)]] by nested composite Gauss-Legendre on [-12, 12], panel edges at the kinks "
               + "(ReLU, sign, |x| at 0); Hermite coefficients a_n = E[phi(z) h_n(z)] by the same rule; part 1 with a = -3, -0.5, 2 against a^2 times the closed form")
        m.note("verdict", failing.isEmpty
               ? "on [0, 1] every dual is non-decreasing and convex on the grid (slopes >= \(formatNumber(results.map(\.positive.minSlope).min() ?? .nan)), curvatures >= \(formatNumber(results.map(\.positive.minCurvature).min() ?? .nan))); "
                 + "on [-1, 0] \(failingNegative.map(\.name).joined(separator: ", ")) decrease or bend down, which is why the claim is for [0, 1]"
               : "NOT on [0, 1]: " + failing.map(\.name).joined(separator: ", "))
        context.log(String(format: "dual-properties: %d activations, %d values of xi, %.2f s; quadrature against closed forms %.2g, Hermite series (%d terms, |xi| <= 0.9) %.2g, (a phi)-check against a^2 phi-check %.2g",
                           results.count, points, seconds, results.compactMap(\.closedFormError).max() ?? 0, terms, results.map(\.seriesError).max() ?? 0, results.map(\.scalingError).max() ?? 0))
        context.log("dual-properties: on [0, 1] \(failing.isEmpty ? "every dual is non-decreasing and convex" : "\(failing.count) duals are not: " + failing.map(\.name).joined(separator: ", "))"
                    + "; on [-1, 0] \(failingNegative.count) are not (\(failingNegative.map(\.name).joined(separator: ", ")))")
        try writeFiles(context, results)
    }

    static func table(_ results: [DualProperties.Result]) -> String {
        func cell(_ v: Double?) -> String { v.map { String(format: "%9.2g", $0) } ?? "        -" }
        var lines = ["activation                closed   series  scaling  slope[0,1]  curv[0,1]  slope[-1,0]  curv[-1,0]"]
        for r in results {
            lines.append(r.name.prefix(24).padding(toLength: 24, withPad: " ", startingAt: 0) + cell(r.closedFormError) + cell(r.seriesError) + cell(r.scalingError)
                         + "  " + cell(r.positive.minSlope) + "  " + cell(r.positive.minCurvature) + "    " + cell(r.negative.minSlope) + "   " + cell(r.negative.minCurvature))
        }
        return lines.joined(separator: "\n")
    }

    static func writeFiles(_ context: RunContext, _ results: [DualProperties.Result]) throws {
        var rows: [[String]] = [], coefficientRows: [[String]] = [], summary: [[String]] = []
        for r in results {
            for (i, x) in r.xi.enumerated() {
                rows.append([r.name, formatNumber(x), formatNumber(r.quadrature[i]), r.closedForm.map { formatNumber($0[i]) } ?? "", formatNumber(r.series[i])])
            }
            for (n, a) in r.coefficients.enumerated() { coefficientRows.append([r.name, String(n), formatNumber(a), formatNumber(a * a)]) }
            summary.append([r.name, r.closedFormError.map(formatNumber) ?? "", formatNumber(r.seriesError), formatNumber(r.parsevalTail), formatNumber(r.scalingError),
                            formatNumber(r.positive.minSlope), formatNumber(r.positive.minCurvature), formatNumber(r.negative.minSlope), formatNumber(r.negative.minCurvature)])
        }
        try context.artifacts.writeCSV("duals.csv", header: ["activation", "xi", "quadrature", "closed_form", "hermite_series"], rows: rows)
        try context.artifacts.writeCSV("hermite.csv", header: ["activation", "n", "a_n", "a_n_squared"], rows: coefficientRows)
        try context.artifacts.writeCSV("properties.csv", header: ["activation", "closed_form_error", "series_error", "parseval_tail", "scaling_error",
                                                                 "min_slope_0_1", "min_curvature_0_1", "min_slope_minus1_0", "min_curvature_minus1_0"], rows: summary)
        let panels = results.map { r -> LinePlot in
            var series = [Series("quadrature", x: r.xi, y: r.quadrature)]
            if let exact = r.closedForm {
                let every = max(1, r.xi.count / 20)
                let picked = Array(stride(from: 0, to: r.xi.count, by: every))
                series.append(Series("closed form", x: picked.map { r.xi[$0] }, y: picked.map { exact[$0] }, markers: true, line: false))
            }
            series.append(Series("Hermite series", x: r.xi, y: r.series, dashed: true))
            return LinePlot(title: r.name, xLabel: "xi", yLabel: "dual", series: series)
        }
        try context.artifacts.write(PlotGrid(title: "Problem 8: duals by quadrature, closed forms and Hermite series (convex and non-decreasing on [0, 1])",
                                             columns: 5, panels: panels, sharedAxes: false).svg(), to: "duals.svg")
        let coefficientPanels = results.map { r -> LinePlot in
            let kept = r.coefficients.indices.filter { abs(r.coefficients[$0]) > 1e-10 }
            return LinePlot(title: r.name, xLabel: "n", yLabel: "a_n^2", series: [
                Series("a_n^2", x: kept.map(Double.init), y: kept.map { r.coefficients[$0] * r.coefficients[$0] }, markers: true, line: false),
            ], logY: true)
        }
        try context.artifacts.write(PlotGrid(title: "Hermite coefficients a_n^2 of each dual: phi-check(xi) = sum a_n^2 xi^n (|a_n| < 1e-10, rounding, left out)", columns: 5, panels: coefficientPanels, sharedAxes: false).svg(),
                                    to: "hermite.svg")
    }
}
