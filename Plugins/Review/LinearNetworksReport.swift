import Foundation
import PluginAPI

extension LinearNetworksExperiment {
    /// Part (a): the rank sweep, its table, CSV and plot, and its metrics.
    static func capacityPart(_ context: RunContext, _ settings: Settings, generator g: inout SeededGenerator) throws {
        let (size, hidden) = (settings.size, settings.widths)
        let rows = try LinearNetworks.capacity(size: size, widths: hidden, steps: settings.capacitySteps, lr: settings.lr,
                                              initScale: settings.initScale, watch: TrainingWatch(context), generator: &g)
        let k = rows.first?.minWidth ?? 0
        let within = rows.filter { $0.rank <= k }, beyond = rows.filter { $0.rank > k }
        context.metrics.final("construction_error", within.compactMap(\.constructionError).max() ?? 0)
        context.metrics.final("residual_within", within.map(\.residual).max() ?? 0)
        if let least = beyond.map(\.residual).min() { context.metrics.final("residual_beyond", least) }
        if let worst = beyond.map({ abs($0.residual - $0.tail) / $0.tail }).max() { context.metrics.final("eckart_young_error", worst) }
        let dims = ([size] + hidden + [size]).map(String.init).joined(separator: "-")
        var lines = [["rank W0", "construction ||W̄ - W0||_F", "descent ||W̄ - W0||_F^2", "sum_{i>\(k)} sigma_i^2", "sigma_\(k + 1)(W̄)"]]
        for r in rows {
            lines.append([String(r.rank), r.constructionError.map(f) ?? "none (rank > \(k))", f(r.residual), f(r.tail), r.sigmaBeyond.isNaN ? "- (min d_i = size)" : f(r.sigmaBeyond)])
        }
        let text = TextTable.aligned(lines)
        context.log("linear-networks (a): W0 (\(size) x \(size), singular values 3 ... 1) through layers \(dims), min d_i = \(k):\n" + text)
        context.metrics.note("capacity", text)
        try context.artifacts.writeCSV("capacity.csv", header: ["rank", "min_d", "construction_error", "descent_residual", "eckart_young_tail", "sigma_k_plus_1_of_fit"],
                                       rows: rows.map { [String($0.rank), String($0.minWidth), $0.constructionError.map(formatNumber) ?? "", formatNumber($0.residual),
                                                         formatNumber($0.tail), formatNumber($0.sigmaBeyond)] })
        let ranks = rows.map { Double($0.rank) }
        var plot = LinePlot(title: "(a) W_L...W_1 = W0 iff rank W0 <= min d_i = \(k) (layers \(dims))", xLabel: "rank of W0",
                            yLabel: "||W_L...W_1 - W0||_F^2", series: [
                                Series("Eckart-Young bound", x: ranks, y: rows.map(\.tail)),
                                Series("descent, \(settings.capacitySteps) steps", x: ranks, y: rows.map(\.residual), markers: true, line: false),
                            ])
        plot.horizontalLines = [(label: "0", y: 0)]
        try context.artifacts.write(plot.svg(), to: "capacity.svg")
        let curves = LinePlot(title: "(a) descent on ||W_L...W_1 - W0||_F^2: excess over the Eckart-Young bound", xLabel: "step",
                              yLabel: "(residual - bound) / max(bound, 1), floor 1e-15", series: rows.map { r in
                                  Series("rank \(r.rank)", x: r.trace.map { Double(max($0.step, 1)) },
                                         y: r.trace.map { max(($0.residual - r.tail) / max(r.tail, 1), 1e-15) }, dashed: r.rank > k)
                              }, logY: true, logX: true)
        try context.artifacts.write(curves.svg(), to: "capacity_descent.svg")
    }

    /// Part (b): Q along a segment with its chord, and R̂ along a segment in the layers with its chord.
    static func convexityPlot(_ c: LinearNetworks.Convexity, context: RunContext) throws {
        let panels = [
            LinePlot(title: "Q(tA + (1-t)B) under its chord", xLabel: "t", yLabel: "Q", series: [
                Series("Q(tA + (1-t)B)", x: c.curve.t, y: c.curve.q), Series("t Q(A) + (1-t) Q(B)", x: c.curve.t, y: c.curve.chord, dashed: true),
            ]),
            LinePlot(title: "R̂ from (W*, I) to (-W*, -I): above its chord", xLabel: "t", yLabel: "R̂", series: [
                Series("R̂((2t-1) W*, (2t-1) I)", x: c.layerCurve.t, y: c.layerCurve.risk),
                Series("chord = Q(W*)", x: c.layerCurve.t, y: c.layerCurve.chord, dashed: true),
            ]),
        ]
        let grid = PlotGrid(title: "(b) Q is convex in W̄; R̂ is not convex in the layers (L = 2)", columns: 2, panels: panels, sharedAxes: false)
        try context.artifacts.write(grid.svg(), to: "convexity.svg")
    }

    /// Parts (d)-(f): Q(W̄_t) - Q* along each training run (floored at 1e-14 Q*, where rounding starts, for the log scale).
    static func trainingPlot(_ runs: [(String, LinearNetworks.Training)], bottleneckGap: Double, context: RunContext) throws {
        var series: [Series] = []
        for (name, t) in runs {
            let floor = 1e-14 * max(t.optimum, 1)
            series.append(Series(name, x: t.trace.map { Double($0.step) }, y: t.trace.map { max($0.loss - t.optimum, floor) }, dashed: name.hasPrefix("e")))
        }
        var plot = LinePlot(title: "(d)-(f) gradient descent on R̂: Q(W_L...W_1) - min Q", xLabel: "step", yLabel: "Q - Q(W*), floor 1e-14 Q(W*)", series: series, logY: true)
        plot.horizontalLines = [(label: "bottleneck optimum: 1/2 sum_{i>k} sigma_i(W*C)^2", y: bottleneckGap)]
        try context.artifacts.write(plot.svg(), to: "training.svg")
        var csv: [[String]] = []
        for (name, t) in runs { csv += t.trace.map { [name, String($0.step), formatNumber($0.loss), formatNumber($0.loss - t.optimum)] } }
        try context.artifacts.writeCSV("training_curves.csv", header: ["network", "step", "Q", "Q_minus_Q_star"], rows: csv)
    }
}
