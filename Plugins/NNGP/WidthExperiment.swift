import Foundation
import PluginAPI

/// Experiment `width` (problem 12): random ReLU features f(x) = sqrt(2/k) A relu(B x) with B
/// fixed N(0, 1) and only A trained to fit the data exactly, for k = 1, 2, 4, ..., against the
/// ReLU NNGP's kernel regression, which the features approach as k grows.
public enum WidthExperiment {
    static let declaration = Experiment(
        name: "width",
        summary: "Random ReLU features of width k = 1 ... 1024, only the last layer fitted (minimum norm): test MSE against k, and the NNGP limit",
        settings: Settings.self,
        metrics: [
            MetricSpec("mse_nngp", goal: .lowerIsBetter, help: "test MSE of ReLU NNGP kernel regression"),
            MetricSpec("mse_widest", goal: .lowerIsBetter, help: "mean test MSE at the largest width"),
            MetricSpec("peak_width", help: "the width with the largest mean test MSE (double descent: near k = n)"),
        ],
        train: run)

    /// The regression data's options, then the widths, draws and how A is fitted.
    struct Settings: ExperimentSettings {
        var data = RegressionSettings()
        var maxWidth = 1024, draws = 5
        var solver = Solver.lstsq
        var gdSteps = 20_000

        /// How the last layer A is fitted.
        enum Solver: String, CaseIterable, Sendable { case lstsq, gd }

        static let fields: [SettingField<Settings>] = SettingField.nested(\.data, RegressionSettings.fields) + [
            .int("max-width", \.maxWidth, range: 1...65_536, help: "largest width; widths are the powers of 2 up to it"),
            .int("draws", \.draws, range: 1...1000, help: "draws of B per width (mean and spread)"),
            .choice("solver", \.solver, help: "lstsq: the minimum-norm least-squares A; gd: gradient descent on A from 0 (converges to it)"),
            .int("gd-steps", \.gdSteps, range: 1...10_000_000, help: "gradient descent steps (--solver gd)"),
        ]
    }

    /// Features sqrt(2/k) relu(X B^T) of the rows of x, with B given as (k x d).
    static func features(_ x: DMatrix, _ b: DMatrix) -> DMatrix {
        var phi = DoubleLinearAlgebra.multiplyTransposed(x, b)
        let scale = (2 / Double(b.rows)).squareRoot()
        for i in phi.values.indices { phi.values[i] = scale * max(phi.values[i], 0) }
        return phi
    }

    /// The minimum-norm least-squares solution of phi a = y: (phi^T phi)^-1 phi^T y when phi has
    /// at most as many columns as rows, phi^T (phi phi^T)^-1 y otherwise (a Cholesky solve, LU
    /// when the Gram matrix is not positive definite enough, a 1e-12 ridge when it is singular).
    public static func minimumNorm(_ phi: DMatrix, _ y: [Double]) -> [Double] {
        let (n, k) = (phi.rows, phi.columns)
        let t = DMatrix(rows: k, columns: n, values: (0..<k * n).map { phi[$0 % n, $0 / n] })   // phi^T
        func solve(_ gram: DMatrix, _ rhs: [Double]) -> [Double] {
            if let l = DoubleLinearAlgebra.cholesky(gram) { return DoubleLinearAlgebra.choleskySolve(l, rhs) }
            if let x = DoubleLinearAlgebra.luSolve(gram, rhs) { return x }
            var ridged = gram
            let trace = (0..<gram.rows).reduce(0) { $0 + gram[$1, $1] }
            for i in 0..<gram.rows { ridged[i, i] += 1e-12 * max(trace, 1) }
            return DoubleLinearAlgebra.luSolve(ridged, rhs) ?? [Double](repeating: 0, count: rhs.count)
        }
        if k <= n {
            return solve(DoubleLinearAlgebra.multiplyTransposed(t, t), DoubleLinearAlgebra.multiply(t, y))
        }
        return DoubleLinearAlgebra.multiply(DMatrix(rows: k, columns: n, values: t.values), solve(DoubleLinearAlgebra.multiplyTransposed(phi, phi), y))
    }

    /// Gradient descent on 1/2 ||phi a - y||^2 from a = 0 with step 1 / ||phi||_F^2 (stable),
    /// watched by `watch` (whose cancellation ends it early).
    public static func gradientDescent(_ phi: DMatrix, _ y: [Double], steps: Int, watch: TrainingWatch = .silent) throws -> [Double] {
        let lr = 1 / max(phi.values.reduce(0) { $0 + $1 * $1 }, 1e-300)
        var a = [Double](repeating: 0, count: phi.columns)
        let loop = TrainingLoop("gradient descent, k = \(phi.columns)", total: steps, logEvery: max(1, steps / 100), watch: watch,
                                divergenceHint: "the step 1 / ||phi||_F^2 is stable: check the data for huge values")
        try loop.run(step: { _ in descentStep(&a, phi, y, lr: lr) })
        return a
    }

    /// One step of `gradientDescent`, a <- a - lr phi^T (phi a - y); the loss before it, from the
    /// residual the step needs anyway. (Kept out of the loop's closure, where the same code ran a
    /// third slower.)
    @inline(never)
    private static func descentStep(_ a: inout [Double], _ phi: DMatrix, _ y: [Double], lr: Double) -> Double {
        let r = zip(DoubleLinearAlgebra.multiply(phi, a), y).map { $0 - $1 }
        for j in a.indices {
            var g = 0.0
            for i in 0..<phi.rows { g += phi[i, j] * r[i] }
            a[j] -= lr * g
        }
        return r.reduce(0) { $0 + $1 * $1 } / 2
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let data = try RegressionData.load(settings.data, seed: context.seed)
        let (draws, maxWidth, useGD, steps) = (settings.draws, settings.maxWidth, settings.solver == .gd, settings.gdSteps)
        var widths: [Int] = []
        var w = 1
        while w <= maxWidth { widths.append(w); w *= 2 }
        let nngp = try KernelRegression(kernel: .relu, x: data.x, y: data.y, estimateCondition: false)
        let nngpMSE = KernelsExperiment.meanSquaredError(nngp.predict(data.xTest, training: data.x), data.yTest)
        context.metrics.final("mse_nngp", nngpMSE)
        context.log("width: \(data.x.rows) training points; ReLU NNGP test MSE \(formatNumber(nngpMSE)); widths \(widths.first ?? 0)...\(widths.last ?? 0), \(draws) draws each" + (useGD ? ", gradient descent" : ""))
        context.progress.begin("width", total: widths.count * draws, unit: "fits")
        var generator = SeededGenerator(seed: context.seed, stream: 1)
        var means: [Double] = [], spreads: [Double] = [], rows: [[String]] = []
        context.metrics.stepName = "k"   // rows by hidden width
        for (index, k) in widths.enumerated() {
            var mses: [Double] = []
            for draw in 0..<draws {
                let b = DMatrix(rows: k, columns: data.x.columns, values: (0..<k * data.x.columns).map { _ in generator.nextNormal() })
                let phi = features(data.x, b)
                // The descent stops on Ctrl-C too; then this (unfinished) fit is left out.
                let a = useGD ? try gradientDescent(phi, data.y, steps: steps, watch: TrainingWatch(isCancelled: { context.isCancelled }))
                              : minimumNorm(phi, data.y)
                if context.isCancelled { break }
                mses.append(KernelsExperiment.meanSquaredError(DoubleLinearAlgebra.multiply(features(data.xTest, b), a), data.yTest))
                context.progress.update(completed: index * draws + draw + 1, values: [("k", Double(k))])
            }
            let (mean, std) = Statistics.meanAndStd(mses)
            means.append(mean); spreads.append(std)
            context.metrics.log(step: k, [("test_mse_mean", mean), ("test_mse_std", std)])
            rows.append([String(k), formatNumber(mean), formatNumber(std), String(mses.count)])
        }
        context.progress.end()
        context.metrics.final("mse_widest", means.last ?? .nan)
        if let peak = means.indices.max(by: { means[$0] < means[$1] }) { context.metrics.final("peak_width", Double(widths[peak])) }
        try context.artifacts.writeCSV("width.csv", header: ["width", "test_mse_mean", "test_mse_std", "draws"], rows: rows)
        var plot = LinePlot(title: "Random ReLU features: test MSE against width (mean ± std over \(draws) draws of B)", xLabel: "width k",
                            yLabel: "test MSE", series: [Series("random features", x: widths.map(Double.init), y: means, yError: spreads, markers: true)],
                            logY: true, logX: true)
        plot.horizontalLines = [(label: "ReLU NNGP", y: nngpMSE)]
        try context.artifacts.write(plot.svg(), to: "width.svg")
    }
}
