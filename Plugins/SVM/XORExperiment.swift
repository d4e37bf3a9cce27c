import Foundation
import PluginAPI

/// Experiment `xor` (CS446 HW2 problem 2, CSCI-GA.2565 HW3 problem 3): the four XOR points,
/// the dual solved for the degree-2 polynomial kernel and RBF kernels with sigma 1, 2, 4;
/// contour plots, objectives, alphas, the closed form for RBF with the dual's gradient there
/// (3b's hint), and the 1-NN limit (3a) on a grid and at fixed points against sum_T a_i y_i.
public enum XORExperiment {
    static let declaration = Experiment(
        name: "xor",
        summary: "Kernel SVM duals on the XOR points: polynomial (degree 2) and RBF (sigma 1, 2, 4); contours, alphas, closed form and its gradient, 1-NN limit",
        settings: Settings.self,
        metrics: [
            MetricSpec("objective_poly", help: "final dual objective, polynomial kernel"),
            MetricSpec("alpha_poly", help: "alpha_1 for the polynomial kernel (all four are equal)"),
            MetricSpec("rbf_closed_form_max_error", goal: .lowerIsBetter, help: "largest |alpha - 1/(1 - exp(-2/sigma^2))^2| over the RBF models (Float32 gradient descent stalls short of it: see models.csv's float32_stall)"),
            MetricSpec("closed_form_gradient_max", goal: .lowerIsBetter, help: "largest ||grad f|| (Double) at the closed-form alpha over the RBF widths: 0 up to rounding is HW3 3(b)'s hint"),
            MetricSpec("nn_agreement_min", goal: .higherIsBetter, help: "smallest share of grid points where sign f agrees with the nearest support vector, over --small-sigmas"),
            MetricSpec("nearest_limit_max_difference", goal: .lowerIsBetter, help: "largest |f(x)/exp(-rho^2/2 sigma^2) - sum_T a_i y_i| over the fixed points at the smallest --limit-sigmas"),
            MetricSpec("steps_per_second", unit: "steps/s", goal: .higherIsBetter),
        ],
        train: run)

    /// The XOR points x1..x4 of HW3 3(b).
    public static let points: [[Float]] = [[1, 1], [-1, 1], [-1, -1], [1, -1]]
    /// Their labels y1..y4.
    public static let labels: [Float] = [1, -1, 1, -1]

    /// The solver's step and steps, the kernels, and the widths and grid of the 1-NN checks.
    struct Settings: ExperimentSettings {
        var lr: Float = 0.1
        var steps = 10_000
        var sigmas: [Double] = [1, 2, 4]
        var degree = 2
        var smallSigmas = [0.1, 0.25, 0.5, 1]
        var limitSigmas = [0.05, 0.1, 0.15, 0.25, 0.5, 1]
        var grid = 101

        static let fields: [SettingField<Settings>] = [
            .double("lr", \.lr, max: 100, positive: true, help: "projected gradient descent step"),
            .int("steps", \.steps, range: 1...10_000_000, help: "projected gradient descent steps"),
            .numbers("sigmas", \.sigmas, positive: true, help: "RBF widths"),
            .int("degree", \.degree, range: 1...10, help: "polynomial kernel degree"),
            .numbers("small-sigmas", \.smallSigmas, positive: true, help: "RBF widths for the nearest-support-vector check (problem 3a); empty to skip"),
            .numbers("limit-sigmas", \.limitSigmas, positive: true,
                     help: "RBF widths for f(x) / exp(-rho^2/2 sigma^2) against sum_T a_i y_i at fixed points, ties included (problem 3a); empty to skip"),
            .int("grid", \.grid, range: 11...1001, help: "grid points per side on [-5, 5]^2 for the contours and the 1-NN check"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (lr, steps, gridSize) = (settings.lr, settings.steps, settings.grid)
        let (sigmas, smallSigmas, limitSigmas) = (settings.sigmas, settings.smallSigmas, settings.limitSigmas)
        let x = Tensor(points.flatMap { $0 }, shape: [4, 2]), y = Tensor(labels, shape: [4])
        let kernels = [Kernel.polynomial(degree: settings.degree)] + sigmas.map { Kernel.rbf(sigma: $0) }
        let line = CombinedProgress(context.progress, phase: "xor", total: kernels.count * steps, unit: .step)
        var worstClosedForm = 0.0, worstGradient = 0.0, rows: [[String]] = []
        var seconds = 0.0
        for kernel in kernels {
            let solver = DualSolver(kernel: kernel, lr: lr, steps: steps)
            let model = try solver.solve(x: x, y: y, logEvery: max(1, steps / 100),
                                         watch: TrainingWatch(isCancelled: { context.isCancelled }, progress: line.part()))
            seconds += model.seconds
            var closed = ["-", "-", "-", "-", "-"]
            let solverGradient = norm(DualSolver.closedFormGradient(kernel: kernel, x: x, y: y, alpha: model.alpha))
            if case .rbf(let sigma) = kernel {
                let alpha = rbfClosedForm(sigma: sigma)
                let worst = model.alpha.map { abs(Double($0) - alpha) }.max() ?? .nan
                let gradient = norm(DualSolver.closedFormGradient(kernel: kernel, x: x, y: y, alpha: [Double](repeating: alpha, count: 4)))
                worstClosedForm = max(worstClosedForm, worst)
                worstGradient = max(worstGradient, gradient)
                closed = [formatNumber(alpha), formatNumber(worst), formatNumber(gradient), formatNumber(float32Stall(sigma: sigma, lr: Double(lr)))]
                context.log("xor: \(kernel): ||grad f|| (Double) is \(formatNumber(gradient)) at the closed form a = \(closed[0]) and \(formatNumber(solverGradient))"
                            + " at the solver's a, which is \(closed[1]) short; Float32 steps of lr \(formatNumber(Double(lr))) stop changing a within about \(closed[3]) of it")
            } else {
                context.metrics.final("objective_poly", model.finalObjective)
                context.metrics.final("alpha_poly", Double(model.alpha[0]))
            }
            let alphas = model.alpha.map { formatNumber(Double($0)) }.joined(separator: " ")
            rows.append([kernel.description, formatNumber(model.finalObjective), alphas, closed[0], closed[1], closed[2], formatNumber(solverGradient), closed[3]])
            context.metrics.note("alphas \(kernel.slug)", alphas)
            context.log("xor: \(kernel): objective \(formatNumber(model.finalObjective)), alphas \(alphas)" + (closed[0] == "-" ? "" : ", closed form \(closed[0]) (largest difference \(closed[1]))"))
            try contour(model, size: gridSize, context: context)
        }
        line.finish()
        context.metrics.final("rbf_closed_form_max_error", sigmas.isEmpty ? .nan : worstClosedForm)
        context.metrics.final("closed_form_gradient_max", sigmas.isEmpty ? .nan : worstGradient)
        let header = ["kernel", "objective", "alphas", "closed_form_alpha", "largest_difference", "closed_form_gradient_norm", "solver_gradient_norm", "float32_stall"]
        try context.artifacts.writeCSV("models.csv", header: header, rows: rows)
        context.metrics.note("models", ([header] + rows).map { $0.joined(separator: " | ") }.joined(separator: "\n"))
        var solved: [Double: DualSolver.Model] = [:]
        func solve(_ sigma: Double) throws -> DualSolver.Model {
            if let model = solved[sigma] { return model }
            let model = try DualSolver(kernel: .rbf(sigma: sigma), lr: lr, steps: steps).solve(x: x, y: y, logEvery: steps, watch: TrainingWatch(isCancelled: { context.isCancelled }))
            solved[sigma] = model
            return model
        }
        var agreements: [[String]] = []
        for sigma in smallSigmas {
            let check = nearestSupportVectorAgreement(try solve(sigma), sigma: sigma, size: gridSize)
            agreements.append([formatNumber(sigma), formatNumber(check.agreement), formatNumber(check.nearestShare), String(check.counted)])
            context.log(String(format: "xor: sigma = %@: sign f agrees with the nearest support vector on %.4f of %d grid points (ties left out); the nearest one's term is %.4f of sum |a_i y_i K| on average",
                               formatNumber(sigma), check.agreement, check.counted, check.nearestShare))
        }
        if !agreements.isEmpty {
            try context.artifacts.writeCSV("nearest_support_vector.csv", header: ["sigma", "agreement", "nearest_term_share", "grid_points"], rows: agreements)
            context.metrics.final("nn_agreement_min", agreements.compactMap { Double($0[1]) }.min() ?? .nan)
        }
        let limits = try XORNearestLimit.run(sigmas: limitSigmas, solve: solve, context: context)
        if let smallest = limits.map(\.sigma).min() {
            let last = limits.filter { $0.sigma == smallest }
            context.metrics.final("nearest_limit_max_difference", last.map(\.gap).max() ?? .nan)
            for r in last {
                context.log("xor: sigma = \(formatNumber(smallest)), x = \(r.probe): T = {\(r.nearest.map { "x\($0)" }.joined(separator: ", "))}, f(x)/exp(-rho^2/2 sigma^2) = \(formatNumber(r.ratio)),"
                            + " sum_T a_i y_i = \(formatNumber(r.limit)) (difference \(formatNumber(r.gap)); sigma -> 0: \(formatNumber(r.limitAtZero)))")
            }
        }
        context.metrics.final("steps_per_second", Double(kernels.count * steps) / max(seconds, 1e-9))
    }

    /// The Euclidean norm.
    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// How far short of the closed form Float32 projected gradient descent stops for the XOR
    /// RBF dual: the error a - a_hat lies along (1, 1, 1, 1), Q's eigenvector of the smallest
    /// eigenvalue (1 - e)^2, e = exp(-2 / sigma^2), so the gradient there is (1 - e)^2 (a - a_hat);
    /// a step lr * gradient under half a Float ulp of a rounds away, and a stops moving once
    /// |a - a_hat| < ulp(a_hat) / (2 lr (1 - e)^2).
    public static func float32Stall(sigma: Double, lr: Double) -> Double {
        let e = Foundation.exp(-2 / (sigma * sigma))
        return Double(Float(rbfClosedForm(sigma: sigma)).ulp) / (2 * lr * (1 - e) * (1 - e))
    }

    /// The optimal alpha for the XOR points with an RBF kernel (HW3 problem 3b): every alpha
    /// equals 1 / a with a = (1 - exp(-2 / sigma^2))^2.
    public static func rbfClosedForm(sigma: Double) -> Double {
        let e = Foundation.exp(-2 / (sigma * sigma))
        return 1 / ((1 - e) * (1 - e))
    }

    /// The decision function on a size x size grid over [-5, 5]^2 with the points marked.
    static func contour(_ model: DualSolver.Model, size: Int, context: RunContext) throws {
        let axis = (0..<size).map { -5 + 10 * Double($0) / Double(size - 1) }
        let grid = Tensor(axis.flatMap { gy in axis.flatMap { gx in [Float(gx), Float(gy)] } }, shape: [size * size, 2])
        let f = model.predict(grid)
        let values = (0..<size).map { row in (0..<size).map { Double(f[row * size + $0]) } }
        let marks = zip(points, labels).map { (x: Double($0[0]), y: Double($0[1]), label: $1 > 0 ? "y = +1" : "y = -1") }
        let plot = ContourPlot(title: "SVM decision function f, \(model.kernel)", xLabel: "x1", yLabel: "x2",
                               xRange: -5...5, yRange: -5...5, values: values, points: marks)
        try context.artifacts.write(plot.svg(), to: "contour-\(model.kernel.slug).svg")
    }

    /// HW3 problem 3a measured: the share of grid points (over [-5, 5]^2, excluding points
    /// equally near two support vectors) where sign f agrees with the label of the nearest
    /// support vector, and how much of sum_i |a_i y_i K(x_i, x)| the nearest one's term is, on
    /// average (it tends to 1 as sigma shrinks: f becomes the nearest support vector's vote).
    /// f is evaluated in Double, scaled by exp(d_min^2 / 2 sigma^2) so that it does not
    /// underflow to 0 far from the points.
    static func nearestSupportVectorAgreement(_ model: DualSolver.Model, sigma: Double, size: Int)
        -> (agreement: Double, nearestShare: Double, counted: Int) {
        let support = model.alpha.indices.filter { model.alpha[$0] > 1e-6 }
        guard !support.isEmpty else { return (.nan, .nan, 0) }
        var agree = 0, counted = 0, shares = 0.0
        for row in 0..<size {
            for col in 0..<size {
                let p = (-5 + 10 * Double(col) / Double(size - 1), -5 + 10 * Double(row) / Double(size - 1))
                let d2 = support.map { i -> Double in
                    let (dx, dy) = (p.0 - Double(points[i][0]), p.1 - Double(points[i][1]))
                    return dx * dx + dy * dy
                }
                let sorted = d2.sorted()
                if sorted.count > 1 && sorted[1] - sorted[0] < 1e-9 { continue }
                let nearest = support[d2.firstIndex(of: sorted[0]) ?? 0]
                let terms = zip(support, d2).map { i, d in
                    Double(model.alpha[i] * labels[i]) * Foundation.exp(-(d - sorted[0]) / (2 * sigma * sigma))
                }
                let f = terms.reduce(0, +)
                counted += 1
                shares += abs(terms[support.firstIndex(of: nearest) ?? 0]) / terms.reduce(0) { $0 + abs($1) }
                if (f > 0) == (labels[nearest] > 0) && f != 0 { agree += 1 }
            }
        }
        return (Double(agree) / Double(max(counted, 1)), shares / Double(max(counted, 1)), counted)
    }
}
