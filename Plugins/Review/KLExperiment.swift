import Foundation
import PluginAPI

/// Experiment `kl`: a Gaussian fitted to a two-mode mixture by forward and by reverse KL.
public enum KLExperiment {
    static let declaration = Experiment(
        name: "kl",
        summary: "Fit a Gaussian to a two-mode mixture by gradient descent on KL(P||Q) (mode-covering) and KL(Q||P) (mode-seeking)",
        settings: Settings.self,
        metrics: [
            MetricSpec("forward_mean"), MetricSpec("forward_std"), MetricSpec("reverse_mean"), MetricSpec("reverse_std"),
            MetricSpec("forward_moment_error", goal: .lowerIsBetter, help: "|fit - moment match| for the forward KL's mean and std"),
        ],
        train: run)

    /// The experiment's options: the mixture's two modes and the length of each fit.
    struct Settings: ExperimentSettings {
        var separation: Float = 2, width: Float = 0.6
        var steps = 3000
        static let fields: [SettingField<Settings>] = [
            .double("separation", \.separation, min: 0.1, max: 20, help: "the modes are at -separation and +separation"),
            .double("width", \.width, min: 0.05, max: 10, help: "standard deviation of each mode"),
            .int("steps", \.steps, range: 1...1_000_000, help: "Adam steps for each fit"),
        ]
    }

    /// Fits N(mu, sigma) on the grid `z` to the density `p` by Adam on the forward or reverse KL,
    /// reporting to `watch` (whose cancellation ends it early). Throws `PluginError.diverged` when
    /// the KL becomes NaN or infinite.
    public static func fit(p: Tensor, z: Tensor, dz: Float, forward: Bool, start: (Float, Float), steps: Int,
                           watch: TrainingWatch = .silent) throws -> (mean: Double, std: Double) {
        let mu = Tensor([start.0], shape: [1], requiresGrad: true), rho = Tensor([log(start.1)], shape: [1], requiresGrad: true)
        let optimizer = Adam([mu, rho], lr: 0.02)
        let logP = (p + 1e-30).log()
        let loop = TrainingLoop("kl: \(forward ? "forward" : "reverse") fit", total: steps, watch: watch, lossName: "KL",
                                divergenceHint: "try another --separation or --width")
        try loop.run(step: { _ in
            optimizer.zeroGrad()
            let sigma = rho.exp()
            let logQ = ((z - mu) / sigma).square() * -0.5 - rho - Float(0.5 * log(2 * Double.pi))
            // Forward: sum P (log P - log Q) dz; reverse: sum Q (log Q - log P) dz.
            let kl = forward ? (p * (logP - logQ)).sum() * dz : (logQ.exp() * (logQ - logP)).sum() * dz
            let value = Double(kl.item)
            if value.isFinite { kl.backward(); optimizer.step() }
            return value
        })
        return (Double(mu.item), Double(rho.exp().item))
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (a, s, steps) = (settings.separation, settings.width, settings.steps)
        let count = 2001, low = -4 * a - 6 * s, high = 4 * a + 6 * s
        let dz = (high - low) / Float(count - 1)
        let zs = (0..<count).map { low + Float($0) * dz }
        func normal(_ v: Float, _ m: Float, _ sd: Float) -> Float { exp(-0.5 * ((v - m) / sd) * ((v - m) / sd)) / (sd * Float(2 * Double.pi).squareRoot()) }
        let pValues = zs.map { 0.5 * normal($0, -a, s) + 0.5 * normal($0, a, s) }
        let (p, z) = (Tensor(pValues, shape: [count]), Tensor(zs, shape: [count]))
        let forward = try fit(p: p, z: z, dz: dz, forward: true, start: (0.5, 1), steps: steps, watch: TrainingWatch(context))
        // Reverse KL has a saddle between the modes; start on the right of it, as a random start would be.
        let reverse = try fit(p: p, z: z, dz: dz, forward: false, start: (0.75 * a, s), steps: steps, watch: TrainingWatch(context))
        // The forward KL's optimum matches moments: mean 0, variance s^2 + a^2.
        let momentStd = Double(s * s + a * a).squareRoot()
        context.metrics.final("forward_mean", forward.mean); context.metrics.final("forward_std", forward.std)
        context.metrics.final("reverse_mean", reverse.mean); context.metrics.final("reverse_std", reverse.std)
        context.metrics.final("forward_moment_error", max(abs(forward.mean), abs(forward.std - momentStd)))
        context.log("kl: forward KL(P||Q) fit: mean \(formatNumber(forward.mean, expected: 0)), std \(formatNumber(forward.std, expected: momentStd)): covers both modes")
        context.log("kl: reverse KL(Q||P) fit: mean \(formatNumber(reverse.mean, expected: Double(a))), std \(formatNumber(reverse.std, expected: Double(s))) (approximately): seeks one mode")
        let xs = zs.map(Double.init)
        func density(_ m: Double, _ sd: Double) -> [Double] { zs.map { Double(normal($0, Float(m), Float(sd))) } }
        let plot = LinePlot(title: "A Gaussian fitted to a two-mode mixture", xLabel: "z", yLabel: "density", series: [
            Series("P (mixture)", x: xs, y: pValues.map(Double.init)),
            Series("Q by forward KL(P||Q)", x: xs, y: density(forward.mean, forward.std), dashed: true),
            Series("Q by reverse KL(Q||P)", x: xs, y: density(reverse.mean, reverse.std), dashed: true),
        ])
        try context.artifacts.write(plot.svg(), to: "kl.svg")
    }
}
