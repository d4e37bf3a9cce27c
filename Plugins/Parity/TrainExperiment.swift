import Foundation
import PluginAPI

/// Experiment `train` (problem 3b): a two-layer ReLU network learning parity with SGD on the
/// hinge loss, a fresh batch every step.
public enum TrainExperiment {
    public static let declaration = Experiment(
        name: "train",
        summary: "Train the two-layer ReLU network (k = width-factor x d) on parity with SGD + momentum and the hinge loss",
        settings: Settings.self,
        metrics: [
            MetricSpec("final_loss", goal: .lowerIsBetter, help: "mean hinge loss over the last logging window"),
            MetricSpec("test_accuracy", goal: .higherIsBetter, help: "accuracy on --test-samples fresh inputs"),
            MetricSpec("steps_per_second", unit: "steps/s", goal: .higherIsBetter),
        ],
        train: run)

    /// The settings of one training run: the experiment's options.
    public struct Settings: ExperimentSettings {
        public var d = 30, iters = 50_000, batch = 100, lr: Float = 0.001, momentum: Float = 0.9
        public var widthFactor = 10, logEvery = 200, testSamples = 10_000

        public init() {}

        public static let fields: [SettingField<Settings>] = [
            .int("d", \.d, range: 1...64, help: "input dimension"),
            .int("iters", \.iters, range: 1...100_000_000, help: "SGD steps, each on a fresh batch"),
            .int("batch", \.batch, range: 1...100_000, help: "batch size"),
            .double("lr", \.lr, max: 1e6, positive: true, help: "learning rate"),
            .double("momentum", \.momentum, min: 0, max: 0.999, help: "SGD momentum"),
            .int("width-factor", \.widthFactor, range: 1...1000, help: "hidden units k = width-factor x d"),
            .int("log-every", \.logEvery, range: 1...1_000_000, help: "log the loss every this many steps"),
            .int("test-samples", \.testSamples, range: 1...10_000_000, help: "fresh inputs for the final accuracy"),
        ]
    }

    /// What one run produced.
    public struct Outcome {
        /// (step, mean loss over the window ending there, running mean over all steps).
        public var curve: [(step: Int, loss: Double, runningMean: Double)] = []
        public var testAccuracy = 0.0
        public var seconds = 0.0
        /// The trained network.
        public var network: Module?
        /// How the training step ran: replayed from its capture, or eagerly and why (`StepCapture`).
        public var stepMode = ""
        public var finalLoss: Double { curve.last?.loss ?? .nan }
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let outcome = try train(settings, seed: context.seed, watch: TrainingWatch(context))
        context.metrics.final("final_loss", outcome.finalLoss)
        context.metrics.final("test_accuracy", outcome.testAccuracy)
        context.metrics.final("steps_per_second", Double(outcome.curve.last?.step ?? 0) / max(outcome.seconds, 1e-9))
        context.log(String(format: "train: d = %d, final loss %.4f, test accuracy %.4f (%.1f s)", settings.d, outcome.finalLoss,
                           outcome.testAccuracy, outcome.seconds))
        context.log("train: the step for input shapes \(outcome.stepMode.replacingOccurrences(of: "\n", with: "; "))")
        try ParityPlots.lossCurve([("d = \(settings.d)", outcome)], title: "Parity, d = \(settings.d): hinge loss", context: context, file: "loss.svg")
        // The weights by PyTorch's names (hidden.weight, hidden.bias, output.weight, output.bias).
        try outcome.network?.save(to: try context.artifacts.makeFolder("checkpoint"))
    }

    /// Trains one network, logging the window and running mean losses every `logEvery` steps to
    /// `watch` (whose cancellation ends the run early). Throws `PluginError.diverged` when the
    /// loss becomes NaN or infinite. `model` builds another network than the two-layer ReLU
    /// one; `inspect(step, model)` runs at every logging step after the update, while the
    /// gradients are still there.
    public static func train(_ s: Settings, seed: UInt64, model: ((inout SeededGenerator) -> Module)? = nil,
                             watch: TrainingWatch = .silent, inspect: (Int, Module) -> Void = { _, _ in }) throws -> Outcome {
        var generator = SeededGenerator(seed: seed)
        let data = ParityData(d: s.d, generator: &generator)
        let network: Module = model?(&generator) ?? TwoLayerReLU(d: s.d, hidden: s.widthFactor * s.d, generator: &generator)
        let optimizer = SGD(network.parameters(), lr: s.lr, momentum: s.momentum)
        let x = Tensor.zeros([s.batch, s.d]), y = Tensor.zeros([s.batch])
        // The course's step (zero_grad, hinge loss, backward, step), captured once and replayed; the
        // batch's two halves go forward and backward at once, on two threads when there are two.
        let step = StepCapture(optimizer, parts: 2) { batch in
            hingeLoss(network(batch[0]).reshape([batch[1].count]), batch[1])
        }
        var outcome = Outcome()
        let loop = TrainingLoop("train d=\(s.d)", total: s.iters, logEvery: s.logEvery, watch: watch,
                                divergenceHint: "lower --lr (now \(s.lr))")
        let report = try loop.run(step: { _ in
            data.sample(into: x, labels: y, generator: &generator)
            return step(x, y)
        }, log: { point in
            outcome.curve.append((point.step, point.windowLoss, point.runningLoss))
            inspect(point.step, network)
            return [("loss", point.windowLoss), ("running_mean_loss", point.runningLoss)]
        })
        outcome.seconds = report.seconds
        outcome.stepMode = step.description
        outcome.testAccuracy = accuracy(network, data: data, samples: s.testSamples, generator: &generator)
        outcome.network = network
        return outcome
    }

    /// Share of fresh inputs where sign f(x) = y.
    static func accuracy(_ network: Module, data: ParityData, samples: Int, generator: inout SeededGenerator) -> Double {
        let chunk = 1000
        var correct = 0, seen = 0
        while seen < samples {
            let n = min(chunk, samples - seen)
            let x = Tensor.zeros([n, data.d]), y = Tensor.zeros([n])
            data.sample(into: x, labels: y, generator: &generator)
            let f = noGrad { network(x) }
            for i in 0..<n where (f[flat: i] >= 0 ? 1 : -1) == y[flat: i] { correct += 1 }
            seen += n
        }
        return Double(correct) / Double(samples)
    }
}

/// f(x) = output(relu(hidden(x))): Linear(d, k) with bias, ReLU, Linear(k, 1) with bias,
/// PyTorch's default initialisation.
public final class TwoLayerReLU: Module {
    public let hidden: Linear, output: Linear

    public init(d: Int, hidden k: Int, generator: inout SeededGenerator) {
        hidden = Linear(d, k, generator: &generator)
        output = Linear(k, 1, generator: &generator)
    }

    public override func forward(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
}
