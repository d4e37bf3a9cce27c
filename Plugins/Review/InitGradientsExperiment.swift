import Foundation
import PluginAPI

/// Experiment `init-gradients` (CSCI-GA.2565 HW3 problem 1(a)): for the 2-layer network
/// f(x; W, v) = sum_j v_j sigma(<w_j, x>) and one example's risk R̂(W, v) = l(f(x; W, v), y),
/// dR̂/dv_j = l'(f, y) sigma(<w_j, x>) and dR̂/dw_j = l'(f, y) v_j sigma'(<w_j, x>) x, against the
/// engine's autograd; and the induction step of 1(b): equal units get equal gradients.
public enum InitGradients {
    static let declaration = Experiment(
        name: "init-gradients",
        summary: "HW3 1(a): dR/dv_j = l'(f, y) sigma(<w_j, x>), dR/dw_j = l'(f, y) v_j sigma'(<w_j, x>) x against autograd (ReLU, tanh, sigmoid; squared, logistic loss)",
        settings: Settings.self,
        metrics: [
            MetricSpec("max_dv_error", goal: .lowerIsBetter, help: "largest max_j |autograd - closed form| / max_j |closed form| of dR/dv_j"),
            MetricSpec("max_dw_error", goal: .lowerIsBetter, help: "the same for dR/dw_j, over all j and coordinates"),
            MetricSpec("discounted_error", goal: .lowerIsBetter, help: "the worst error divided by (|f| + |y|) / |f - y| (squared loss: Float32's f - y cancels near f = y)"),
            MetricSpec("symmetric_gradient_difference", goal: .lowerIsBetter, help: "1(b)'s step: largest |gradient of unit p - unit q| when w_p = w_q, v_p = v_q"),
        ],
        train: run)

    /// The experiment's options: the network's size and the draws per activation and loss.
    struct Settings: ExperimentSettings {
        var m = 16, d = 8, draws = 200
        static let fields: [SettingField<Settings>] = [
            .int("m", \.m, range: 1...4096, help: "hidden units m (rows w_j of W)"),
            .int("d", \.d, range: 1...4096, help: "input dimension d"),
            .int("draws", \.draws, range: 1...100_000, help: "random (x, y, W, v) per activation and loss"),
        ]
    }

    /// sigma and sigma'.
    public enum Activation: String, CaseIterable, Sendable {
        case relu, tanh, sigmoid

        /// sigma(z).
        public func value(_ z: Double) -> Double {
            switch self {
            case .relu: return max(z, 0)
            case .tanh: return Foundation.tanh(z)
            case .sigmoid: return 1 / (1 + Foundation.exp(-z))
            }
        }

        /// sigma'(z): 1[z > 0] for ReLU (autograd's choice at 0 is never drawn), 1 - tanh^2, s (1 - s).
        public func derivative(_ z: Double) -> Double {
            switch self {
            case .relu: return z > 0 ? 1 : 0
            case .tanh: let t = Foundation.tanh(z); return 1 - t * t
            case .sigmoid: let s = value(z); return s * (1 - s)
            }
        }

        func tensor(_ z: Tensor) -> Tensor {
            switch self {
            case .relu: return z.relu()
            case .tanh: return z.tanh()
            case .sigmoid: return z.sigmoid()
            }
        }
    }

    /// The loss l(f, y) and l'(f, y) = dl/df.
    public enum Loss: String, CaseIterable, Sendable {
        /// 1/2 (f - y)^2, l' = f - y.
        case squared
        /// log(1 + exp(-y f)) for y in {-1, +1}, l' = -y / (1 + exp(y f)).
        case logistic

        /// l(f, y).
        public func value(_ f: Double, _ y: Double) -> Double {
            self == .squared ? (f - y) * (f - y) / 2 : Foundation.log1p(Foundation.exp(-y * f))
        }

        /// l'(f, y).
        public func derivative(_ f: Double, _ y: Double) -> Double {
            self == .squared ? f - y : -y / (1 + Foundation.exp(y * f))
        }

        func tensor(_ f: Tensor, _ y: Float) -> Tensor {
            self == .squared ? 0.5 * (f - y) * (f - y) : ((f * -y).exp() + 1).log()
        }
    }

    /// One example and network: W (m x d, row-major, rows w_j), v (m), x (d), y.
    public struct Point: Sendable {
        /// Hidden units and input dimension; W row-major (w_j = w[j*d..<(j+1)*d]); v; x; y.
        public var m: Int, d: Int, w: [Double], v: [Double], x: [Double], y: Double

        /// <w_j, x> for every j.
        public var preactivations: [Double] { (0..<m).map { j in (0..<d).reduce(0) { $0 + w[j * d + $1] * x[$1] } } }
    }

    /// x ~ N(0, I), w_jk ~ N(0, 1/d), v_j ~ N(0, 1/m); y ~ N(0, 1) (squared) or +-1 (logistic). All
    /// values are rounded to Float first, so autograd (Float32) and the closed form see the same numbers.
    public static func draw(m: Int, d: Int, loss: Loss, generator g: inout SeededGenerator) -> Point {
        func r(_ v: Double) -> Double { Double(Float(v)) }
        let w = (0..<m * d).map { _ in r(g.nextNormal() / Double(d).squareRoot()) }, v = (0..<m).map { _ in r(g.nextNormal() / Double(m).squareRoot()) }
        let x = (0..<d).map { _ in r(g.nextNormal()) }
        let y = loss == .squared ? r(g.nextNormal()) : (g.nextNormal() < 0 ? -1.0 : 1.0)
        return Point(m: m, d: d, w: w, v: v, x: x, y: y)
    }

    /// R̂(W, v) = l(f(x; W, v), y) in double precision.
    public static func risk(_ p: Point, _ a: Activation, _ l: Loss) -> Double {
        l.value(zip(p.v, p.preactivations).reduce(0) { $0 + $1.0 * a.value($1.1) }, p.y)
    }

    /// The closed forms of 1(a): (dR̂/dv (m), dR̂/dW (m x d, row j = dR̂/dw_j)).
    public static func closedForm(_ p: Point, _ a: Activation, _ l: Loss) -> (dv: [Double], dw: [Double]) {
        let z = p.preactivations
        let f = (0..<p.m).reduce(0) { $0 + p.v[$1] * a.value(z[$1]) }
        let lp = l.derivative(f, p.y)
        let dv = z.map { lp * a.value($0) }
        let dw = (0..<p.m * p.d).map { i in lp * p.v[i / p.d] * a.derivative(z[i / p.d]) * p.x[i % p.d] }
        return (dv, dw)
    }

    /// The same gradients by the engine's autograd: z = W x, f = v^T sigma(z), R̂ = l(f, y).
    public static func autograd(_ p: Point, _ a: Activation, _ l: Loss) -> (dv: [Double], dw: [Double]) {
        let w = Tensor(p.w.map { Float($0) }, shape: [p.m, p.d], requiresGrad: true)
        let v = Tensor(p.v.map { Float($0) }, shape: [1, p.m], requiresGrad: true)
        let f = v.matmul(a.tensor(w.matmul(Tensor(p.x.map { Float($0) }, shape: [p.d, 1]))))
        l.tensor(f, Float(p.y)).sum().backward()
        let dv = v.grad?.values.map(Double.init) ?? [], dw = w.grad?.values.map(Double.init) ?? []
        return (dv.count == p.m ? dv : Array(repeating: .nan, count: p.m), dw.count == p.m * p.d ? dw : Array(repeating: .nan, count: p.m * p.d))
    }

    /// max |a - b| / max |b| (NaN counts as infinite; 0 when both are 0).
    public static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        let worst = zip(a, b).reduce(0.0) { w, p in let e = abs(p.0 - p.1); return e.isNaN ? .infinity : max(w, e) }
        let scale = b.map(abs).max() ?? 0
        return worst == 0 ? 0 : worst / max(scale, 1e-30)
    }

    /// How many times Float32's rounding of l'(f, y) is amplified: (|f| + |y|) / |f - y| for the
    /// squared loss (f - y cancels when f is near y), 1 for the logistic loss.
    public static func cancellation(_ p: Point, _ a: Activation, _ l: Loss) -> Double {
        guard l == .squared else { return 1 }
        let f = zip(p.v, p.preactivations).reduce(0) { $0 + $1.0 * a.value($1.1) }
        return (abs(f) + abs(p.y)) / max(abs(f - p.y), 1e-300)
    }

    /// The worst relative errors of dR̂/dv and dR̂/dW over `draws` random points, and the worst of
    /// either divided by the draw's `cancellation` (what is left once l' = f - y's lost digits are discounted).
    public static func errors(m: Int, d: Int, draws: Int, _ a: Activation, _ l: Loss, generator g: inout SeededGenerator) -> (dv: Double, dw: Double, discounted: Double) {
        var worst = (dv: 0.0, dw: 0.0, discounted: 0.0)
        for _ in 0..<draws {
            let p = draw(m: m, d: d, loss: l, generator: &g)
            let (closed, measured) = (closedForm(p, a, l), autograd(p, a, l))
            let (ev, ew) = (relativeError(measured.dv, closed.dv), relativeError(measured.dw, closed.dw))
            worst = (max(worst.dv, ev), max(worst.dw, ew), max(worst.discounted, max(ev, ew) / cancellation(p, a, l)))
        }
        return worst
    }

    /// 1(b)'s induction step: with w_2 = w_1 and v_2 = v_1, the largest difference between the
    /// gradients of units 1 and 2, closed form and autograd (both exactly 0).
    public static func symmetricDifference(m: Int, d: Int, _ a: Activation, _ l: Loss, generator g: inout SeededGenerator) -> Double {
        var p = draw(m: max(m, 2), d: d, loss: l, generator: &g)
        for k in 0..<d { p.w[d + k] = p.w[k] }
        p.v[1] = p.v[0]
        var worst = 0.0
        for (dv, dw) in [closedForm(p, a, l), autograd(p, a, l)] {
            worst = max(worst, abs(dv[1] - dv[0]))
            for k in 0..<d { worst = max(worst, abs(dw[d + k] - dw[k])) }
        }
        return worst
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (m, d, draws) = (settings.m, settings.d, settings.draws)
        var g = SeededGenerator(seed: context.seed)
        var lines = [["activation", "loss", "dR/dv_j error", "dR/dw_j error", "error / cancellation", "units 1, 2 equal: gradient difference"]]
        var worst = (dv: 0.0, dw: 0.0, discounted: 0.0, symmetric: 0.0)
        for a in Activation.allCases {
            for l in Loss.allCases {
                let e = errors(m: m, d: d, draws: draws, a, l, generator: &g)
                let s = symmetricDifference(m: m, d: d, a, l, generator: &g)
                worst = (max(worst.dv, e.dv), max(worst.dw, e.dw), max(worst.discounted, e.discounted), max(worst.symmetric, s))
                lines.append([a.rawValue, l.rawValue, String(format: "%.2g", e.dv), String(format: "%.2g", e.dw), String(format: "%.2g", e.discounted), formatNumber(s)])
            }
        }
        context.metrics.final("max_dv_error", worst.dv)
        context.metrics.final("max_dw_error", worst.dw)
        context.metrics.final("discounted_error", worst.discounted)
        context.metrics.final("symmetric_gradient_difference", worst.symmetric)
        let table = TextTable.aligned(lines)
        context.log("init-gradients: m = \(m), d = \(d), \(draws) draws each; autograd (Float32) against dR/dv_j = l'(f, y) sigma(<w_j, x>), dR/dw_j = l'(f, y) v_j sigma'(<w_j, x>) x (max error / max entry):\n" + table)
        context.metrics.note("errors", table)
        try context.artifacts.writeCSV("errors.csv", header: ["activation", "loss", "dv_relative_error", "dw_relative_error", "error_over_cancellation", "symmetric_difference"],
                                       rows: Array(lines.dropFirst()))
        try context.artifacts.write(sweepPlot(m: m, d: d, generator: &g).svg(), to: "gradients.svg")
    }

    /// dR̂/dv_1 and dR̂/dw_1 . x / ||x||^2 (= l' v_1 sigma'(z), v_1 = 1) as <w_1, x> = z sweeps -2.95...2.95 (w_1 moved along x), squared loss.
    static func sweepPlot(m: Int, d: Int, generator g: inout SeededGenerator) -> PlotGrid {
        var base = draw(m: m, d: d, loss: .squared, generator: &g)
        base.v[0] = 1 // so that dR/dw_1 = l' v_1 sigma'(z) x is as large as dR/dv_1
        let norm = base.x.reduce(0) { $0 + $1 * $1 }, z0 = base.preactivations[0]
        let zs = (0..<60).map { -2.95 + Double($0) / 10 } // 0 is not on the grid: ReLU's kink
        func every3(_ values: [Double]) -> [Double] { values.enumerated().filter { $0.offset % 3 == 1 }.map(\.element) }
        let panels = Activation.allCases.map { a -> LinePlot in
            var rows: [(closed: (Double, Double), measured: (Double, Double))] = []
            for z in zs {
                var p = base
                for k in 0..<d { p.w[k] = Double(Float(base.w[k] + (z - z0) * base.x[k] / max(norm, 1e-300))) }
                let (c, t) = (closedForm(p, a, .squared), autograd(p, a, .squared))
                func along(_ dw: [Double]) -> Double { (0..<d).reduce(0) { $0 + dw[$1] * p.x[$1] } / max(norm, 1e-300) }
                rows.append(((c.dv[0], along(c.dw)), (t.dv[0], along(t.dw))))
            }
            return LinePlot(title: a.rawValue, xLabel: "<w_1, x>", yLabel: "gradient", series: [
                Series("dR/dv_1 closed form", x: zs, y: rows.map(\.closed.0)),
                Series("dR/dv_1 autograd", x: every3(zs), y: every3(rows.map(\.measured.0)), markers: true, line: false),
                Series("dR/dw_1 . x/||x||^2 closed", x: zs, y: rows.map(\.closed.1), dashed: true),
                Series("dR/dw_1 . x/||x||^2 autograd", x: every3(zs), y: every3(rows.map(\.measured.1)), markers: true, line: false),
            ])
        }
        return PlotGrid(title: "HW3 1(a): closed forms (lines) and autograd (markers) as <w_1, x> sweeps (v_1 = 1, squared loss)", columns: 3, panels: panels, sharedAxes: false)
    }
}
