import Foundation
import PluginAPI

/// Experiment `linear-networks` (CS189 HW7 problem 2): parts (a)-(f) on linear networks
/// f(x) = W_L ... W_1 x, each claim measured against its closed form.
public enum LinearNetworksExperiment {
    static let declaration = Experiment(
        name: "linear-networks",
        summary: "Linear networks (CS189 HW7 2): W̄ = W0 iff rank W0 <= min d_i (Eckart-Young residual), Q convex, dQ/dW̄ = (W̄X^T - Y^T)X and dR̂/dW_i by autograd, the zero critical point, invertible critical points are global minima",
        settings: Settings.self,
        metrics: [
            MetricSpec("construction_error", goal: .lowerIsBetter, help: "(a) largest ||W̄ - W0||_F of the hint's construction, rank W0 <= min d_i"),
            MetricSpec("residual_within", goal: .lowerIsBetter, help: "(a) largest ||W̄ - W0||_F^2 after gradient descent, rank W0 <= min d_i"),
            MetricSpec("residual_beyond", help: "(a) least ||W̄ - W0||_F^2 after gradient descent, rank W0 > min d_i"),
            MetricSpec("eckart_young_error", goal: .lowerIsBetter, help: "(a) largest |residual - sum_{i>min d_i} sigma_i^2| / that sum, rank W0 > min d_i"),
            MetricSpec("risk_q_error", goal: .lowerIsBetter, help: "(b) largest |R̂(f) - Q(W̄)| / Q(W̄)"),
            MetricSpec("convexity_min_gap", help: "(b) least t Q(A) + (1-t) Q(B) - Q(tA + (1-t)B) (>= 0)"),
            MetricSpec("convexity_gap_error", goal: .lowerIsBetter, help: "(b) largest relative error of the gap against 1/2 t(1-t) ||(A-B)X^T||_F^2"),
            MetricSpec("layer_space_gap", help: "(b) chord minus R̂ at the midpoint of a segment in the layers (< 0: R̂ is not convex in W_1, W_2)"),
            MetricSpec("q_gradient_error", goal: .lowerIsBetter, help: "(c) autograd dQ/dW̄ against (W̄X^T - Y^T)X, max error / max entry"),
            MetricSpec("layer_gradient_error", goal: .lowerIsBetter, help: "(e) autograd dR̂/dW_i against W̄_(L:i+1)^T (W̄X^T - Y^T) X W̄_(i-1:1)^T, worst layer"),
            MetricSpec("zero_gradient_norm", goal: .lowerIsBetter, help: "(e) autograd gradient norm with every layer 0, L = depth"),
            MetricSpec("zero_excess_loss", help: "(e) Q(0) - Q(W*) at that critical point (> 0: not a global minimum)"),
            MetricSpec("wide_normal_residual", goal: .lowerIsBetter, help: "(d) ||W̄X^TX - Y^TX||_F after training, min d_i = min{p, d}"),
            MetricSpec("wide_excess_loss", goal: .lowerIsBetter, help: "(d) Q(W̄) - Q(W*) after training, min d_i = min{p, d}"),
            MetricSpec("narrow_normal_residual", help: "(d) ||W̄X^TX - Y^TX||_F after training the bottleneck network"),
            MetricSpec("narrow_rank_error", goal: .lowerIsBetter, help: "(d) |Q(W̄) - min over rank <= min d_i| / that minimum, bottleneck network"),
            MetricSpec("square_excess_loss", goal: .lowerIsBetter, help: "(f) Q(W̄) - Q(W*) after training square layers"),
            MetricSpec("square_min_singular_value", help: "(f) smallest singular value of any trained square layer (> 0: invertible)"),
            MetricSpec("constructed_gradient_norm", goal: .lowerIsBetter, help: "(f) sqrt(sum_i ||dR̂/dW_i||_F^2) at invertible layers with W̄ = W* (closed form, double)"),
            MetricSpec("constructed_autograd_gradient", goal: .lowerIsBetter, help: "(f) the same by autograd (Float32), relative to ||Y^T X||_F"),
        ],
        train: run)

    /// The experiment's options: part (a)'s rank sweep, then the data, networks and descent of parts (b)-(f).
    struct Settings: ExperimentSettings {
        var size = 8
        var widths = [6, 3, 6]
        var capacitySteps = 20_000
        var n = 20, d = 6, p = 4
        var noise = 0.5
        var depth = 3, bottleneck = 2, steps = 6000
        var lr = 0.05, initScale = 1.0
        var segments = 50
        static let fields: [SettingField<Settings>] = [
            .int("size", \.size, range: 1...32, help: "part (a): W0 is size x size, of every rank 1...size"),
            .integers("widths", \.widths, range: 1...64, help: "part (a): the hidden widths d_1, ..., d_{L-1} (d_0 = d_L = size; empty: L = 1)"),
            .int("capacity-steps", \.capacitySteps, range: 1...1_000_000, help: "part (a): gradient steps on 1/2 ||W̄ - W0||_F^2 per rank"),
            .int("n", \.n, range: 1...10_000, help: "parts (b)-(f): examples (rows of X and Y); at least d"),
            .int("d", \.d, range: 1...64, help: "input dimension d = d_0"),
            .int("p", \.p, range: 1...64, help: "output dimension p = d_L"),
            .double("noise", \.noise, min: 0, max: 100, help: "Y = X W_true^T + N(0, noise^2): noise > 0 keeps min Q above 0"),
            .int("depth", \.depth, range: 1...8, help: "L of the networks trained in parts (d) and (f)"),
            .int("bottleneck", \.bottleneck, range: 1...64, help: "part (d): the hidden width of the narrow network (min d_i < min{p, d})"),
            .int("steps", \.steps, range: 1...1_000_000, help: "parts (d), (f): gradient steps of each network"),
            .double("lr", \.lr, max: 10, positive: true, help: "gradient step in units of 1 / ||X||_2^2"),
            .double("init-scale", \.initScale, max: 10, positive: true, help: "random layers start with N(0, init-scale^2 / d_{i-1}) entries"),
            .int("segments", \.segments, range: 1...100_000, help: "part (b): random segments (and random networks for R̂ = Q)"),
        ]
    }

    static func f(_ v: Double) -> String { String(format: "%.3g", v) }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (n, d, p) = (settings.n, settings.d, settings.p)
        guard n >= d else { throw PluginError.invalidInput("--n \(n) is below --d \(d): X^T X is singular and W* = Y^T X (X^T X)^{-1} does not exist", hint: "use --n \(d) or more") }
        let (lr, steps, depth, initScale) = (settings.lr, settings.steps, settings.depth, settings.initScale)
        var g = SeededGenerator(seed: context.seed)
        try capacityPart(context, settings, generator: &g)
        var parts: [[String]] = [["part", "claim", "measured", "closed form", "error"]]

        // (b) R̂ = Q(W̄) and Q's convexity.
        let (x, y) = LinearNetworks.data(n: n, d: d, p: p, noise: settings.noise, generator: &g)
        guard let star = LinearNetworks.leastSquares(x: x, y: y) else {
            throw PluginError.invalidInput("X^T X is numerically singular for --n \(n), --d \(d)", hint: "use more examples (--n)")
        }
        let optimum = LinearNetworks.q(star, x: x, y: y)
        let wide = [d] + Array(repeating: max(p, d), count: depth - 1) + [p]
        let narrow = [d] + Array(repeating: settings.bottleneck, count: depth - 1) + [p]
        let convex = LinearNetworks.convexity(x: x, y: y, dims: wide, segments: settings.segments, generator: &g)
        for (name, value) in [("risk_q_error", convex.riskError), ("convexity_min_gap", convex.minGap), ("convexity_gap_error", convex.gapError),
                              ("layer_space_gap", convex.layerGap)] { context.metrics.final(name, value) }
        parts.append(["(b)", "R̂(f_W) = Q(W̄)", "sum over x_i, \(settings.segments) nets", "1/2 ||W̄X^T - Y^T||_F^2", f(convex.riskError) + " rel."])
        parts.append(["(b)", "Q convex", "min gap " + f(convex.minGap), "1/2 t(1-t) ||(A-B)X^T||_F^2 >= 0", f(convex.gapError) + " rel."])
        parts.append(["(b)", "R̂ not convex in W_1, W_2", "midpoint gap " + f(convex.layerGap), "Q(W*) - Q(0)", "-"])
        try convexityPlot(convex, context: context)

        // (c) dQ/dW̄ and (e) dR̂/dW_i against the engine's autograd.
        let wBar = LinearNetworks.gaussian(p, d, generator: &g)
        let qError = LinearNetworks.relativeError(LinearNetworks.autogradQGradient(wBar, x: x, y: y), LinearNetworks.qGradient(wBar, x: x, y: y))
        context.metrics.final("q_gradient_error", qError)
        parts.append(["(c)", "dQ/dW̄ = (W̄X^T - Y^T)X", "autograd, Float32", "(W̄X^T - Y^T)X", f(qError) + " rel."])
        var layerError = 0.0, layerRows: [[String]] = []
        for (name, dims) in [("wide", wide), ("narrow", narrow), ("depth 1", [d, p]), ("depth 4", [d, 5, 3, 7, p])] {
            let layers = LinearNetworks.randomLayers(dims, generator: &g)
            let closed = LinearNetworks.layerGradients(layers, x: x, y: y), measured = LinearNetworks.autogradLayerGradients(layers, x: x, y: y)
            for (i, pair) in zip(measured, closed).enumerated() {
                let e = LinearNetworks.relativeError(pair.0, pair.1)
                layerError = max(layerError, e)
                layerRows.append([name, dims.map(String.init).joined(separator: "-"), "W_\(i + 1)", f(LinearNetworks.frobeniusSquared(pair.1).squareRoot()), f(e)])
            }
        }
        context.metrics.final("layer_gradient_error", layerError)
        parts.append(["(e)", "dR̂/dW_i", "autograd, \(layerRows.count) layers", "W̄_(L:i+1)^T (W̄X^T - Y^T) X W̄_(i-1:1)^T", f(layerError) + " rel."])
        try context.artifacts.writeCSV("layer_gradients.csv", header: ["network", "dims", "layer", "closed_form_norm", "autograd_relative_error"], rows: layerRows)

        // (e) the zero critical point, L = 1 (not critical), 2 and depth.
        var zeroRows: [[String]] = []
        for l in Set([1, 2, depth]).sorted() {
            let z = LinearNetworks.zeroPoint(dims: [d] + Array(repeating: max(p, d), count: l - 1) + [p], x: x, y: y)
            zeroRows.append([String(l), f(z.gradientNorm), f(z.excessLoss)])
            if l == depth { context.metrics.final("zero_gradient_norm", z.gradientNorm); context.metrics.final("zero_excess_loss", z.excessLoss) }
            parts.append(["(e)", "W_i = 0 critical, L = \(l)", "||grad|| " + f(z.gradientNorm), l >= 2 ? "0" : "||Y^TX||_F = " + f(LinearNetworks.frobeniusSquared(LinearNetworks.multiply(LinearNetworks.transpose(y), x)).squareRoot()),
                          "Q(0) - Q* = " + f(z.excessLoss)])
        }

        // (d) a network with min d_i = min{p, d} and a bottleneck one; (f) square layers.
        let (every, watch) = (max(1, steps / 200), TrainingWatch(context))
        let trainedWide = try LinearNetworks.train(dims: wide, x: x, y: y, lr: lr, steps: steps, every: every, initScale: initScale, watch: watch, generator: &g)
        let trainedNarrow = try LinearNetworks.train(dims: narrow, x: x, y: y, lr: lr, steps: steps, every: every, initScale: initScale, watch: watch, generator: &g)
        let fromZero = try LinearNetworks.train(dims: wide, x: x, y: y, start: (1..<wide.count).map { DMatrix(rows: wide[$0], columns: wide[$0 - 1]) },
                                                lr: lr, steps: steps, every: every, initScale: initScale, watch: watch, generator: &g)
        let narrowError = abs((trainedNarrow.trace.last?.loss ?? .nan) - trainedNarrow.rankOptimum) / max(trainedNarrow.rankOptimum, 1e-300)
        context.metrics.final("wide_normal_residual", trainedWide.normalResidual)
        context.metrics.final("wide_excess_loss", trainedWide.excessLoss)
        context.metrics.final("narrow_normal_residual", trainedNarrow.normalResidual)
        context.metrics.final("narrow_rank_error", narrowError)
        parts.append(["(d)", "min d_i = min{p,d}: W̄X^TX = Y^TX", "||W̄X^TX - Y^TX|| " + f(trainedWide.normalResidual), "0", "Q - Q* = " + f(trainedWide.excessLoss)])
        let k = narrow.min() ?? 0
        parts.append(["(d)", "bottleneck min d_i = \(k) \(k < min(p, d) ? "<" : ">=") min{p,d} = \(min(p, d))", "Q - Q* = " + f(trainedNarrow.excessLoss),
                      "1/2 sum_{i>k} sigma_i(W*C)^2 = " + f(trainedNarrow.rankOptimum - optimum), f(narrowError) + " rel."])

        let square = LinearNetworks.data(n: n, d: d, p: d, noise: settings.noise, generator: &g)
        let squareDims = Array(repeating: d, count: depth + 1)
        let trainedSquare = try LinearNetworks.train(dims: squareDims, x: square.x, y: square.y, lr: lr, steps: steps, every: every, initScale: initScale,
                                                     watch: watch, generator: &g)
        let smallest = trainedSquare.smallestSingularValues.min() ?? .nan
        context.metrics.final("square_excess_loss", trainedSquare.excessLoss)
        context.metrics.final("square_min_singular_value", smallest)
        parts.append(["(f)", "square layers (p = d = \(d)), trained", "||grad|| \(f(trainedSquare.gradientNorm)), min sigma(W_i) \(f(smallest))", "Q* (global min)", "Q - Q* = " + f(trainedSquare.excessLoss)])
        if let built = LinearNetworks.invertibleCriticalPoint(depth: depth, x: square.x, y: square.y, generator: &g) {
            let scaleFree = LinearNetworks.frobeniusSquared(LinearNetworks.multiply(LinearNetworks.transpose(square.y), square.x)).squareRoot()
            let autograd = LinearNetworks.autogradLayerGradients(built, x: square.x, y: square.y).reduce(0) { $0 + LinearNetworks.frobeniusSquared($1) }.squareRoot() / scaleFree
            let norm = LinearNetworks.layerGradients(built, x: square.x, y: square.y).reduce(0) { $0 + LinearNetworks.frobeniusSquared($1) }.squareRoot()
            let excess = LinearNetworks.q(LinearNetworks.product(built), x: square.x, y: square.y) - (LinearNetworks.leastSquares(x: square.x, y: square.y).map { LinearNetworks.q($0, x: square.x, y: square.y) } ?? .nan)
            context.metrics.final("constructed_gradient_norm", norm)
            context.metrics.final("constructed_autograd_gradient", autograd)
            parts.append(["(f)", "invertible W_i, W̄ = W*", "||grad|| \(f(norm)) (autograd \(f(autograd)) ||Y^TX||)", "0", "Q - Q* = " + f(excess)])
        }
        let squareZero = LinearNetworks.zeroPoint(dims: squareDims, x: square.x, y: square.y)
        parts.append(["(f)", "singular W_i = 0 (critical)", "||grad|| " + f(squareZero.gradientNorm), "not sufficient", "Q - Q* = " + f(squareZero.excessLoss)])

        let text = TextTable.aligned(parts)
        context.log("linear-networks: Q* = min Q = \(f(optimum)) (n \(n), d \(d), p \(p), L = \(depth)); each part against its closed form:\n" + text)
        context.metrics.note("parts", text)
        try context.artifacts.write(text + "\n", to: "parts.txt")
        try context.artifacts.writeCSV("zero_point.csv", header: ["L", "autograd_gradient_norm", "Q(0) - Q*"], rows: zeroRows)
        var trainingRows: [[String]] = []
        for (name, t) in [("wide", trainedWide), ("narrow", trainedNarrow), ("from zero", fromZero), ("square", trainedSquare)] {
            trainingRows.append([name, t.dims.map(String.init).joined(separator: "-"), f(t.trace.last?.loss ?? .nan), f(t.optimum), f(t.rankOptimum),
                                 f(t.normalResidual), f(t.gradientNorm), t.smallestSingularValues.map(f).joined(separator: " ")])
        }
        try context.artifacts.writeCSV("training.csv", header: ["network", "dims", "final_Q", "Q_star", "min_Q_rank_le_min_d", "normal_residual", "gradient_norm", "smallest_singular_values"],
                                       rows: trainingRows)
        try trainingPlot([("d: " + wide.map(String.init).joined(separator: "-"), trainedWide), ("d: " + narrow.map(String.init).joined(separator: "-"), trainedNarrow),
                          ("e: from W_i = 0", fromZero), ("f: " + squareDims.map(String.init).joined(separator: "-"), trainedSquare)],
                         bottleneckGap: trainedNarrow.rankOptimum - optimum, context: context)
    }
}
