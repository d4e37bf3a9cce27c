import Foundation
import PluginAPI

/// Experiment `gradient` (problem 1): the closed-form gradient of 1/2 ||y - A B X||^2 for the
/// linear network A B x, checked against the engine's autograd and against central
/// differences on random problems, and gradient descent by the derived update rule against
/// the engine's SGD.
enum GradientExperiment {
    static let declaration = Experiment(
        name: "gradient",
        summary: "Problem 1: the gradient of 1/2 ||y - A B X||^2 (A 1 x k, B k x d) in closed form against autograd and central differences; the update rule against SGD",
        settings: Settings.self,
        metrics: [
            MetricSpec("autograd_error_a", goal: .lowerIsBetter, help: "max |autograd - closed form| / max |closed form| for grad_A, worst trial (autograd in float32)"),
            MetricSpec("autograd_error_b", goal: .lowerIsBetter, help: "the same for grad_B"),
            MetricSpec("difference_error", goal: .lowerIsBetter, help: "the same for central differences in double precision, both gradients"),
            MetricSpec("descent_difference", goal: .lowerIsBetter, help: "max over steps of |loss by the update rule (double) - loss by SGD (float32)| / initial loss, worst trial"),
            MetricSpec("initial_loss", help: "1/2 ||y - A B X||^2 at the start, first trial"),
            MetricSpec("final_loss", help: "after the gradient-descent steps by the update rule, first trial"),
            MetricSpec("least_squares_loss", help: "min over v of 1/2 ||y - v^T X||^2, first trial: the lowest loss A B x can reach (n >= d)"),
            MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "time of all the checks"),
        ],
        train: run)

    /// The experiment's options.
    struct Settings: ExperimentSettings {
        var k = 16, d = 10, n = 50, trials = 10
        var lr = 0.002
        var steps = 100
        static let fields: [SettingField<Settings>] = [
            .int("k", \.k, range: 1...4096, help: "hidden width (A is 1 x k, B is k x d)"),
            .int("d", \.d, range: 1...4096, help: "input dimension (X is d x n)"),
            .int("n", \.n, range: 1...100_000, help: "samples"),
            .int("trials", \.trials, range: 1...1000, help: "random problems checked (X, y, A, B drawn anew)"),
            .double("lr", \.lr, max: 10, positive: true, help: "learning rate eta of the gradient-descent comparison"),
            .int("steps", \.steps, range: 1...100_000, help: "gradient-descent steps"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (k, d, n, trials) = (settings.k, settings.d, settings.n, settings.trials)
        let (lr, steps) = (settings.lr, settings.steps)
        guard k * d + d * n <= 50_000_000 else {
            throw PluginError.invalidInput("k d + d n = \(k * d + d * n) entries is too large for this check", hint: "lower --k, --d or --n")
        }
        var worst = (a: 0.0, b: 0.0, difference: 0.0, descent: 0.0)
        var first: First?
        var rows: [[String]] = []
        // One unit per random problem; its value is the update rule's final loss, or the first
        // NaN or infinite one (the loop then stops with the divergence).
        let loop = TrainingLoop("gradient", total: trials, unit: TrainingUnit("problem", plural: "problems"),
                                watch: TrainingWatch(isCancelled: { context.isCancelled }, progress: context.progress),
                                lossName: "update rule's loss", divergenceHint: "lower --lr (now \(formatNumber(lr)))")
        var autogradError = 0.0
        let report = try loop.run(step: { problem in
            let trial = problem - 1
            var g = SeededGenerator(seed: context.seed, stream: 100 + UInt64(trial))
            let p = LinearGradient.Problem.random(k: k, d: d, n: n, generator: &g)
            let closed = LinearGradient.closedForm(p)
            let (auto, _) = LinearGradient.autograd(p)
            let differences = LinearGradient.centralDifferences(p)
            let errorA = LinearGradient.relativeError(auto.a, closed.a), errorB = LinearGradient.relativeError(auto.b, closed.b)
            let errorDifference = LinearGradient.relativeError(differences.all, closed.all)
            let exact = LinearGradient.descend(p, lr: lr, steps: steps), engine = LinearGradient.engineDescent(p, lr: lr, steps: steps)
            if let diverged = exact.first(where: { !$0.isFinite }) { return diverged }
            let descent = zip(exact, engine).map { abs($0 - $1) }.max().map { $0 / max(exact[0], .leastNormalMagnitude) } ?? 0
            worst = (max(worst.a, errorA), max(worst.b, errorB), max(worst.difference, errorDifference), max(worst.descent, descent))
            rows.append([String(trial), formatNumber(p.loss), formatNumber(errorA), formatNumber(errorB), formatNumber(errorDifference),
                         formatNumber(exact.last ?? .nan), formatNumber(engine.last ?? .nan), formatNumber(descent)])
            if first == nil { first = First(closed: closed, auto: auto, exact: exact, engine: engine, leastSquares: LinearGradient.leastSquaresLoss(p)) }
            autogradError = max(errorA, errorB)
            return exact.last ?? 0
        }, log: { _ in [("autograd_error", autogradError)] })
        let m = context.metrics
        m.final("autograd_error_a", worst.a)
        m.final("autograd_error_b", worst.b)
        m.final("difference_error", worst.difference)
        m.final("descent_difference", worst.descent)
        m.final("seconds", report.seconds)
        guard let first else { return }
        m.final("initial_loss", first.exact[0])
        m.final("final_loss", first.exact.last ?? .nan)
        let floor = first.leastSquares
        if let floor { m.final("least_squares_loss", floor) }
        for (step, (exact, engine)) in zip(first.exact, first.engine).enumerated() {
            m.log(step: step, [("loss_update_rule", exact), ("loss_sgd", engine)])
        }
        m.note("shapes", "the text gives B in R^{d x n}; A B X with A 1 x k and X d x n needs B in R^{k x d} (B X is k x n, A B X is 1 x n, like y), which is used here")
        m.note("closed_form", "r = y - A B X (1 x n); dL/dA_i = -sum_j r_j (B X)_ij, dL/dB_il = -A_i sum_j r_j X_lj; "
               + "A <- A + eta (y - A B X) X^T B^T (the hint's form, 1 x k) and B <- B + eta A^T (y - A B X) X^T (k x d), both from the same A, B")
        m.note("measured", String(format: "%d problems, k %d, d %d, n %d: autograd (float32) against the closed form %.2g (grad_A), %.2g (grad_B); central differences (double) %.2g; "
                                  + "%d steps at eta %@: loss %.4g -> %.6g by the update rule (least-squares minimum %@), SGD's losses within %.2g of the initial loss",
                                  rows.count, k, d, n, worst.a, worst.b, worst.difference, steps, formatNumber(lr), first.exact[0], first.exact.last ?? .nan,
                                  floor.map { String(format: "%.6g", $0) } ?? "none: n < d", worst.descent))
        context.log("gradient: \(rows.count) problems (k \(k), d \(d), n \(n)): largest relative difference from the closed form: autograd "
                    + String(format: "%.2g (A), %.2g (B), central differences %.2g", worst.a, worst.b, worst.difference))
        context.log(String(format: "gradient: %d steps of the update rule at eta %@: loss %.4g -> %.6g (least-squares minimum %@); the engine's SGD follows within %.2g of the initial loss",
                           steps, formatNumber(lr), first.exact[0], first.exact.last ?? .nan, floor.map { String(format: "%.6g", $0) } ?? "none: n < d", worst.descent))
        try context.artifacts.writeCSV("gradient.csv", header: ["trial", "initial_loss", "autograd_error_a", "autograd_error_b", "difference_error",
                                                               "final_loss_update_rule", "final_loss_sgd", "descent_difference"], rows: rows)
        try writeFigure(context, first: first, lr: lr)
    }

    /// What the figure shows: the first problem's gradients and loss curves.
    struct First {
        var closed: LinearGradient.Gradient, auto: LinearGradient.Gradient, exact: [Double], engine: [Double], leastSquares: Double?
    }

    static func writeFigure(_ context: RunContext, first: First, lr: Double) throws {
        let closed = first.closed.all, auto = first.auto.all
        let low = min(closed.min() ?? 0, auto.min() ?? 0), high = max(closed.max() ?? 0, auto.max() ?? 0)
        let steps = first.exact.indices.map(Double.init)
        let panels = [
            LinePlot(title: "Gradient entries (first problem)", xLabel: "closed form", yLabel: "engine autograd", series: [
                Series("y = x", x: [low, high], y: [low, high], dashed: true),
                Series("grad_A", x: first.closed.a, y: first.auto.a, markers: true, line: false),
                Series("grad_B", x: first.closed.b, y: first.auto.b, markers: true, line: false),
            ]),
            LinePlot(title: "Gradient descent, eta = \(formatNumber(lr))", xLabel: "step", yLabel: "1/2 ||y - A B X||^2", series: [
                Series("update rule (double)", x: steps, y: first.exact),
                Series("engine SGD (float32)", x: steps, y: first.engine, dashed: true),
            ] + (first.leastSquares.map { [Series("least-squares minimum", x: [0, steps.last ?? 1], y: [$0, $0], dashed: true)] } ?? []), logY: true),
        ]
        try context.artifacts.write(PlotGrid(title: "Problem 1: closed-form gradient of the linear network A B x", columns: 2, panels: panels, sharedAxes: false).svg(), to: "gradient.svg")
    }
}
