import Foundation
import PluginAPI

/// Experiment `digits` (HW3 problem 2): the hw3 ResNet trained on the digits with the course's
/// `fit_and_validate`; loss curves, validation accuracy, a confusion matrix and a checkpoint.
enum DigitsExperiment {
    static let declaration = Experiment(
        name: "digits",
        summary: "Train the hw3 ResNet on the 8x8 digits (first 180 = validation): losses before and after each epoch",
        settings: Settings.self,
        metrics: [
            MetricSpec("final_train_loss", goal: .lowerIsBetter, help: "mean cross-entropy on the training set after the last epoch (evaluation mode)"),
            MetricSpec("final_validation_loss", goal: .lowerIsBetter, help: "mean cross-entropy on the validation set after the last epoch"),
            MetricSpec("validation_accuracy", goal: .higherIsBetter, help: "share of validation images classified correctly"),
            MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "wall time of fit_and_validate"),
            MetricSpec("peak_rss_mb", unit: "MB", goal: .lowerIsBetter, help: "the run's peak resident memory (VmHWM): images, model and evaluation"),
        ],
        train: run, evaluate: evaluate)

    /// The network and its training, and the data.
    struct Settings: ExperimentSettings {
        var fit = FitAndValidate.Settings()
        var data = DigitsSplit.Source()
        static let fields = SettingField.nested(\Settings.fit, FitAndValidate.Settings.fields)
            + SettingField.nested(\Settings.data, DigitsSplit.Source.fields)
    }

    static func run(_ context: RunContext, _ options: Settings) throws {
        let settings = options.fit
        let data = try DigitsSplit.load(options.data)
        let model = try FitAndValidate.makeModel(settings, data: data, seed: context.seed)
        context.log("digits: \(settings.label), C = \(settings.channels), \(data.train.count) training and \(data.validation.count) validation images of \(data.train.height) x \(data.train.width) from \(data.source)")
        let outcome = try FitAndValidate.run(model, data: data, settings: settings, threads: context.threads, watch: TrainingWatch(context))
        context.log("digits: the step for input shapes \(outcome.stepMode.replacingOccurrences(of: "\n", with: "; "))")
        let last = outcome.last
        context.metrics.final("final_train_loss", last.trainLoss)
        context.metrics.final("final_validation_loss", last.validationLoss)
        context.metrics.final("validation_accuracy", last.validationAccuracy)
        context.metrics.final("seconds", outcome.seconds)
        try ResNetPlots.lossCurves(outcome, title: "hw3 ResNet on digits, \(settings.label): cross-entropy", context: context, file: "loss.svg")
        try ResNetPlots.confusion(model, data.validation, title: "Validation confusion matrix, \(settings.label)", context: context, file: "confusion.svg")
        try Checkpoint.save(model, settings: settings, imageSize: (data.train.height, data.train.width), context: context)
        if let rss = ProcessMemory.peakResidentBytes { context.metrics.final("peak_rss_mb", Double(rss) / 1e6) }
    }

    /// `host eval ResNet digits --checkpoint DIR`: the saved model on the validation set.
    static func evaluate(_ context: RunContext, _ options: Settings, checkpoint: String) throws {
        let data = try DigitsSplit.load(options.data)
        let model = try Checkpoint.load(checkpoint, data: data)
        let point = FitAndValidate.evaluate(model, data)
        context.metrics.final("final_train_loss", point.trainLoss)
        context.metrics.final("final_validation_loss", point.validationLoss)
        context.metrics.final("validation_accuracy", point.validationAccuracy)
        try ResNetPlots.confusion(model, data.validation, title: "Validation confusion matrix (checkpoint)", context: context, file: "confusion.svg")
        if let rss = ProcessMemory.peakResidentBytes { context.metrics.final("peak_rss_mb", Double(rss) / 1e6) }
    }
}
