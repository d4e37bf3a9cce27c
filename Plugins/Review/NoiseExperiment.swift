import Foundation
import PluginAPI

/// Experiment `noise`: instance noise as regularisation, measured.
public enum NoiseExperiment {
    static let declaration = Experiment(
        name: "noise",
        summary: "Instance noise: E||X~w - y||^2 = ||Xw - y||^2 + m sigma^2 ||w||^2 by Monte Carlo, E[N N^T] = sigma^2 I, its minimiser is ridge with lambda = sigma^2; noisy gradient descent against its mean recurrence, shrinking y/x by 1/(1 + sigma^2/x^2)",
        settings: Settings.self,
        metrics: [
            MetricSpec("expected_loss_z", goal: .lowerIsBetter, help: "|Monte Carlo - closed form| / standard error, part 1"),
            MetricSpec("max_recurrence_z", goal: .lowerIsBetter, help: "largest |mean w_t - recurrence| / standard error over the stable rates, part 2"),
            MetricSpec("limit_z", goal: .lowerIsBetter, help: "largest |mean w_T - x y / (x^2 + sigma^2)| / standard error over the stable rates whose recurrence has converged"),
            MetricSpec("noise_covariance_z", goal: .lowerIsBetter, help: "largest |Monte Carlo E[N N^T] - sigma^2 I| / standard error over the entries"),
            MetricSpec("ridge_minimizer_z", goal: .lowerIsBetter, help: "argmin of the Monte Carlo E||X~w - y||^2 against (X^TX + m sigma^2 I)^{-1} X^Ty (lambda = sigma^2), worst coordinate in standard errors"),
            MetricSpec("least_squares_z", help: "the same against the unpenalised least squares (large: the noise does regularise)"),
            MetricSpec("shrinkage_max_z", goal: .lowerIsBetter, help: "largest |mean w_T - x y / (x^2 + sigma^2)| / standard error over --sigmas > 0"),
            MetricSpec("noiseless_error", goal: .lowerIsBetter, help: "|w_T - y/x| of plain gradient descent (sigma = 0 in --sigmas)"),
        ],
        train: run)

    /// The experiment's options: X's shape and the noise of part 1, the scalar problem and the
    /// learning rates of part 2, and the ridge and shrinkage checks (`NoiseRidge.swift`).
    struct Settings: ExperimentSettings {
        var m = 20, n = 5
        var sigma = 0.5
        var samples = 20_000
        var x = 1.0, y = 2.0
        var lrs = [0.1, 0.5, 1.2, 1.8]
        var steps = 40, runs = 20_000, batches = 20
        var sigmas: [Double] = [0, 0.25, 0.5, 1, 2, 4]
        static let fields: [SettingField<Settings>] = [
            .int("m", \.m, range: 1...10_000, help: "rows of X"), .int("n", \.n, range: 1...10_000, help: "columns of X"),
            .double("sigma", \.sigma, min: 0, max: 100, help: "noise standard deviation"),
            .int("samples", \.samples, range: 10...10_000_000, help: "Monte Carlo draws of the noise"),
            .double("x", \.x, min: -100, max: 100, help: "the scalar input of part 2"),
            .double("y", \.y, min: -100, max: 100, help: "the scalar target of part 2"),
            .numbers("lrs", \.lrs, positive: true, help: "learning rates of part 2 (2 / (x^2 + sigma^2) is the edge)"),
            .int("steps", \.steps, range: 1...100_000, help: "gradient steps of part 2"),
            .int("runs", \.runs, range: 10...10_000_000, help: "runs averaged in part 2"),
            .int("batches", \.batches, range: 2...10_000, help: "batches of the noise draws for the minimiser's standard errors"),
            .numbers("sigmas", \.sigmas, min: 0, max: 100, help: "noise levels of the shrinkage sweep (0: plain gradient descent, which reaches y/x)"),
        ]
    }

    /// Part 1: the Monte Carlo mean and standard error of ||(X + N) w - y||^2 and the closed form.
    public static func expectedLoss(m: Int, n: Int, sigma: Double, samples: Int, generator g: inout SeededGenerator)
        -> (mean: Double, standardError: Double, closedForm: Double, trace: [(samples: Int, mean: Double, standardError: Double)]) {
        let x = (0..<m * n).map { _ in g.nextNormal() }, w = (0..<n).map { _ in g.nextNormal() }, y = (0..<m).map { _ in g.nextNormal() }
        let residual = (0..<m).map { i in (0..<n).reduce(0) { $0 + x[i * n + $1] * w[$1] } - y[i] }
        let closed = residual.reduce(0) { $0 + $1 * $1 } + Double(m) * sigma * sigma * w.reduce(0) { $0 + $1 * $1 }
        var sum = 0.0, squares = 0.0
        var trace: [(samples: Int, mean: Double, standardError: Double)] = []
        var next = 10
        for k in 1...samples {
            var loss = 0.0
            for i in 0..<m {
                var noise = 0.0
                for j in 0..<n { noise += sigma * g.nextNormal() * w[j] }
                loss += (residual[i] + noise) * (residual[i] + noise)
            }
            sum += loss; squares += loss * loss
            if k == next || k == samples {
                let mean = sum / Double(k)
                trace.append((k, mean, (max(squares / Double(k) - mean * mean, 0) / Double(max(k - 1, 1))).squareRoot()))
                next = next * 3 / 2
            }
        }
        let mean = sum / Double(samples)
        return (mean, (max(squares / Double(samples) - mean * mean, 0) / Double(samples - 1)).squareRoot(), closed, trace)
    }

    /// Part 2: the mean and standard error of w_t over runs of w <- w - lr x~ (x~ w - y), x~ = x + sigma eps.
    public static func noisyDescent(x: Double, y: Double, sigma: Double, lr: Double, steps: Int, runs: Int, generator g: inout SeededGenerator)
        -> (mean: [Double], standardError: [Double], recurrence: [Double]) {
        var sums = [Double](repeating: 0, count: steps + 1), squares = sums
        for _ in 0..<runs {
            var w = 0.0
            for t in 1...steps {
                let noisy = x + sigma * g.nextNormal()
                w -= lr * noisy * (noisy * w - y)
                sums[t] += w; squares[t] += w * w
            }
        }
        let n = Double(runs)
        let mean = sums.map { $0 / n }
        let se = zip(sums, squares).map { s, q in (max(q / n - (s / n) * (s / n), 0) / (n - 1)).squareRoot() }
        var recurrence = [0.0]
        for _ in 0..<steps { recurrence.append(recurrence.last! * (1 - lr * (x * x + sigma * sigma)) + lr * x * y) }
        return (mean, se, recurrence)
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        var g = SeededGenerator(seed: context.seed)
        let sigma = settings.sigma
        let part1 = expectedLoss(m: settings.m, n: settings.n, sigma: sigma, samples: settings.samples, generator: &g)
        let z1 = abs(part1.mean - part1.closedForm) / max(part1.standardError, 1e-300)
        context.metrics.final("expected_loss_z", z1)
        var lossPlot = LinePlot(title: "Instance noise: E||X~w - y||^2 by Monte Carlo (± 2 s.e.) as draws accumulate", xLabel: "draws of N",
                                yLabel: "mean of ||X~w - y||^2",
                                series: [Series("Monte Carlo", x: part1.trace.map { Double($0.samples) }, y: part1.trace.map(\.mean),
                                                yError: part1.trace.map { 2 * $0.standardError }, markers: true)], logX: true)
        lossPlot.horizontalLines = [(label: "||Xw - y||^2 + m sigma^2 ||w||^2", y: part1.closedForm)]
        try context.artifacts.write(lossPlot.svg(), to: "expected_loss.svg")
        context.log(String(format: "noise: E||X~w - y||^2 = %.5g ± %.2g by Monte Carlo; ||Xw - y||^2 + m sigma^2 ||w||^2 = %.5g (%.2f standard errors apart)",
                           part1.mean, part1.standardError, part1.closedForm, z1))
        let (x, y) = (settings.x, settings.y)
        let edge = 2 / (x * x + sigma * sigma), limit = x * y / (x * x + sigma * sigma)
        let (lrs, steps, runs) = (settings.lrs, settings.steps, settings.runs)
        var worstZ = 0.0, worstLimit = 0.0, panels: [LinePlot] = [], rows: [[String]] = []
        for lr in lrs {
            let part2 = noisyDescent(x: x, y: y, sigma: sigma, lr: lr, steps: steps, runs: runs, generator: &g)
            let stable = lr < edge
            if stable {
                for t in 1...steps where part2.standardError[t] > 0 {
                    worstZ = max(worstZ, abs(part2.mean[t] - part2.recurrence[t]) / part2.standardError[t])
                }
                if abs(part2.recurrence[steps] - limit) < 1e-3 * max(abs(limit), 1), part2.standardError[steps] > 0 {
                    worstLimit = max(worstLimit, abs(part2.mean[steps] - limit) / part2.standardError[steps])
                }
            }
            // The second moment contracts only when E[(1 - lr x~^2)^2] < 1, a stricter bound.
            let fourth = x * x * x * x + 6 * x * x * sigma * sigma + 3 * sigma * sigma * sigma * sigma
            let secondFactor = 1 - 2 * lr * (x * x + sigma * sigma) + lr * lr * fourth
            rows.append([formatNumber(lr), stable ? "inside" : "outside", formatNumber(part2.mean[steps]), formatNumber(part2.recurrence[steps]), formatNumber(limit)])
            context.log(String(format: "noise: lr %@ (%@ (0, %.3g)): mean w_%d = %.5g ± %.2g, recurrence %.5g, limit x y / (x^2 + sigma^2) = %.5g; E[(1 - lr x~^2)^2] = %.3g%@",
                               formatNumber(lr), stable ? "inside" : "outside", edge, steps, part2.mean[steps], part2.standardError[steps], part2.recurrence[steps], limit,
                               secondFactor, secondFactor >= 1 ? " >= 1: the spread grows, so the sample mean is noisy" : ""))
            let ts = (0...steps).map(Double.init)
            var panel = LinePlot(title: "lr = \(formatNumber(lr))" + (stable ? "" : " (outside: diverges)"), xLabel: "step t", yLabel: "E[w_t]", series: [
                Series("mean over runs ± 2 s.e.", x: ts, y: part2.mean, yError: part2.standardError.map { 2 * $0 }, markers: true, line: false),
                Series("recurrence", x: ts, y: part2.recurrence),
            ])
            if stable { panel.horizontalLines = [(label: "x y / (x^2 + sigma^2)", y: limit)] }
            panels.append(panel)
        }
        context.metrics.final("max_recurrence_z", worstZ)
        context.metrics.final("limit_z", worstLimit)
        try context.artifacts.writeCSV("descent.csv", header: ["lr", "stability", "mean_w_T", "recurrence_w_T", "limit"], rows: rows)
        let figure = PlotGrid(title: "Noisy gradient descent: mean of w_t over \(runs) runs against its recurrence",
                              columns: 2, panels: panels, sharedAxes: false)
        try context.artifacts.write(figure.svg(), to: "descent.svg")
        try ridgeParts(context, settings, generator: &g)
    }
}
