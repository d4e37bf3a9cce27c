import Foundation
import PluginAPI

/// The course's `fit_and_validate` for the hw3 ResNet: SGD on cross-entropy in fixed order, with
/// the mean training and validation losses measured in evaluation mode before the first epoch
/// and after each one.
public enum FitAndValidate {
    /// The settings of one run: `digits`' options (`sweep` takes the training ones and sets
    /// the activation and normalisation itself).
    public struct Settings: ExperimentSettings, Sendable {
        public var channels = 16, batch = 16, epochs = 30
        public var lr: Float = 0.005
        public var activation = HW3ResNet.Activation.relu
        public var norm = HW3ResNet.Norm.batch
        /// A folder of `.npy` parameters by PyTorch name to start from, instead of a seeded init.
        public var initWeights: String?

        public init() {}

        /// The network's width and the optimisation.
        public static let trainingFields: [SettingField<Settings>] = [
            .int("channels", \.channels, range: 1...512, help: "channels C of the network"),
            .double("lr", \.lr, max: 100, positive: true, help: "SGD learning rate"),
            .int("batch", \.batch, range: 1...100_000, help: "batch size (the last batch is smaller when it does not divide)"),
            .int("epochs", \.epochs, range: 0...10_000, help: "epochs; losses are measured before the first and after each"),
        ]
        public static let fields: [SettingField<Settings>] = trainingFields + [
            .choice("act", \.activation, help: "activation"),
            .choice("norm", \.norm, help: "BatchNorm2d, or LayerNorm over [C, H, W]"),
            .path("init-weights", \.initWeights,
                  help: "start from these weights: a folder of .npy files by PyTorch name (conv1.weight.npy, block.norm1.bias.npy, ...)"),
        ]

        /// "ReLU + BatchNorm" and the like.
        public var label: String {
            (activation == .relu ? "ReLU" : "SiLU") + " + " + (norm == .batch ? "BatchNorm" : "LayerNorm")
        }
    }

    /// The losses and accuracy at one point: index 0 is before training, then one per epoch.
    public struct Point: Sendable {
        public var trainLoss: Double, validationLoss: Double, validationAccuracy: Double
    }

    /// What one run produced.
    public struct Outcome: Sendable {
        public var points: [Point] = []
        public var seconds = 0.0
        /// How the training step ran per batch shape: replayed from its capture, or eagerly and why.
        public var stepMode = ""
        public var last: Point { points.last ?? Point(trainLoss: .nan, validationLoss: .nan, validationAccuracy: .nan) }
    }

    /// Builds the network for `data`'s image size, seeded or from `s.initWeights`.
    public static func makeModel(_ s: Settings, data: DigitsSplit, seed: UInt64) throws -> HW3ResNet {
        var generator = SeededGenerator(seed: seed)
        let model = HW3ResNet(channels: s.channels, activation: s.activation, norm: s.norm,
                              inputSize: (data.train.height, data.train.width), generator: &generator)
        if let folder = s.initWeights { try model.load(from: folder, parametersOnly: true) }
        return model
    }

    /// Trains `model` on `data`, measuring before the first epoch and after each one; the
    /// measurements go to `watch`'s metrics as rows 0, 1, ... (train_loss, validation_loss,
    /// validation_accuracy), and its cancellation ends the run after an epoch. Throws
    /// `PluginError.diverged` when a loss becomes NaN or infinite.
    ///
    /// With `threads` > 1 each measurement runs on a copy of the network taken at the end of
    /// its epoch, on a second thread, while the next epoch trains: the same numbers as measuring
    /// in line (the copy holds the same weights and running statistics), about a fifth less time.
    public static func run(_ model: HW3ResNet, data: DigitsSplit, settings s: Settings, threads: Int = 1,
                           watch: TrainingWatch = .silent) throws -> Outcome {
        let optimizer = SGD(model.parameters(), lr: s.lr)
        // zero_grad, cross-entropy, backward, step: captured once per batch shape, then replayed.
        let step = StepCapture(optimizer, state: model.namedBuffers().map(\.1)) { batch in
            crossEntropy(model(batch[0]), targets: batch[1])
        }
        let evaluator = threads > 1 ? BackgroundEvaluator(data: data) : nil
        var outcome = Outcome()
        watch.metrics?.stepName = "epoch"
        func record(_ epoch: Int, _ point: Point) throws {
            guard point.trainLoss.isFinite, point.validationLoss.isFinite else {
                throw PluginError.diverged("the loss became \(point.trainLoss) (training) / \(point.validationLoss) (validation) after epoch \(epoch)",
                                           hint: "lower --lr (now \(s.lr))")
            }
            outcome.points.append(point)
            watch.metrics?.log(step: epoch, [("train_loss", point.trainLoss), ("validation_loss", point.validationLoss),
                                             ("validation_accuracy", point.validationAccuracy)])
        }
        func measure(_ epoch: Int) throws {
            guard let evaluator else { return try record(epoch, evaluate(model, data)) }
            if let (previous, point) = evaluator.finish() { try record(previous, point) }
            evaluator.start(epoch: epoch, snapshot: try snapshot(of: model, settings: s, data: data))
        }
        try measure(0)
        let train = data.train
        let loop = TrainingLoop("digits \(s.label)", total: s.epochs, unit: .epoch, watch: TrainingWatch(isCancelled: watch.isCancelled, progress: watch.progress),
                                divergenceHint: "lower --lr (now \(s.lr))")
        let report = try loop.run(step: { _ in
            model.train()
            var (first, lossSum, batches) = (0, 0.0, 0)
            while first < train.count {
                let range = first..<min(first + s.batch, train.count)
                let labels = Tensor(train.labels[range].map { Float($0) }, shape: [range.count])
                lossSum += step(train.batch(range), labels)
                batches += 1
                first = range.upperBound
            }
            return lossSum / Double(max(batches, 1))
        }, log: { point in
            try measure(point.step)
            return []
        })
        if let evaluator, let (last, point) = evaluator.finish() { try record(last, point) }
        outcome.seconds = report.seconds
        outcome.stepMode = step.description
        return outcome
    }

    /// A copy of `model` with the same weights and running statistics.
    static func snapshot(of model: HW3ResNet, settings s: Settings, data: DigitsSplit) throws -> HW3ResNet {
        var generator = SeededGenerator(seed: 0)
        let copy = HW3ResNet(channels: s.channels, activation: s.activation, norm: s.norm,
                             inputSize: (data.train.height, data.train.width), generator: &generator)
        try copy.loadStateDict(Dictionary(uniqueKeysWithValues: model.stateDict()))
        return copy
    }

    /// Evaluates one snapshot at a time on a thread of its own.
    final class BackgroundEvaluator: @unchecked Sendable {
        let data: DigitsSplit
        let done = DispatchSemaphore(value: 0)
        /// The epoch being evaluated: read and written by the training thread only.
        var pendingEpoch: Int?
        /// The evaluation's result: written by the evaluating thread before it signals `done`,
        /// read by the training thread after waiting for it (ThreadSanitizer found the two
        /// sharing one variable).
        var result: Point?

        init(data: DigitsSplit) { self.data = data }

        func start(epoch: Int, snapshot: HW3ResNet) {
            pendingEpoch = epoch
            result = nil
            let box = UncheckedBox(snapshot)
            Thread.detachNewThread { [self] in
                result = FitAndValidate.evaluate(box.value, data)
                done.signal()
            }
        }

        /// Waits for the running evaluation, if any, and returns its epoch and result.
        func finish() -> (Int, Point)? {
            guard let epoch = pendingEpoch else { return nil }
            done.wait()
            pendingEpoch = nil
            return result.map { (epoch, $0) }
        }
    }

    /// Carries a non-Sendable value to another thread that becomes its only user.
    struct UncheckedBox<T>: @unchecked Sendable { let value: T; init(_ value: T) { self.value = value } }

    /// Mean cross-entropy on the training and validation sets and validation accuracy, in
    /// evaluation mode without gradients (one pass per set: the batch-size-weighted mean of
    /// per-batch means is the mean over all images).
    public static func evaluate(_ model: HW3ResNet, _ data: DigitsSplit) -> Point {
        model.eval()
        defer { model.train() }
        return noGrad {
            let (trainLoss, _) = lossAndAccuracy(model, data.train)
            let (validationLoss, accuracy) = lossAndAccuracy(model, data.validation)
            return Point(trainLoss: trainLoss, validationLoss: validationLoss, validationAccuracy: accuracy)
        }
    }

    /// Images per forward pass when measuring: as many as keep one layer's activations (the
    /// network's channels at the input's size, an upper bound) within 4M floats (16 MB), at most
    /// 2,048. The embedded digits (1,617 and 180 images) go in one pass; MNIST's 28 x 28 images
    /// with 16 channels go 334 at a time, so an evaluation beside training stays small next to
    /// the 188 MB of images (2,048 at a time took the run to 908 MB).
    static func evaluationChunk(channels: Int, imageSize: Int) -> Int {
        Swift.max(1, Swift.min(2048, (1 << 22) / Swift.max(1, channels * imageSize)))
    }

    /// Calls body(range, logits) with `model`'s logits for consecutive ranges of `set`, at most
    /// `evaluationChunk` images each, in order (call inside `noGrad`).
    static func forEachChunk(_ model: HW3ResNet, _ set: LabeledImages, _ body: (Range<Int>, Tensor) -> Void) {
        let chunk = evaluationChunk(channels: model.conv1.weight.shape[0], imageSize: set.height * set.width)
        for start in stride(from: 0, to: set.count, by: chunk) {
            let range = start..<min(start + chunk, set.count)
            body(range, model(set.batch(range)))
        }
    }

    /// Mean cross-entropy and accuracy of `model` on `set` (call inside `noGrad`): the
    /// size-weighted mean of the chunks' means.
    static func lossAndAccuracy(_ model: HW3ResNet, _ set: LabeledImages) -> (Double, Double) {
        guard set.count > 0 else { return (.nan, .nan) }
        var (lossSum, correct) = (0.0, 0.0)
        forEachChunk(model, set) { range, logits in
            let labels = Array(set.labels[range])
            lossSum += Double(crossEntropy(logits, targets: labels).item) * Double(range.count)
            correct += accuracy(logits, targets: labels) * Double(range.count)
        }
        return (lossSum / Double(set.count), correct / Double(set.count))
    }
}
