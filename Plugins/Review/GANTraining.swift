import Foundation
import PluginAPI

extension GANExperiment {
    /// The 1-D GAN's setting: real data N(realMean, realStd^2), generator G(z) = a z + b starting at
    /// a = 1, b = startMean, a logistic discriminator D(x) = sigmoid(w x + c), both trained by SGD.
    /// Its fields but the seed are the experiment's options after the logit grid.
    public struct Setting: ExperimentSettings, Sendable {
        public var realMean = 4.0, realStd = 0.5, startMean = -4.0
        public var pretrain = 200, steps = 400, batch = 128
        public var lrG = 0.05, lrD = 0.2, weightDecay = 0.1
        /// The run's seed, not an option.
        public var seed: UInt64 = 0

        /// The defaults of the experiment's options.
        public init() {}

        /// The options, in the order `host help` lists them.
        public static let fields: [SettingField<Setting>] = [
            .double("real-mean", \.realMean, min: -100, max: 100, help: "mean of the real data N(real-mean, real-std^2)"),
            .double("real-std", \.realStd, min: 0.01, max: 100, help: "standard deviation of the real data"),
            .double("start-mean", \.startMean, min: -100, max: 100, help: "initial b of the generator G(z) = a z + b (a starts at 1)"),
            .int("pretrain", \.pretrain, range: 0...100_000, help: "discriminator steps before the generator moves (a well-trained D)"),
            .int("steps", \.steps, range: 1...100_000, help: "alternating steps: one discriminator, then one generator step"),
            .int("batch", \.batch, range: 1...100_000, help: "real and generated samples per step"),
            .double("lr-g", \.lrG, max: 10, positive: true, help: "generator SGD learning rate (plain SGD: the update is proportional to the gradient)"),
            .double("lr-d", \.lrD, max: 10, positive: true, help: "discriminator SGD learning rate"),
            .double("weight-decay", \.weightDecay, min: 0, max: 10, help: "discriminator weight decay (keeps its logits finite)"),
        ]
    }

    /// Per generator step: b after the step, the mean D(G(z)) and the generator's gradient norm at the step.
    public struct Trace: Sendable {
        public var mean: [Double] = [], d: [Double] = [], gradientNorm: [Double] = []
    }

    /// Trains the discriminator for `pretrain` steps, then alternates one discriminator and one
    /// generator step; the same seed gives both losses the same draws of z and of the real data.
    /// Both loops report to `watch`; throws `PluginError.diverged` when a loss becomes NaN or infinite.
    public static func train(_ loss: GeneratorLoss, _ s: Setting, watch: TrainingWatch = .silent) throws -> Trace {
        var g = SeededGenerator(seed: s.seed, stream: 5)
        let a = Tensor([1], shape: [1], requiresGrad: true), b = Tensor([Float(s.startMean)], shape: [1], requiresGrad: true)
        let w = Tensor([0], shape: [1], requiresGrad: true), c = Tensor([0], shape: [1], requiresGrad: true)
        let generatorOptimizer = SGD([a, b], lr: Float(s.lrG))
        let discriminatorOptimizer = SGD([w, c], lr: Float(s.lrD), weightDecay: Float(s.weightDecay))
        func draw(_ mean: Double, _ std: Double) -> Tensor {
            Tensor((0..<s.batch).map { _ in Float(mean + std * g.nextNormal()) }, shape: [s.batch])
        }
        /// One discriminator step; its loss.
        func discriminatorStep() -> Double {
            let real = draw(s.realMean, s.realStd), fake = (a * draw(0, 1) + b).detach()
            discriminatorOptimizer.zeroGrad()
            let lossD = -((real * w + c).sigmoid() + 1e-30).log().mean() - (1 - (fake * w + c).sigmoid() + 1e-30).log().mean()
            lossD.backward()
            discriminatorOptimizer.step()
            return Double(lossD.item)
        }
        let hint = "lower --lr-g or --lr-d (now \(formatNumber(s.lrG)), \(formatNumber(s.lrD)))"
        try TrainingLoop("gan: discriminator", total: s.pretrain, watch: watch, lossName: "discriminator loss", divergenceHint: hint)
            .run(step: { _ in discriminatorStep() })
        var trace = Trace()
        try TrainingLoop("gan: \(loss.rawValue)", total: s.steps, watch: watch, lossName: "generator loss", divergenceHint: hint).run(step: { _ in
            _ = discriminatorStep()
            let logits = (a * draw(0, 1) + b) * w + c
            generatorOptimizer.zeroGrad()
            let lossG = loss.loss(logits).mean()
            lossG.backward()
            let ga = Double(a.grad?.item ?? 0), gb = Double(b.grad?.item ?? 0)
            trace.gradientNorm.append((ga * ga + gb * gb).squareRoot())
            trace.d.append(Double(logits.sigmoid().mean().item))
            generatorOptimizer.step()
            trace.mean.append(Double(b.item))
            return Double(lossG.item)
        })
        return trace
    }

    /// Trains with both losses from the same setting `s` (its seed the run's), logs, plots and records the metrics.
    static func train(_ context: RunContext, _ s: Setting) throws {
        // Both runs always go to the end: their traces are compared step by step.
        let watch = TrainingWatch(progress: context.progress)
        let saturating = try train(.saturating, s, watch: watch), nonSaturating = try train(.nonSaturating, s, watch: watch)
        for t in 0..<s.steps {
            context.metrics.log(step: t + 1, [
                ("saturating_mean", saturating.mean[t]), ("saturating_d", saturating.d[t]), ("saturating_grad_norm", saturating.gradientNorm[t]),
                ("non_saturating_mean", nonSaturating.mean[t]), ("non_saturating_d", nonSaturating.d[t]),
                ("non_saturating_grad_norm", nonSaturating.gradientNorm[t]),
            ])
        }
        let distance = { (trace: Trace) in abs((trace.mean.last ?? s.startMean) - s.realMean) }
        let ratio = (nonSaturating.gradientNorm.first ?? 0) / max(saturating.gradientNorm.first ?? 0, 1e-300)
        context.metrics.final("saturating_distance", distance(saturating))
        context.metrics.final("non_saturating_distance", distance(nonSaturating))
        context.metrics.final("initial_gradient_ratio", ratio)
        for (name, trace) in [("log(1 - D(G(z))) (saturating)", saturating), ("-log D(G(z)) (non-saturating)", nonSaturating)] {
            context.log(String(format: "gan: %@: first generator step D(G(z)) = %.3g, gradient norm %.3g; after %d steps b = %.3f (real mean %.3g, distance %.3f)",
                               name, trace.d.first ?? .nan, trace.gradientNorm.first ?? .nan, s.steps, trace.mean.last ?? .nan, s.realMean, distance(trace)))
        }
        context.log(String(format: "gan: initial generator gradient norm, non-saturating / saturating = %.3g", ratio))
        for (name, trace) in [("saturating", saturating), ("non-saturating", nonSaturating)] {
            let reach = trace.mean.firstIndex { abs($0 - s.realMean) < s.realStd }
            context.log("gan: \(name) generator within one real std of the real mean " + (reach.map { "from step \($0 + 1)" } ?? "at no step of \(s.steps)"))
        }
        let steps = (1...s.steps).map(Double.init)
        var meanPanel = LinePlot(title: "Generator mean b (G(z) = a z + b)", xLabel: "generator step", yLabel: "b", series: [
            Series("saturating log(1 - D)", x: steps, y: saturating.mean),
            Series("non-saturating -log D", x: steps, y: nonSaturating.mean, dashed: true),
        ])
        meanPanel.horizontalLines = [(label: "real mean", y: s.realMean)]
        let values = saturating.mean + nonSaturating.mean + [s.realMean, s.startMean]
        let (lowest, highest) = (values.min() ?? 0, values.max() ?? 1), margin = max(0.1 * (highest - lowest), 0.5)
        meanPanel.yRange = (lowest - margin)...(highest + margin)
        let floor = 1e-30
        let gradientPanel = LinePlot(title: "Generator gradient norm ||dL/d(a, b)||", xLabel: "generator step", yLabel: "gradient norm", series: [
            Series("saturating log(1 - D)", x: steps, y: saturating.gradientNorm.map { max($0, floor) }),
            Series("non-saturating -log D", x: steps, y: nonSaturating.gradientNorm.map { max($0, floor) }, dashed: true),
        ], logY: true)
        let dPanel = LinePlot(title: "Mean D(G(z))", xLabel: "generator step", yLabel: "D(G(z))", series: [
            Series("saturating log(1 - D)", x: steps, y: saturating.d.map { max($0, floor) }),
            Series("non-saturating -log D", x: steps, y: nonSaturating.d.map { max($0, floor) }, dashed: true),
        ], logY: true)
        let figure = PlotGrid(title: "1-D GAN from b = \(formatNumber(s.startMean)) to N(\(formatNumber(s.realMean)), \(formatNumber(s.realStd))^2), SGD, same seed",
                              columns: 3, panels: [meanPanel, gradientPanel, dPanel], sharedAxes: false)
        try context.artifacts.write(figure.svg(), to: "training.svg")
    }
}
