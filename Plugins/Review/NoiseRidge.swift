import Foundation
import PluginAPI

/// The sheet's problem 1 claims that `noise` did not measure before: E[N_i N_i^T] = sigma^2 I_n,
/// lambda = sigma^2 (the minimiser of E||X~w - y||^2 is the ridge solution of
/// (1/m)||Xw - y||^2 + sigma^2 ||w||^2), and the shrinkage x y / (x^2 + sigma^2) = (y/x) / (1 + sigma^2/x^2)
/// of the no-noise solution w = y/x.
extension NoiseExperiment {
    /// The Monte Carlo estimate of E[N N^T] for N ~ N(0, sigma^2 I_n): the largest
    /// |estimate - sigma^2 I| over the entries, and the largest in standard errors.
    public static func noiseCovariance(n: Int, sigma: Double, samples: Int, generator g: inout SeededGenerator) -> (maxDeviation: Double, maxZ: Double) {
        var sums = [Double](repeating: 0, count: n * n), squares = sums
        for _ in 0..<samples {
            let noise = (0..<n).map { _ in sigma * g.nextNormal() }
            for a in 0..<n {
                for b in 0..<n {
                    let v = noise[a] * noise[b]
                    sums[a * n + b] += v; squares[a * n + b] += v * v
                }
            }
        }
        var deviation = 0.0, z = 0.0
        let k = Double(samples)
        for a in 0..<n {
            for b in 0..<n {
                let mean = sums[a * n + b] / k, se = (max(squares[a * n + b] / k - mean * mean, 0) / (k - 1)).squareRoot()
                let e = abs(mean - (a == b ? sigma * sigma : 0))
                deviation = max(deviation, e)
                z = max(z, se > 0 ? e / se : (e == 0 ? 0 : .infinity))
            }
        }
        return (deviation, z)
    }

    /// argmin_w of the Monte Carlo E||X~w - y||^2 against the closed forms.
    public struct Minimizer: Sendable {
        /// The minimiser of the average of ||X~w - y||^2 over all draws, and each coordinate's
        /// standard error from the spread of the per-batch minimisers.
        public var monteCarlo: [Double], standardError: [Double]
        /// (X^T X + m sigma^2 I)^{-1} X^T y: the minimiser of (1/m)||Xw - y||^2 + lambda ||w||^2 with lambda = sigma^2.
        public var ridge: [Double]
        /// Two wrong answers: least squares (no penalty) and lambda = sigma^2 / m (the penalty without the factor m).
        public var leastSquares: [Double], withoutM: [Double]

        /// The largest |monteCarlo - target| / standardError over the coordinates.
        public func z(_ target: [Double]) -> Double {
            zip(zip(monteCarlo, target), standardError).reduce(0) { w, p in max(w, abs(p.0.0 - p.0.1) / max(p.1, 1e-300)) }
        }
    }

    /// X (m x n) and y of N(0, 1) entries; `samples` draws of X~ = X + N in `batches` batches.
    /// The minimiser of sum_k ||X~_k w - y||^2 solves (sum_k X~_k^T X~_k) w = sum_k X~_k^T y.
    public static func noisyMinimizer(m: Int, n: Int, sigma: Double, samples: Int, batches: Int, generator g: inout SeededGenerator) -> Minimizer? {
        let x = (0..<m * n).map { _ in g.nextNormal() }, y = (0..<m).map { _ in g.nextNormal() }
        // LU finds a tiny pivot, not a zero one, in a singular X^T X: refuse by the singular values instead.
        func solve(_ a: [Double], _ b: [Double]) -> [Double]? {
            let matrix = DMatrix(rows: n, columns: n, values: a), s = LinearNetworks.singularValues(matrix)
            guard let low = s.last, let high = s.first, low > 1e-12 * high else { return nil }
            return DoubleLinearAlgebra.luSolve(matrix, b)
        }
        func moments(_ rows: [Double]) -> (a: [Double], b: [Double]) {
            var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n)
            for i in 0..<m {
                for j in 0..<n {
                    b[j] += rows[i * n + j] * y[i]
                    for k in 0..<n { a[j * n + k] += rows[i * n + j] * rows[i * n + k] }
                }
            }
            return (a, b)
        }
        let per = max(samples / max(batches, 1), 1)
        var totalA = [Double](repeating: 0, count: n * n), totalB = [Double](repeating: 0, count: n)
        var batchSolutions: [[Double]] = []
        for _ in 0..<max(batches, 1) {
            var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n)
            for _ in 0..<per {
                let noisy = x.map { $0 + sigma * g.nextNormal() }
                let mo = moments(noisy)
                for i in 0..<n * n { a[i] += mo.a[i] }
                for i in 0..<n { b[i] += mo.b[i] }
            }
            for i in 0..<n * n { totalA[i] += a[i] }
            for i in 0..<n { totalB[i] += b[i] }
            if let w = solve(a, b) { batchSolutions.append(w) }
        }
        let clean = moments(x)
        func penalised(_ lambda: Double) -> [Double]? {
            var a = clean.a
            for j in 0..<n { a[j * n + j] += lambda }
            return solve(a, clean.b)
        }
        guard let pooled = solve(totalA, totalB), batchSolutions.count >= 2,
              let ridge = penalised(Double(m) * sigma * sigma), let ols = penalised(0), let withoutM = penalised(sigma * sigma) else { return nil }
        let count = Double(batchSolutions.count)
        let se = (0..<n).map { j -> Double in
            let mean = batchSolutions.reduce(0) { $0 + $1[j] } / count
            return (batchSolutions.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / (count - 1) / count).squareRoot()
        }
        return Minimizer(monteCarlo: pooled, standardError: se, ridge: ridge, leastSquares: ols, withoutM: withoutM)
    }

    /// One sigma of the shrinkage sweep: mean w_T of noisy gradient descent (lr = 0.5 / (x^2 + sigma^2),
    /// inside the stable range) and its standard error, against x y / (x^2 + sigma^2).
    public struct ShrinkageRow: Sendable {
        /// The noise level, mean w_T over the runs and its standard error, and x y / (x^2 + sigma^2).
        public var sigma: Double, mean: Double, standardError: Double, closedForm: Double
    }

    /// The shrinkage sweep over `sigmas` (sigma = 0 is plain gradient descent, which reaches y/x).
    public static func shrinkage(x: Double, y: Double, sigmas: [Double], steps: Int, runs: Int, generator g: inout SeededGenerator) -> [ShrinkageRow] {
        sigmas.map { sigma in
            let lr = 0.5 / max(x * x + sigma * sigma, 1e-300)
            let r = noisyDescent(x: x, y: y, sigma: sigma, lr: lr, steps: steps, runs: runs, generator: &g)
            return ShrinkageRow(sigma: sigma, mean: r.mean[steps], standardError: r.standardError[steps], closedForm: x * y / max(x * x + sigma * sigma, 1e-300))
        }
    }

    /// Runs the three checks, logs their table, writes `ridge.csv`, `shrinkage.csv`, `shrinkage.svg`.
    static func ridgeParts(_ context: RunContext, _ settings: Settings, generator g: inout SeededGenerator) throws {
        let (m, n, sigma, samples) = (settings.m, settings.n, settings.sigma, settings.samples)
        var lines = [["claim", "measured", "closed form", "standard errors apart"]]
        let covariance = noiseCovariance(n: n, sigma: sigma, samples: samples, generator: &g)
        context.metrics.final("noise_covariance_z", covariance.maxZ)
        lines.append(["E[N_i N_i^T] = sigma^2 I_n", "max |entry error| " + formatNumber(covariance.maxDeviation), "sigma^2 = " + formatNumber(sigma * sigma), String(format: "%.2f (worst entry)", covariance.maxZ)])
        guard let minimizer = noisyMinimizer(m: m, n: n, sigma: sigma, samples: samples, batches: settings.batches, generator: &g) else {
            throw PluginError.invalidInput("X^T X + m sigma^2 I is singular for --m \(m), --n \(n), --sigma \(sigma)", hint: "use --m at least --n, or --sigma > 0")
        }
        let (zRidge, zOLS, zWithoutM) = (minimizer.z(minimizer.ridge), minimizer.z(minimizer.leastSquares), minimizer.z(minimizer.withoutM))
        context.metrics.final("ridge_minimizer_z", zRidge)
        context.metrics.final("least_squares_z", zOLS)
        lines.append(["argmin E||X~w - y||^2 = ridge, lambda = sigma^2", "w_1 = " + formatNumber(minimizer.monteCarlo[0]) + " ± " + String(format: "%.2g", minimizer.standardError[0]),
                      "(X^TX + m sigma^2 I)^{-1} X^Ty: w_1 = " + formatNumber(minimizer.ridge[0]), String(format: "%.2f (worst coordinate)", zRidge)])
        lines.append(["  (wrong: lambda = 0)", "", "w_1 = " + formatNumber(minimizer.leastSquares[0]), String(format: "%.1f", zOLS)])
        lines.append(["  (wrong: lambda = sigma^2 / m)", "", "w_1 = " + formatNumber(minimizer.withoutM[0]), String(format: "%.1f", zWithoutM)])
        try context.artifacts.writeCSV("ridge.csv", header: ["coordinate", "monte_carlo_minimizer", "standard_error", "ridge_lambda_sigma2", "least_squares", "lambda_sigma2_over_m"],
                                       rows: (0..<n).map { j in [String(j + 1), formatNumber(minimizer.monteCarlo[j]), formatNumber(minimizer.standardError[j]), formatNumber(minimizer.ridge[j]),
                                                                 formatNumber(minimizer.leastSquares[j]), formatNumber(minimizer.withoutM[j])] })

        let (x, y, sigmas) = (settings.x, settings.y, settings.sigmas)
        let rows = shrinkage(x: x, y: y, sigmas: sigmas, steps: settings.steps, runs: settings.runs, generator: &g)
        var worstZ = 0.0, noiseless = 0.0
        for r in rows {
            let e = abs(r.mean - r.closedForm)
            if r.sigma > 0 { worstZ = max(worstZ, e / max(r.standardError, 1e-300)) } else { noiseless = max(noiseless, e) }
            let ratio = x != 0 && y != 0 ? String(format: ", w / (y/x) = %.4f (1 / (1 + sigma^2/x^2) = %.4f)", r.mean / (y / x), 1 / (1 + r.sigma * r.sigma / (x * x))) : ""
            lines.append([r.sigma == 0 ? "no noise: w -> y/x" : "E[w_T] -> x y / (x^2 + sigma^2), sigma = \(formatNumber(r.sigma))",
                          formatNumber(r.mean) + (r.sigma > 0 ? " ± " + String(format: "%.2g", r.standardError) : "") + ratio,
                          formatNumber(r.closedForm), r.sigma > 0 ? String(format: "%.2f", e / max(r.standardError, 1e-300)) : "error " + formatNumber(e)])
        }
        context.metrics.final("shrinkage_max_z", worstZ)
        if rows.contains(where: { $0.sigma == 0 }) { context.metrics.final("noiseless_error", noiseless) }
        let table = TextTable.aligned(lines)
        context.log("noise: the sheet's remaining claims (m \(m), n \(n), sigma \(formatNumber(sigma)); x \(formatNumber(x)), y \(formatNumber(y))):\n" + table)
        context.metrics.note("claims", table)
        try context.artifacts.writeCSV("shrinkage.csv", header: ["sigma", "lr", "mean_w_T", "standard_error", "x_y_over_x2_plus_sigma2"],
                                       rows: rows.map { [formatNumber($0.sigma), formatNumber(0.5 / max(x * x + $0.sigma * $0.sigma, 1e-300)), formatNumber($0.mean), formatNumber($0.standardError), formatNumber($0.closedForm)] })
        guard x != 0, y != 0, let top = sigmas.max(), top > 0 else { return }
        let grid = (0...100).map { top * Double($0) / 100 }
        let plot = LinePlot(title: "Instance noise shrinks the no-noise solution y/x by 1 / (1 + sigma^2/x^2) (x = \(formatNumber(x)))", xLabel: "sigma",
                            yLabel: "E[w_T] / (y/x)", series: [
                                Series("1 / (1 + sigma^2 / x^2)", x: grid, y: grid.map { 1 / (1 + $0 * $0 / (x * x)) }),
                                Series("noisy GD ± 2 s.e.", x: rows.map(\.sigma), y: rows.map { $0.mean / (y / x) },
                                       yError: rows.map { 2 * $0.standardError / abs(y / x) }, markers: true, line: false),
                            ])
        try context.artifacts.write(plot.svg(), to: "shrinkage.svg")
    }
}

