import Foundation
import PluginAPI

/// Experiment `throughput`: training and evaluation speed of a ResNet18 on random 32 x 32 x 3
/// batches (no data set needed), and the memory a training step takes. `bench/resnet18.py`
/// runs the same steps in PyTorch and prints the ratio.
enum ThroughputExperiment {
    static let declaration = Experiment(
        name: "throughput",
        summary: "Images per second of ResNet18 training steps (forward, backward, SGD) on random batches, one evaluation pass, peak memory",
        settings: Settings.self,
        metrics: [
            MetricSpec("train_images_per_second", unit: "img/s", goal: .higherIsBetter, help: "forward + backward + SGD step, mean over the timed steps"),
            MetricSpec("eval_seconds", unit: "s", goal: .lowerIsBetter, help: "one forward pass of a batch in evaluation mode without gradients"),
            MetricSpec("peak_tensor_mb", unit: "MB", goal: .lowerIsBetter, help: "most tensor memory alive at once during a training step"),
            MetricSpec("peak_rss_mb", unit: "MB", goal: .lowerIsBetter, help: "the process's peak resident memory (VmHWM)"),
            MetricSpec("parameters", help: "trainable parameters"),
        ],
        train: run)

    /// The network, the batch and the number of timed steps.
    struct Settings: ExperimentSettings {
        var architecture = ResNet18.Architecture.course
        var batchSize = 128, steps = 3
        static let fields: [SettingField<Settings>] = [
            .choice("arch", \.architecture, help: "the course's pre-activation ResNet18, or the standard one"),
            .int("batch-size", \.batchSize, range: 1...4096, help: "images per step"),
            .int("steps", \.steps, range: 1...10_000, help: "timed training steps (after one untimed warm-up step)"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (architecture, batch, steps) = (settings.architecture, settings.batchSize, settings.steps)
        var generator = SeededGenerator(seed: context.seed)
        let model = ResNet18.make(architecture, generator: &generator)
        let optimizer = SGD(model.parameters(), lr: 0.01, momentum: 0.9)
        let x = Tensor.normal([batch, 3, 32, 32], generator: &generator)
        let labels = (0..<batch).map { _ in Int(generator.next() % 10) }
        context.log("throughput: \(architecture.rawValue) ResNet18, batch \(batch), \(steps) timed steps, \(context.threads) threads")
        func step() -> Double {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(x), targets: labels)
            loss.backward()
            optimizer.step()
            return Double(loss.item)
        }
        _ = step()
        MemoryStats.resetPeak()
        let before = MemoryStats.currentBytes
        let loop = TrainingLoop("training steps", total: steps, watch: TrainingWatch(isCancelled: { context.isCancelled }, progress: context.progress),
                                divergenceHint: "the weights are random and the batch is noise: report it as a bug")
        let report = try loop.run(step: { _ in step() })
        let peakTensor = MemoryStats.peakBytes - before + model.parameterCount * 4 * 3
        model.eval()
        let evaluation = Stopwatch()
        _ = noGrad { model(x) }
        let evalSeconds = evaluation.seconds
        context.metrics.final("train_images_per_second", Double(batch * report.ran) / max(report.seconds, 1e-9))
        context.metrics.final("eval_seconds", evalSeconds)
        context.metrics.final("peak_tensor_mb", Double(peakTensor) / 1e6)
        if let rss = ProcessMemory.peakResidentBytes { context.metrics.final("peak_rss_mb", Double(rss) / 1e6) }
        context.metrics.final("parameters", Double(model.parameterCount))
    }
}
