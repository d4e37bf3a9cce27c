import Foundation
import PluginAPI

/// Experiment `lr-schemes` (CS189 HW7 problem 4(e)): the ResNet18 trained with the constant,
/// annealed and special learning-rate schemes in turn, as the starter's `TRAIN_NN_FLAG` does,
/// then a table comparing the three (the starter's DataFrame: train accuracy, validation
/// accuracy, epochs, train loss) and their curves on shared axes.
///
/// Unlike the starter, which builds each scheme's network from the advancing global RNG, every
/// scheme starts from the same initial weights and sees the same batches in the same order, so
/// the schemes are the only difference between the three runs.
enum LRSchemesExperiment {
    static let declaration = Experiment(
        name: "lr-schemes",
        summary: "HW7 4(e): train the ResNet18 with the constant, annealed and special learning rates in turn (same start, same batches) and compare them",
        settings: Settings.self,
        metrics: LearningRateScheme.allCases.flatMap { scheme in
            [MetricSpec("\(scheme.rawValue)_train_loss", goal: .lowerIsBetter, help: "\(scheme.rawValue): mean cross-entropy over the last epoch's batches"),
             MetricSpec("\(scheme.rawValue)_train_accuracy", goal: .higherIsBetter, help: "\(scheme.rawValue): last epoch's training accuracy"),
             MetricSpec("\(scheme.rawValue)_validation_accuracy", goal: .higherIsBetter, help: "\(scheme.rawValue): validation accuracy after the last epoch")]
        },
        train: run)

    /// What one scheme's run gave: its epochs and its steps.
    struct Outcome {
        var scheme: LearningRateScheme
        var history: [CIFARTraining.EpochRecord]
        var steps: [CIFARTraining.StepRecord]
    }

    /// The network, the epochs of each scheme, the batch and the data.
    struct Settings: ExperimentSettings {
        var architecture = ResNet18.Architecture.course
        var epochs = 1, batchSize = 128
        var data = CIFARSplit.Source()
        static let fields: [SettingField<Settings>] = [
            .choice("arch", \.architecture, help: "course: pre-activation, 64-64-128-256-256, [avg, max] head; standard: 64-128-256-512"),
            .int("epochs", \.epochs, range: 1...1000, help: "epochs for each scheme (1 as in the starter; the special scheme spans epochs + 3)"),
            .int("batch-size", \.batchSize, range: 1...4096, help: "images per SGD step"),
        ] + SettingField.nested(\.data, CIFARSplit.Source.fields)
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (architecture, epochs, batchSize) = (settings.architecture, settings.epochs, settings.batchSize)
        let data = try CIFARSplit.load(settings.data)
        context.log("lr-schemes: \(architecture.rawValue) ResNet18, \(epochs) epoch(s) per scheme, batch \(batchSize), \(data.description)")
        var outcomes: [Outcome] = []
        for scheme in LearningRateScheme.allCases {
            if context.isCancelled { break }
            // The same generator state for every scheme: the same initial weights.
            var generator = SeededGenerator(seed: context.seed)
            let model = ResNet18.make(architecture, generator: &generator)
            let optimizer = SGD(model.parameters(), lr: 0.001, momentum: 0.9)
            let settings = CIFARTraining.Settings(architecture: architecture, scheme: scheme, epochs: epochs, batchSize: batchSize, seed: context.seed)
            let state = CIFARTraining.State(architecture: architecture.rawValue, scheme: scheme.rawValue, epochs: epochs, batchSize: batchSize, seed: context.seed)
            var steps: [CIFARTraining.StepRecord] = []
            let final = try CIFARTraining.run(model, optimizer: optimizer, data: data, settings: settings, state: state, context: context,
                                              stepDone: { steps.append($0) }) { record, _ in
                context.log(String(format: "%@ epoch %d: train loss %.4f acc %.4f, validation loss %.4f acc %.4f, lr %.5f, %.1f s",
                                   scheme.rawValue, record.epoch, record.trainLoss, record.trainAccuracy,
                                   record.validationLoss, record.validationAccuracy, record.lr, record.seconds))
            }
            guard let last = final.history.last else { break }
            context.metrics.final("\(scheme.rawValue)_train_loss", last.trainLoss)
            context.metrics.final("\(scheme.rawValue)_train_accuracy", last.trainAccuracy)
            context.metrics.final("\(scheme.rawValue)_validation_accuracy", last.validationAccuracy)
            outcomes.append(Outcome(scheme: scheme, history: final.history, steps: steps))
        }
        guard !outcomes.isEmpty else { return }
        try writeComparison(outcomes, epochs: epochs, context: context)
        try writeCurves(outcomes, context: context)
    }

    /// The starter's comparison table (one row per scheme), logged and as `comparison.csv`;
    /// every step's rate and loss as `steps.csv`.
    static func writeComparison(_ outcomes: [Outcome], epochs: Int, context: RunContext) throws {
        let header = ["scheme", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "num_epochs", "seconds"]
        let rows: [[String]] = outcomes.compactMap { outcome in
            guard let last = outcome.history.last else { return nil }
            return [outcome.scheme.rawValue, formatNumber(last.trainLoss), formatNumber(last.trainAccuracy), formatNumber(last.validationLoss),
                    formatNumber(last.validationAccuracy), String(last.epoch), formatNumber(outcome.history.map(\.seconds).reduce(0, +))]
        }
        try context.artifacts.writeCSV("comparison.csv", header: header, rows: rows)
        let table = "Learning-rate schemes after \(epochs) epoch(s):\n" + TextTable.aligned([header] + rows, rightAligned: Set(1..<header.count))
        context.log(table)
        context.metrics.note("comparison", table)
        try context.artifacts.writeCSV("steps.csv", header: ["scheme", "step", "progress", "lr", "loss"],
                                       rows: outcomes.flatMap { outcome in
                                           outcome.steps.map { [outcome.scheme.rawValue, String($0.step), formatNumber($0.progress), formatNumber($0.lr), formatNumber($0.loss)] }
                                       })
    }

    /// The three schemes on shared axes: each step's batch loss (and its running mean over the
    /// epoch so far, as the starter prints), the rate of each step, and, per epoch, the
    /// validation accuracy.
    static func writeCurves(_ outcomes: [Outcome], context: RunContext) throws {
        func progress(_ o: Outcome) -> [Double] { o.steps.map(\.progress) }
        let losses = LinePlot(title: "ResNet18 on CIFAR-10: running mean of the training loss over each epoch", xLabel: "epoch", yLabel: "cross-entropy",
                              series: outcomes.map { Series($0.scheme.rawValue, x: progress($0), y: runningMeans($0.steps)) }, logY: true)
        try context.artifacts.write(losses.svg(), to: "loss.svg")
        let rates = LinePlot(title: "Learning rate of each step", xLabel: "epoch", yLabel: "learning rate",
                             series: outcomes.map { Series($0.scheme.rawValue, x: progress($0), y: $0.steps.map(\.lr)) })
        try context.artifacts.write(rates.svg(), to: "lr.svg")
        let accuracy = LinePlot(title: "Validation accuracy after each epoch", xLabel: "epoch", yLabel: "validation accuracy",
                                series: outcomes.map { Series($0.scheme.rawValue, x: $0.history.map { Double($0.epoch) }, y: $0.history.map(\.validationAccuracy), markers: true) })
        try context.artifacts.write(accuracy.svg(), to: "accuracy.svg")
    }

    /// The mean loss of each epoch's steps so far (restarting at each epoch), as the starter's
    /// running loss.
    static func runningMeans(_ steps: [CIFARTraining.StepRecord]) -> [Double] {
        var (sum, count, epoch) = (0.0, 0, -1)
        return steps.map { step in
            let e = Int(step.progress.rounded(.down))
            if e != epoch { (sum, count, epoch) = (0, 0, e) }
            sum += step.loss; count += 1
            return sum / Double(count)
        }
    }
}
