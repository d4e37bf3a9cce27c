import Foundation
import PluginAPI

/// Experiment `cifar-fc` (problem 2): a one-hidden-layer ReLU network of width 128 without
/// biases on flattened CIFAR-10 images (3,072 inputs in [0, 1]), trained with SGD or Adam on
/// cross-entropy or on the squared error to one-hot labels; test accuracy after every epoch.
enum CIFARFCExperiment {
    static let declaration = Experiment(
        name: "cifar-fc",
        summary: "A width-128 ReLU network without bias on flattened CIFAR-10: SGD or Adam, cross-entropy or MSE; test accuracy per epoch",
        settings: Settings.self,
        metrics: [
            MetricSpec("test_accuracy", goal: .higherIsBetter, help: "test accuracy after the last epoch"),
            MetricSpec("best_test_accuracy", goal: .higherIsBetter, help: "best test accuracy over the epochs"),
            MetricSpec("final_train_loss", goal: .lowerIsBetter, help: "mean training loss over the last epoch's batches"),
            MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "training time"),
        ],
        train: run)

    /// The experiment's options: the optimizer and loss, the network and its training, the data.
    struct Settings: ExperimentSettings {
        var optimizer = OptimizerKind.sgd
        var loss = LossKind.ce
        /// The learning rate; 0 picks the optimizer's own (`learningRate`).
        var lr = 0.0
        var width = 128, epochs = 10, batchSize = 128
        var cifar = CIFARFolderSettings()
        var subsetTrain = 50_000, subsetTest = 10_000

        /// The update rule.
        enum OptimizerKind: String, CaseIterable, Sendable { case sgd, adam }
        /// The training loss: cross-entropy, or the squared error to one-hot labels.
        enum LossKind: String, CaseIterable, Sendable { case ce, mse }

        /// `lr` when given, else 0.05 for SGD and 0.001 for Adam.
        var learningRate: Float { lr > 0 ? Float(lr) : (optimizer == .adam ? 0.001 : 0.05) }

        static let fields: [SettingField<Settings>] = [
            .choice("optimizer", \.optimizer, help: "plain SGD, or Adam (PyTorch's defaults but the rate)"),
            .choice("loss", \.loss, help: "cross-entropy on the outputs, or mean squared error to one-hot labels"),
            .double("lr", \.lr, min: 0, max: 100, help: "learning rate (0: 0.05 for SGD, 0.001 for Adam)"),
            .int("width", \.width, range: 1...100_000, help: "hidden width"),
            .int("epochs", \.epochs, range: 1...1000, help: "passes over the training images"),
            .int("batch-size", \.batchSize, range: 1...50_000, help: "images per step"),
        ] + SettingField.nested(\.cifar, CIFARFolderSettings.fields) + [
            .int("subset-train", \.subsetTrain, range: 1...50_000, help: "use the first this many training images"),
            .int("subset-test", \.subsetTest, range: 1...10_000, help: "use the first this many test images"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let folder = try settings.cifar.requireFolder()
        let train = try CIFAR10.readTrainingBytes(folder: folder, limit: settings.subsetTrain)
        let test = try CIFAR10.readTestBytes(folder: folder, limit: settings.subsetTest)
        let (useAdam, useMSE, lr) = (settings.optimizer == .adam, settings.loss == .mse, settings.learningRate)
        let (epochs, batch, width) = (settings.epochs, settings.batchSize, settings.width)
        var generator = SeededGenerator(seed: context.seed)
        let network = Sequential(Linear(3072, width, bias: false, generator: &generator), ReLU(), Linear(width, 10, bias: false, generator: &generator))
        let optimizer: Optimizer = useAdam ? Adam(network.parameters(), lr: lr) : SGD(network.parameters(), lr: lr)
        context.log("cifar-fc: width \(width), \(useAdam ? "Adam" : "SGD") lr \(formatNumber(Double(lr))), \(useMSE ? "MSE to one-hot" : "cross-entropy"), "
                    + "\(train.count) training and \(test.count) test images from \(folder)")
        var lastLoss = Double.nan, accuracies: [Double] = []
        let batches = (train.count + batch - 1) / batch
        // One unit per batch: an epoch's first batch reshuffles, its last logs the epoch (metrics.csv
        // rows are numbered by epoch, so the loop's watch has no metrics of its own).
        var order: [Int] = []
        context.metrics.stepName = "epoch"
        let loop = TrainingLoop("cifar-fc", total: epochs * batches, logEvery: batches,
                                watch: TrainingWatch(isCancelled: { context.isCancelled }, progress: context.progress),
                                divergenceHint: "lower --lr (now \(formatNumber(Double(lr))))")
        let report = try loop.run(step: { step in
            let (epoch, k) = ((step - 1) / batches + 1, (step - 1) % batches)
            if k == 0 {
                order = Array(0..<train.count)
                var shuffler = SeededGenerator(seed: context.seed, stream: 500 + UInt64(epoch))
                order.shuffle(using: &shuffler)
            }
            let indices = Array(order[(k * batch)..<min((k + 1) * batch, order.count)])
            let x = train.rows(indices)
            let labels = indices.map { train.labels[$0] }
            optimizer.zeroGrad()
            let outputs = network(x)
            let loss = useMSE ? mseLoss(outputs, oneHot(labels)) : crossEntropy(outputs, targets: labels)
            let value = Double(loss.item)
            if value.isFinite { loss.backward(); optimizer.step() }
            return value
        }, log: { point in
            lastLoss = point.windowLoss
            let accuracy = testAccuracy(network, test)
            accuracies.append(accuracy)
            let values = [("train_loss", lastLoss), ("test_accuracy", accuracy)]
            context.metrics.log(step: point.step / batches, values)
            return values
        })
        context.metrics.final("test_accuracy", accuracies.last ?? .nan)
        context.metrics.final("best_test_accuracy", accuracies.max() ?? 0)
        context.metrics.final("final_train_loss", lastLoss)
        context.metrics.final("seconds", report.seconds)
        let plot = LinePlot(title: "Width-\(width) ReLU network on CIFAR-10 (\(useAdam ? "Adam" : "SGD"), \(useMSE ? "MSE" : "cross-entropy"))",
                            xLabel: "epoch", yLabel: "test accuracy",
                            series: [Series("test accuracy", x: accuracies.indices.map { Double($0 + 1) }, y: accuracies, markers: true)])
        try context.artifacts.write(plot.svg(), to: "accuracy.svg")
        // PyTorch's names: nn.Sequential(nn.Linear(3072, width, bias=False), nn.ReLU(), nn.Linear(width, 10, bias=False)).
        try network.save(to: try context.artifacts.makeFolder("checkpoint"))
    }

    static func oneHot(_ labels: [Int]) -> Tensor {
        let y = Tensor(zeros: [labels.count, 10])
        for (r, label) in labels.enumerated() { y[flat: r * 10 + label] = 1 }
        return y
    }

    static func testAccuracy(_ network: Module, _ set: ByteImages) -> Double {
        noGrad {
            stride(from: 0, to: set.count, by: 1000).reduce(0.0) { sum, first in
                let indices = Array(first..<min(first + 1000, set.count))
                return sum + accuracy(network(set.rows(indices)), targets: indices.map { set.labels[$0] }) * Double(indices.count)
            } / Double(max(set.count, 1))
        }
    }
}
