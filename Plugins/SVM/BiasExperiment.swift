import Foundation
import PluginAPI

/// Experiment `bias` (CS446 HW2 problem 1, SVM with biases): the two points x_1 = e_1 (+1)
/// and x_2 = -a e_1 (-1) in R^d, for a swept over a range, solved in both formulations by
/// `DualSolver` (the first: a 1 appended to the inputs, the bias-free dual; the second: a
/// free bias, the dual with sum a_i y_i = 0), against `BiasClosedForms`.
enum BiasExperiment {
    static let declaration = Experiment(
        name: "bias",
        summary: "SVM with a bias (CS446 HW2 problem 1): appended-1 vs free-bias solutions for x1 = e1, x2 = -a e1 against the closed forms, a swept; limits a -> infinity",
        settings: Settings.self,
        metrics: [
            MetricSpec("max_error_u", goal: .lowerIsBetter, help: "largest |u - closed form| over a and coordinates, first formulation"),
            MetricSpec("max_error_v", goal: .lowerIsBetter, help: "largest |v - closed form| over a and coordinates, second formulation"),
            MetricSpec("max_error_b", goal: .lowerIsBetter, help: "largest |b - (a-1)/(a+1)| over a"),
            MetricSpec("max_error_alpha", goal: .lowerIsBetter, help: "largest |alpha - closed form| over a, both duals"),
            MetricSpec("max_error_margin", goal: .lowerIsBetter, help: "largest |geometric margin - closed form| over a, both formulations"),
            MetricSpec("half_norm_u_at_a_max", help: "1/2 ||u||^2 at the largest a (limit 1/4)"),
            MetricSpec("half_norm_v_at_a_max", help: "1/2 ||v||^2 at the largest a (limit 0; closed form 2/(a+1)^2)"),
            MetricSpec("one_point_alpha", help: "part (b): the free-bias dual's alpha_1 for x_1 alone (0: v = 0, b not fixed)"),
        ],
        train: run)

    /// The sweep of a, the dimension and the solver's steps.
    struct Settings: ExperimentSettings {
        var aMin = 1.0, aMax = 40.0, points = 40, d = 2, steps = 20_000

        static let fields: [SettingField<Settings>] = [
            .double("a-min", \.aMin, min: 0, max: 1e4, help: "smallest a"),
            .double("a-max", \.aMax, min: 0, max: 1e4, help: "largest a (the limits a -> infinity are read at the end of the sweep)"),
            .int("points", \.points, range: 1...10_000, help: "values of a, evenly spaced from --a-min to --a-max"),
            .int("d", \.d, range: 1...100, help: "the dimension d of the inputs (coordinates 2..d must come out 0)"),
            .int("steps", \.steps, range: 1...10_000_000, help: "projected gradient steps per solve (the step is 1 / Gershgorin's bound on Q)"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (aMin, aMax, count, d, steps) = (settings.aMin, settings.aMax, settings.points, settings.d, settings.steps)
        guard aMax > aMin || (count == 1 && aMax == aMin) else {
            throw PluginError.invalidInput("--a-max \(formatNumber(aMax)) must exceed --a-min \(formatNumber(aMin))", hint: "e.g. --a-min 1 --a-max 40 (or --points 1 with equal ends)")
        }
        let grid = (0..<count).map { count == 1 ? aMin : aMin + (aMax - aMin) * Double($0) / Double(count - 1) }
        context.log("bias: x1 = e1 (+1), x2 = -a e1 (-1) in R^\(d), a from \(formatNumber(aMin)) to \(formatNumber(aMax)) (\(count) values), \(steps) steps per solve")
        context.progress.begin("bias", total: count, unit: "values of a")
        var rows: [[String]] = [], solutions: [(a: Double, s: TwoPointSolution)] = []
        var errors = (u: 0.0, v: 0.0, b: 0.0, alpha: 0.0, margin: 0.0)
        for (index, a) in grid.enumerated() {
            if context.isCancelled { break }
            let s = try solveTwoPoint(a: a, d: d, steps: steps)
            let c = BiasClosedForms.self
            errors.u = max(errors.u, abs(s.u[0] - c.u1(a)), abs(s.u[d] - c.uLast(a)), s.u[1..<d].map(abs).max() ?? 0)
            errors.v = max(errors.v, abs(s.v[0] - c.v1(a)), s.v[1...].map(abs).max() ?? 0)
            errors.b = max(errors.b, abs((s.b ?? .nan) - c.b(a)))
            errors.alpha = max(errors.alpha, zip(s.alphaU + s.alphaV, c.alphaU(a) + c.alphaV(a)).map { abs($0 - $1) }.max() ?? 0)
            errors.margin = max(errors.margin, abs(s.marginU - c.marginU(a)), abs(s.marginV - c.marginV(a)))
            solutions.append((a, s))
            rows.append([a, s.u[0], c.u1(a), s.u[d], c.uLast(a), s.v[0], c.v1(a), s.b ?? .nan, c.b(a), s.halfNormU, c.halfNormU(a),
                         s.halfNormV, c.halfNormV(a), s.marginU, c.marginU(a), s.marginV, c.marginV(a)].map { formatNumber($0) })
            context.progress.update(completed: index + 1, values: [("a", a)])
        }
        context.progress.end()
        guard let last = solutions.last else { return }
        for (name, value) in [("max_error_u", errors.u), ("max_error_v", errors.v), ("max_error_b", errors.b), ("max_error_alpha", errors.alpha),
                              ("max_error_margin", errors.margin), ("half_norm_u_at_a_max", last.s.halfNormU), ("half_norm_v_at_a_max", last.s.halfNormV)] {
            context.metrics.final(name, value.isNaN ? .infinity : value)
        }
        let f = { (v: Double) in String(format: "%.3g", v) }
        context.log("bias: largest deviation from the closed forms: u \(f(errors.u)), v \(f(errors.v)), b \(f(errors.b)), alpha \(f(errors.alpha)), margins \(f(errors.margin))")
        let a = last.a
        context.log("bias: a = \(formatNumber(a)): u = (\(formatNumber(last.s.u[0])), \(formatNumber(last.s.u[d]))) [closed \(formatNumber(BiasClosedForms.u1(a))), \(formatNumber(BiasClosedForms.uLast(a)))], v1 = \(formatNumber(last.s.v[0])) [\(formatNumber(BiasClosedForms.v1(a)))], b = \(formatNumber(last.s.b ?? .nan)) [\(formatNumber(BiasClosedForms.b(a)))]")
        context.log("bias: a = \(formatNumber(a)): 1/2 ||u||^2 = \(formatNumber(last.s.halfNormU)) (limit 1/4), 1/2 ||v||^2 = \(formatNumber(last.s.halfNormV)) (closed \(formatNumber(BiasClosedForms.halfNormV(a))), limit 0); margins \(formatNumber(last.s.marginU)) (stays 2) and \(formatNumber(last.s.marginV)) ((a+1)/2)")
        let single = try onePoint(d: d, steps: steps)
        context.metrics.final("one_point_alpha", single.alpha)
        context.log("bias: (b) x1 alone: first form u = (\(formatNumber(single.u[0])), \(formatNumber(single.u[d]))); free-bias dual alpha = \(formatNumber(single.alpha)), v = 0, b " + (single.biasFixed ? "fixed" : "not fixed by any margin support vector (any b >= 1 is optimal)"))
        try context.artifacts.writeCSV("bias.csv", header: ["a", "u1", "u1_closed", "u_last", "u_last_closed", "v1", "v1_closed", "b", "b_closed",
                                                            "half_norm_u", "half_norm_u_closed", "half_norm_v", "half_norm_v_closed",
                                                            "margin_u", "margin_u_closed", "margin_v", "margin_v_closed"], rows: rows)
        try BiasPlots.write(solutions.map { ($0.a, $0.s) }, context: context)
    }

    /// Both formulations solved for one a: u in R^(d+1), v in R^d, b, the duals, margins.
    public struct TwoPointSolution {
        public var u: [Double], v: [Double], b: Double?
        public var alphaU: [Double], alphaV: [Double]
        public var halfNormU: Double { 0.5 * u.reduce(0) { $0 + $1 * $1 } }
        public var halfNormV: Double { 0.5 * v.reduce(0) { $0 + $1 * $1 } }
        /// min_i y_i (w.x_i + u_(d+1)) / ||w|| with w = u_1..d: the first separator's margin in R^d.
        public var marginU: Double
        /// min_i y_i (v.x_i + b) / ||v||.
        public var marginV: Double
    }

    /// The two points for a in R^d and their labels.
    static func points(a: Double, d: Int) -> (x: [[Double]], y: [Double]) {
        var x1 = [Double](repeating: 0, count: d), x2 = x1
        x1[0] = 1; x2[0] = -a
        return ([x1, x2], [1, -1])
    }

    /// Solves both formulations for x_1 = e_1, x_2 = -a e_1 with `DualSolver`.
    static func solveTwoPoint(a: Double, d: Int, steps: Int) throws -> TwoPointSolution {
        let (x, y) = points(a: a, d: d)
        let labels = Tensor(y.map { Float($0) }, shape: [2])
        let augmented = Tensor(x.flatMap { ($0 + [1]).map { Float($0) } }, shape: [2, d + 1])
        let plain = Tensor(x.flatMap { $0.map { Float($0) } }, shape: [2, d])
        let first = try DualSolver(kernel: .linear, lr: Float(DualSolver.gershgorinStep(.linear, x: augmented)), steps: steps)
            .solve(x: augmented, y: labels, logEvery: steps)
        let second = try DualSolver(kernel: .linear, lr: Float(DualSolver.gershgorinStep(.linear, x: plain)), steps: steps, bias: true)
            .solve(x: plain, y: labels, logEvery: steps)
        let alphaU = first.alpha.map(Double.init), alphaV = second.alphaDouble
        let u = (0...d).map { k in (0..<2).reduce(0.0) { $0 + alphaU[$1] * y[$1] * (k < d ? x[$1][k] : 1) } }
        let v = (0..<d).map { k in (0..<2).reduce(0.0) { $0 + alphaV[$1] * y[$1] * x[$1][k] } }
        func margin(_ w: [Double], _ bias: Double) -> Double {
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return (0..<2).map { i in y[i] * (zip(w, x[i]).reduce(bias) { $0 + $1.0 * $1.1 }) / norm }.min() ?? .nan
        }
        return TwoPointSolution(u: u, v: v, b: second.bias, alphaU: alphaU, alphaV: alphaV,
                                marginU: margin(Array(u[0..<d]), u[d]), marginV: margin(v, second.bias ?? .nan))
    }

    /// Part (b): x_1 = e_1 alone. The first form's u, the free-bias dual's alpha_1, and
    /// whether a margin support vector fixes b.
    static func onePoint(d: Int, steps: Int) throws -> (u: [Double], alpha: Double, biasFixed: Bool) {
        var x1 = [Float](repeating: 0, count: d)
        x1[0] = 1
        let y = Tensor([1], shape: [1])
        let first = try DualSolver(kernel: .linear, lr: 0.25, steps: steps).solve(x: Tensor(x1 + [1], shape: [1, d + 1]), y: y, logEvery: steps)
        let second = try DualSolver(kernel: .linear, lr: 0.5, steps: steps, bias: true).solve(x: Tensor(x1, shape: [1, d]), y: y, logEvery: steps)
        let u = (0...d).map { k in Double(first.alpha[0]) * (k < d ? Double(x1[k]) : 1) }
        return (u, second.alphaDouble[0], second.bias != nil)
    }
}
