import Foundation
import PluginAPI

/// Experiment `cifar-resnet18` (CS189 HW7 problem 4): a ResNet18 trained on CIFAR-10 with SGD
/// (momentum 0.9), augmented batches and one of three learning-rate schemes; per-epoch losses,
/// accuracies and rate; a checkpoint every epoch; `--resume` and `host eval`.
enum CIFARResNet18Experiment {
    static let declaration = Experiment(
        name: "cifar-resnet18",
        summary: "Train the course's ResNet18 (or --arch standard) on CIFAR-10: SGD momentum 0.9, crop+flip augmentation, --lr-scheme",
        settings: Options.self,
        metrics: [
            MetricSpec("final_train_loss", goal: .lowerIsBetter, help: "mean cross-entropy over the last epoch's batches (training mode)"),
            MetricSpec("final_train_accuracy", goal: .higherIsBetter, help: "share of the last epoch's training images classified correctly"),
            MetricSpec("validation_loss", goal: .lowerIsBetter, help: "mean cross-entropy on the validation set after the last epoch"),
            MetricSpec("validation_accuracy", goal: .higherIsBetter, help: "validation accuracy after the last epoch"),
            MetricSpec("best_validation_accuracy", goal: .higherIsBetter, help: "best validation accuracy over the epochs"),
            MetricSpec("seconds_per_epoch", unit: "s", goal: .lowerIsBetter, help: "mean wall time of an epoch, validation included"),
        ],
        train: run, evaluate: evaluate)

    /// The experiment's options (`CIFARTraining.Settings` adds the seed).
    struct Options: ExperimentSettings {
        var architecture = ResNet18.Architecture.course
        var scheme = LearningRateScheme.special
        var epochs = 1, batchSize = 128
        var resume: String? = nil
        var stopAfter = 0
        var data = CIFARSplit.Source()
        static let fields: [SettingField<Options>] = [
            .choice("arch", \.architecture, help: "course: pre-activation, 64-64-128-256-256, [avg, max] head; standard: 64-128-256-512"),
            .choice("lr-scheme", \.scheme,
                    help: "constant 0.001; annealed 0.01 x 0.99^(step+1); special: the course's triangular schedule over epochs + 3"),
            .int("epochs", \.epochs, range: 1...1000, help: "epochs to train (in all, counting those of a resumed run); 1 as in the starter"),
            .int("batch-size", \.batchSize, range: 1...4096, help: "images per SGD step"),
            .path("resume", \.resume, help: "continue from this checkpoint (a run folder or its checkpoint/) up to --epochs"),
            .int("stop-after", \.stopAfter, range: 0...1000,
                 help: "stop after this many of the --epochs (0: train them all); --resume continues, on the same schedule"),
        ] + SettingField.nested(\.data, CIFARSplit.Source.fields)
    }

    static func run(_ context: RunContext, _ options: Options) throws {
        let settings = CIFARTraining.Settings(architecture: options.architecture, scheme: options.scheme, epochs: options.epochs,
                                              batchSize: options.batchSize, seed: context.seed,
                                              stopAfter: options.stopAfter == 0 ? nil : options.stopAfter)
        var state = CIFARTraining.State(architecture: settings.architecture.rawValue, scheme: settings.scheme.rawValue,
                                        epochs: settings.epochs, batchSize: settings.batchSize, seed: settings.seed)
        let model: Module
        let resume = try options.resume.map(CIFARCheckpoint.locate)
        if let resume {
            if let note = resume.note {
                context.log("note: " + note)
                context.metrics.note("resumed_from", note)
            }
            let (loaded, saved) = try CIFARCheckpoint.loadModel(resume.path)
            try checkCompatible(saved, with: settings, path: resume.path)
            (model, state) = (loaded, saved)
            if saved.epochs != settings.epochs && settings.scheme == .special {
                context.log("note: the checkpoint planned \(saved.epochs) epochs, now \(settings.epochs): the special schedule, which depends on the total, changes from here")
            }
            state.epochs = settings.epochs
        } else {
            var generator = SeededGenerator(seed: context.seed)
            model = ResNet18.make(settings.architecture, generator: &generator)
        }
        let optimizer = SGD(model.parameters(), lr: 0.001, momentum: 0.9)
        if let resume { try CIFARCheckpoint.loadMomentum(resume.path, into: optimizer) }
        let data = try CIFARSplit.load(options.data)
        context.log("cifar-resnet18: \(settings.architecture.rawValue) ResNet18 (\(model.parameterCount) parameters), lr scheme \(settings.scheme.rawValue), "
                    + "batch \(settings.batchSize), \(data.description)"
                    + (resume.map { ", resuming after epoch \(state.completedEpochs) from \($0.path)" } ?? ""))
        context.metrics.stepName = "epoch"
        for record in state.history { log(record, context: context) }
        let final = try CIFARTraining.run(model, optimizer: optimizer, data: data, settings: settings, state: state, context: context) { record, state in
            log(record, context: context)
            context.log(String(format: "epoch %d: train loss %.4f acc %.4f, validation loss %.4f acc %.4f, lr %.5f, %.1f s",
                               record.epoch, record.trainLoss, record.trainAccuracy, record.validationLoss, record.validationAccuracy, record.lr, record.seconds))
            try CIFARCheckpoint.save(model, optimizer: optimizer, state: state, context: context)
        }
        guard let last = final.history.last else { return }
        context.metrics.final("final_train_loss", last.trainLoss)
        context.metrics.final("final_train_accuracy", last.trainAccuracy)
        context.metrics.final("validation_loss", last.validationLoss)
        context.metrics.final("validation_accuracy", last.validationAccuracy)
        context.metrics.final("best_validation_accuracy", final.history.map(\.validationAccuracy).max() ?? .nan)
        let fresh = final.history.filter { $0.epoch > state.completedEpochs }
        if !fresh.isEmpty { context.metrics.final("seconds_per_epoch", fresh.map(\.seconds).reduce(0, +) / Double(fresh.count)) }
        try plots(final, settings: settings, batchesPerEpoch: (data.train.count + settings.batchSize - 1) / settings.batchSize, context: context)
        let map = Heatmap(title: "Validation confusion matrix (rows: true class)", rowLabels: data.classNames, columnLabels: data.classNames,
                          values: CIFARTraining.confusion(model, data.validation))
        try context.artifacts.write(map.svg(), to: "confusion.svg")
    }

    static func log(_ r: CIFARTraining.EpochRecord, context: RunContext) {
        context.metrics.log(step: r.epoch, [("train_loss", r.trainLoss), ("train_accuracy", r.trainAccuracy),
                                            ("validation_loss", r.validationLoss), ("validation_accuracy", r.validationAccuracy), ("lr", r.lr)])
    }

    static func checkCompatible(_ saved: CIFARTraining.State, with s: CIFARTraining.Settings, path: String) throws {
        guard saved.architecture == s.architecture.rawValue, saved.scheme == s.scheme.rawValue, saved.batchSize == s.batchSize else {
            throw PluginError.invalidInput("\(path) was trained with --arch \(saved.architecture) --lr-scheme \(saved.scheme) --batch-size \(saved.batchSize)",
                                           hint: "resume with the same --arch, --lr-scheme and --batch-size")
        }
        guard saved.completedEpochs < s.epochs else {
            throw PluginError.invalidInput("\(path) has already trained \(saved.completedEpochs) epochs, --epochs is \(s.epochs)",
                                           hint: "give --epochs above \(saved.completedEpochs) to train further")
        }
        // --stop-after counts epochs from the start of training, as --epochs does.
        if let stop = s.stopAfter, stop <= saved.completedEpochs {
            throw PluginError.invalidInput("--stop-after \(stop) is at or below the \(saved.completedEpochs) epochs \(path) has already trained",
                                           hint: "give --stop-after above \(saved.completedEpochs) (it counts from the first epoch, as --epochs does), or 0 to train to --epochs \(s.epochs)")
        }
    }

    static func plots(_ state: CIFARTraining.State, settings s: CIFARTraining.Settings, batchesPerEpoch: Int, context: RunContext) throws {
        let epochs = state.history.map { Double($0.epoch) }
        let losses = LinePlot(title: "ResNet18 (\(s.architecture.rawValue)) on CIFAR-10, lr \(s.scheme.rawValue): cross-entropy",
                              xLabel: "epoch", yLabel: "mean cross-entropy",
                              series: [Series("train", x: epochs, y: state.history.map(\.trainLoss), markers: true),
                                       Series("validation", x: epochs, y: state.history.map(\.validationLoss), markers: true)])
        try context.artifacts.write(losses.svg(), to: "loss.svg")
        let accuracies = LinePlot(title: "ResNet18 (\(s.architecture.rawValue)) on CIFAR-10: accuracy", xLabel: "epoch", yLabel: "accuracy",
                                  series: [Series("train", x: epochs, y: state.history.map(\.trainAccuracy), markers: true),
                                           Series("validation", x: epochs, y: state.history.map(\.validationAccuracy), markers: true)])
        try context.artifacts.write(accuracies.svg(), to: "accuracy.svg")
        let steps = s.epochs * batchesPerEpoch, every = max(1, steps / 400)
        let progress = stride(from: 0, to: steps, by: every).map { Double($0) / Double(batchesPerEpoch) }
        let rates = stride(from: 0, to: steps, by: every).map { s.scheme.rate(step: $0, progress: Double($0) / Double(batchesPerEpoch), epochs: s.epochs) }
        let schedule = LinePlot(title: "Learning rate (\(s.scheme.rawValue)), \(batchesPerEpoch) steps per epoch", xLabel: "epoch", yLabel: "learning rate",
                                series: [Series("lr", x: progress, y: rates)])
        try context.artifacts.write(schedule.svg(), to: "lr.svg")
    }

    /// `host eval ResNet cifar-resnet18 --checkpoint DIR`: validation loss, accuracy and confusion.
    static func evaluate(_ context: RunContext, _ options: Options, checkpoint: String) throws {
        let located = try CIFARCheckpoint.locate(checkpoint)
        if let note = located.note {
            context.log("note: " + note)
            context.metrics.note("checkpoint", note)
        }
        let (model, state) = try CIFARCheckpoint.loadModel(located.path)
        let data = try CIFARSplit.load(options.data, needTraining: false)
        context.log("evaluating the \(state.architecture) ResNet18 after epoch \(state.completedEpochs) on \(data.validation.count) validation images")
        let (loss, accuracy) = CIFARTraining.evaluate(model, data.validation)
        context.metrics.final("validation_loss", loss)
        context.metrics.final("validation_accuracy", accuracy)
        let map = Heatmap(title: "Validation confusion matrix (checkpoint, rows: true class)", rowLabels: data.classNames, columnLabels: data.classNames,
                          values: CIFARTraining.confusion(model, data.validation))
        try context.artifacts.write(map.svg(), to: "confusion.svg")
    }
}
