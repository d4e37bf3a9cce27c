import Foundation
import PluginAPI

/// Experiment `kernels` (problem 11): kernel regression that interpolates the training data
/// with the ReLU, sine and erf NNGP kernels and the Laplace kernel; test MSE of each.
enum KernelsExperiment {
    static let declaration = Experiment(
        name: "kernels",
        summary: "Kernel regression (exact fit, double precision) with the ReLU, sine, erf NNGP kernels and the Laplace kernel: test MSE of each",
        settings: RegressionSettings.self,
        metrics: NNGPKernel.allCases.map { MetricSpec("mse_\($0.rawValue)", goal: .lowerIsBetter, help: "test MSE with the \($0.rawValue) kernel") }
            + [MetricSpec("mse_zero", help: "test MSE of predicting 0 (the baseline)"),
               MetricSpec("max_residual", goal: .lowerIsBetter, help: "largest ||K a - y|| / ||y|| over the kernels"),
               MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "computation time: inner products, four kernels, solves and predictions")],
        train: run)

    static func run(_ context: RunContext, _ settings: RegressionSettings) throws {
        let data = try RegressionData.load(settings, seed: context.seed)
        context.log("kernels: \(data.x.rows) training and \(data.xTest.rows) test points of dimension \(data.x.columns) (\(data.source))")
        let kernels = NNGPKernel.allCases
        context.progress.begin("kernels", total: kernels.count, unit: "kernels")
        var rows: [[String]] = [], worstResidual = 0.0, mses: [Double] = []
        let begin = DispatchTime.now().uptimeNanoseconds
        let trainProducts = InnerProducts(data.x, data.x), testProducts = InnerProducts(data.xTest, data.x)
        for (index, kernel) in kernels.enumerated() {
            if context.isCancelled { break }
            let start = DispatchTime.now().uptimeNanoseconds
            let fit = try KernelRegression(kernel: kernel, x: data.x, y: data.y, products: trainProducts)
            let predictions = fit.predict(testProducts)
            let mse = meanSquaredError(predictions, data.yTest)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            worstResidual = max(worstResidual, fit.residual)
            mses.append(mse)
            context.metrics.final("mse_\(kernel.rawValue)", mse)
            let condition = fit.condition.map { formatNumber($0) } ?? "-"
            rows.append([kernel.rawValue, kernel.formula, formatNumber(mse), fit.method, formatNumber(fit.residual), condition, formatNumber(seconds)])
            context.log(String(format: "kernels: %@: test MSE %.4g (%@, residual %.2g, condition %@, %.2f s)", kernel.rawValue, mse, fit.method, fit.residual, condition, seconds))
            context.progress.update(completed: index + 1, values: [("mse", mse)])
        }
        context.progress.end()
        context.metrics.final("seconds", Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9)
        let zero = meanSquaredError([Double](repeating: 0, count: data.yTest.count), data.yTest)
        context.metrics.final("mse_zero", zero)
        context.metrics.final("max_residual", worstResidual)
        context.log(String(format: "kernels: predicting 0 gives test MSE %.4g", zero))
        try context.artifacts.writeCSV("kernels.csv", header: ["kernel", "formula", "test_mse", "solver", "relative_residual", "condition_number", "seconds"], rows: rows)
        let bars = BarChart(title: "Kernel regression: test MSE (predicting 0: \(formatNumber(zero)))", yLabel: "test MSE",
                            categories: kernels.prefix(mses.count).map(\.rawValue) + ["zero"],
                            series: [(name: "test MSE", values: mses + [zero], errors: nil)])
        try context.artifacts.write(bars.svg(), to: "mse.svg")
    }

    static func meanSquaredError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(max(a.count, 1))
    }
}
