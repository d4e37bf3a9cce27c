import Foundation
import PluginAPI

/// Experiment `duals`: Monte Carlo estimates of the dual activation E[phi(u) phi(v)] for
/// (u, v) ~ N(0, [[1, xi], [xi, 1]]) against the closed forms, with standard errors.
enum DualsExperiment {
    static let declaration = Experiment(
        name: "duals",
        summary: "Monte Carlo check of dual activations (identity, exp, sin, cos, ReLU) against their closed forms on a grid of xi",
        settings: Settings.self,
        metrics: [
            MetricSpec("max_abs_z", goal: .lowerIsBetter, help: "largest |estimate - closed form| / standard error over all activations and xi"),
            MetricSpec("max_abs_error", goal: .lowerIsBetter, help: "largest |estimate - closed form|"),
        ],
        train: run)

    /// The experiment's options.
    struct Settings: ExperimentSettings {
        var samples = 200_000, points = 21
        var c = 1.0
        static let fields: [SettingField<Settings>] = [
            .int("samples", \.samples, range: 100...100_000_000, help: "Monte Carlo samples per xi"),
            .int("points", \.points, range: 2...1001, help: "grid points of xi in [-1, 1]"),
            .double("c", \.c, min: -10, max: 10, help: "C of phi(x) = exp(-C^2 + C x)"),
        ]
    }

    /// An activation and its dual's closed form.
    struct Dual {
        var name: String
        var phi: (Double) -> Double
        var closedForm: (Double) -> Double
    }

    static func duals(c: Double) -> [Dual] {
        [Dual(name: "identity", phi: { $0 }, closedForm: { $0 }),
         Dual(name: "exp(-C^2 + C x), C = \(formatNumber(c))", phi: { exp(-c * c + c * $0) }, closedForm: { exp(-c * c + c * c * $0) }),
         Dual(name: "sin", phi: { sin($0) }, closedForm: { sinh($0) / M_E }),
         Dual(name: "cos", phi: { cos($0) }, closedForm: { cosh($0) / M_E }),
         Dual(name: "ReLU", phi: { max($0, 0) }, closedForm: { xi in ((1 - xi * xi).squareRoot() + (Double.pi - acos(min(max(xi, -1), 1))) * xi) / (2 * Double.pi) })]
    }

    /// Mean and standard error of phi(u) phi(v) over `samples` correlated pairs, for each dual.
    static func estimate(_ duals: [Dual], xi: Double, samples: Int, generator: inout SeededGenerator) -> [(mean: Double, standardError: Double)] {
        var sums = [Double](repeating: 0, count: duals.count), squares = sums
        let other = (1 - xi * xi).squareRoot()
        for _ in 0..<samples {
            let z1 = generator.nextNormal(), z2 = generator.nextNormal()
            let (u, v) = (z1, xi * z1 + other * z2)
            for (k, dual) in duals.enumerated() {
                let p = dual.phi(u) * dual.phi(v)
                sums[k] += p; squares[k] += p * p
            }
        }
        let n = Double(samples)
        return zip(sums, squares).map { s, q in
            let mean = s / n
            return (mean, (max(q / n - mean * mean, 0) / (n - 1)).squareRoot())
        }
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (samples, points) = (settings.samples, settings.points)
        let duals = duals(c: settings.c)
        let grid = (0..<points).map { -1 + 2 * Double($0) / Double(points - 1) }
        var generator = SeededGenerator(seed: context.seed)
        var estimates: [[(mean: Double, standardError: Double)]] = []
        context.progress.begin("duals", total: points, unit: "xi")
        for (index, xi) in grid.enumerated() {
            if context.isCancelled { break }
            estimates.append(estimate(duals, xi: xi, samples: samples, generator: &generator))
            context.progress.update(completed: index + 1, values: [])
        }
        context.progress.end()
        var worstZ = 0.0, worstError = 0.0, rows: [[String]] = []
        var panels: [LinePlot] = []
        context.metrics.stepName = "point"
        for (k, dual) in duals.enumerated() {
            let done = Array(grid.prefix(estimates.count))
            let exact = done.map(dual.closedForm)
            for (i, xi) in done.enumerated() {
                let e = estimates[i][k]
                let error = abs(e.mean - exact[i])
                worstError = max(worstError, error)
                if e.standardError > 0 { worstZ = max(worstZ, error / e.standardError) }
                rows.append([dual.name, formatNumber(xi), formatNumber(e.mean), formatNumber(e.standardError), formatNumber(exact[i])])
                context.metrics.log(step: k * points + i, [("xi", xi), ("estimate", e.mean), ("standard_error", e.standardError), ("closed_form", exact[i])])
            }
            panels.append(LinePlot(title: dual.name, xLabel: "xi", yLabel: "E[phi(u) phi(v)]", series: [
                Series("closed form", x: done, y: exact),
                Series("Monte Carlo ± 2 s.e.", x: done, y: estimates.map { $0[k].mean }, yError: estimates.map { 2 * $0[k].standardError }, markers: true, line: false),
            ]))
        }
        context.metrics.final("max_abs_z", worstZ)
        context.metrics.final("max_abs_error", worstError)
        context.log(String(format: "duals: %d samples per xi; largest |estimate - closed form| %.3g, largest in standard errors %.2f", samples, worstError, worstZ))
        try context.artifacts.writeCSV("duals.csv", header: ["activation", "xi", "estimate", "standard_error", "closed_form"], rows: rows)
        let figure = PlotGrid(title: "Dual activations: Monte Carlo (±2 s.e.) against closed forms", columns: 3, panels: panels, sharedAxes: false)
        try context.artifacts.write(figure.svg(), to: "duals.svg")
    }
}
