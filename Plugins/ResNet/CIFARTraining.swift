import Foundation
import PluginAPI

/// Training a ResNet18 on CIFAR-10 as CS189 HW7 problem 4 does: SGD with momentum 0.9 on
/// cross-entropy, shuffled augmented batches, a learning-rate scheme, and per epoch the
/// training loss and accuracy (over the epoch's batches, in training mode) and the validation
/// loss and accuracy (evaluation mode).
enum CIFARTraining {
    /// What one epoch gave.
    struct EpochRecord: Codable, Sendable {
        var epoch: Int
        var trainLoss: Double, trainAccuracy: Double
        var validationLoss: Double, validationAccuracy: Double
        /// The rate of the epoch's last step.
        var lr: Double
        var seconds: Double
    }

    /// Everything needed to continue a run: written to `checkpoint/state.json` each epoch.
    struct State: Codable, Sendable {
        var architecture: String
        var scheme: String
        var epochs: Int
        var batchSize: Int
        var seed: UInt64
        var completedEpochs = 0
        var step = 0
        var history: [EpochRecord] = []
    }

    struct Settings {
        var architecture: ResNet18.Architecture
        var scheme: LearningRateScheme
        var epochs: Int
        var batchSize: Int
        var seed: UInt64
        /// Stop after this many epochs (of `epochs`): a session of a longer run.
        var stopAfter: Int? = nil
    }

    /// One SGD step: its 0-based index over the run, its progress (epoch + batch / N), its rate
    /// and its batch's mean cross-entropy.
    struct StepRecord: Sendable {
        var step: Int, progress: Double, lr: Double, loss: Double
    }

    /// Trains from `state` (a fresh one or a resumed one) up to `settings.epochs`, calling
    /// `stepDone` after every step and `epochDone` after every epoch with the record and the
    /// updated state.
    static func run(_ model: Module, optimizer: SGD, data: CIFARSplit, settings s: Settings, state initial: State,
                    context: RunContext, stepDone: (StepRecord) -> Void = { _ in },
                    epochDone: (EpochRecord, State) throws -> Void) throws -> State {
        var state = initial
        let train = data.train
        let batches = (train.count + s.batchSize - 1) / s.batchSize
        let batcher = CIFARBatcher(augment: true, seed: s.seed)
        // Never past --epochs, and nothing at all when the state is already there.
        let epochs = TrainingLoop("training", total: min(s.epochs, s.stopAfter ?? s.epochs), unit: .epoch,
                                  watch: TrainingWatch(isCancelled: { context.isCancelled }), lossName: "training loss",
                                  divergenceHint: "use a gentler --lr-scheme (constant) or a smaller --batch-size")
        try epochs.run(from: state.completedEpochs, step: { completed in
            let epoch = completed - 1, clock = Stopwatch()
            var order = Array(0..<train.count)
            var shuffler = SeededGenerator(seed: s.seed, stream: 1000 + UInt64(epoch))
            order.shuffle(using: &shuffler)
            let batchSize = s.batchSize
            let prefetcher = BatchPrefetcher(count: batches) { [order] k in
                batcher.batch(train, indices: order[(k * batchSize)..<min((k + 1) * batchSize, order.count)], draw: UInt64(epoch) << 20 | UInt64(k))
            }
            model.train()
            var (lossSum, correct, seen) = (0.0, 0.0, 0)
            var lr = 0.0
            let steps = TrainingLoop("epoch \(completed)/\(s.epochs)", total: batches, unit: .batch, logEvery: batches,
                                     watch: TrainingWatch(isCancelled: { context.isCancelled }, progress: context.progress),
                                     lossName: "training loss of epoch \(completed)",
                                     divergenceHint: "use a gentler --lr-scheme (constant) or a smaller --batch-size")
            let report = try steps.run(step: { batch in
                guard let (x, labels) = prefetcher.nextBatch() else { steps.stop(); return nil }
                let progress = Double(epoch) + Double(batch - 1) / Double(batches)
                lr = s.scheme.rate(step: state.step, progress: progress, epochs: s.epochs)
                optimizer.lr = Float(lr)
                optimizer.zeroGrad()
                let logits = model(x)
                let loss = crossEntropy(logits, targets: labels)
                let value = Double(loss.item)
                guard value.isFinite else { return value }
                loss.backward()
                optimizer.step()
                stepDone(StepRecord(step: state.step, progress: progress, lr: lr, loss: value))
                state.step += 1
                lossSum += value * Double(labels.count)
                correct += accuracy(logits, targets: labels) * Double(labels.count)
                seen += labels.count
                return value
            })
            // A cancelled epoch is not recorded: a resumed run repeats it whole.
            if report.cancelled { throw CancellationError() }
            let (validationLoss, validationAccuracy) = evaluate(model, data.validation)
            let record = EpochRecord(epoch: completed, trainLoss: lossSum / Double(seen), trainAccuracy: correct / Double(seen),
                                     validationLoss: validationLoss, validationAccuracy: validationAccuracy, lr: lr,
                                     seconds: clock.seconds)
            state.completedEpochs = completed
            state.history.append(record)
            return record.trainLoss
        }, checkpoint: { _ in
            if let record = state.history.last { try epochDone(record, state) }
        })
        return state
    }

    /// Mean cross-entropy and accuracy on `set` in evaluation mode, without gradients, in
    /// batches of 250 (NaN for an empty set).
    static func evaluate(_ model: Module, _ set: ByteImages) -> (Double, Double) {
        guard set.count > 0 else { return (.nan, .nan) }
        let (lossSum, correct) = predictions(model, set) { logits, labels in
            (Double(crossEntropy(logits, targets: labels).item) * Double(labels.count), accuracy(logits, targets: labels) * Double(labels.count))
        }.reduce((0.0, 0.0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        return (lossSum / Double(set.count), correct / Double(set.count))
    }

    /// Counts of (true class, predicted class) on `set`.
    static func confusion(_ model: Module, _ set: ByteImages) -> [[Double]] {
        var counts = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 10)
        for pairs in predictions(model, set, { logits, labels in zip(labels, logits.argmax(axis: 1)).map { ($0, $1) } }) {
            for (truth, guess) in pairs { counts[truth][guess] += 1 }
        }
        return counts
    }

    /// `body(logits, labels)` for each batch of 250 of `set`, in evaluation mode.
    static func predictions<T>(_ model: Module, _ set: ByteImages, _ body: (Tensor, [Int]) -> T) -> [T] {
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        let batcher = CIFARBatcher(augment: false, seed: 0)
        return noGrad {
            stride(from: 0, to: set.count, by: 250).map { first in
                let (x, labels) = batcher.batch(set, indices: Array(first..<min(first + 250, set.count))[...], draw: 0)
                return body(model(x), labels)
            }
        }
    }
}
