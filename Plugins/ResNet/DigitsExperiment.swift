import Foundation
import PluginAPI

/// Experiment `digits` (HW3 problem 2): the hw3 ResNet trained on the digits with the course's
/// `fit_and_validate`; loss curves, validation accuracy, a confusion matrix and a checkpoint.
enum DigitsExperiment {
    static let declaration = Experiment(
        name: "digits",
        summary: "Train the hw3 ResNet on the 8x8 digits (first 180 = validation): losses before and after each epoch",
        options: options,
        metrics: [
            MetricSpec("final_train_loss", goal: .lowerIsBetter, help: "mean cross-entropy on the training set after the last epoch (evaluation mode)"),
            MetricSpec("final_validation_loss", goal: .lowerIsBetter, help: "mean cross-entropy on the validation set after the last epoch"),
            MetricSpec("validation_accuracy", goal: .higherIsBetter, help: "share of validation images classified correctly"),
            MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "wall time of fit_and_validate"),
            MetricSpec("peak_rss_mb", unit: "MB", goal: .lowerIsBetter, help: "the run's peak resident memory (VmHWM): images, model and evaluation"),
        ],
        train: run, evaluate: evaluate)

    /// Options shared with `sweep` (which sets act and norm itself).
    static let trainingOptions: [OptionSpec] = [
        .int("channels", default: 16, range: 1...512, help: "channels C of the network"),
        .double("lr", default: 0.005, max: 100, positive: true, help: "SGD learning rate"),
        .int("batch", default: 16, range: 1...100_000, help: "batch size (the last batch is smaller when it does not divide)"),
        .int("epochs", default: 30, range: 0...10_000, help: "epochs; losses are measured before the first and after each"),
    ]
    static let dataOptions: [OptionSpec] = [
        .path("digits-dir", help: "a folder of MNIST-style IDX files (*images-idx3-ubyte, *labels-idx1-ubyte) instead of the embedded digits"),
        .int("validation", default: 180, range: 1...10_000_000, help: "the first this many images are the validation set"),
    ]
    static let options: [OptionSpec] = trainingOptions + [
        .choice("act", ["relu", "silu"], default: "relu", help: "activation"),
        .choice("norm", ["batch", "layer"], default: "batch", help: "BatchNorm2d, or LayerNorm over [C, H, W]"),
        .path("init-weights", help: "start from these weights: a folder of .npy files by PyTorch name (conv1.weight.npy, block.norm1.bias.npy, ...)"),
    ] + dataOptions

    static func run(_ context: RunContext) throws {
        let settings = try FitAndValidate.Settings(context.options)
        let data = try DigitsSplit.load(folder: context.options.optionalString("digits-dir"), validation: try context.options.int("validation"))
        let model = try FitAndValidate.makeModel(settings, data: data, seed: context.seed)
        context.log("digits: \(settings.label), C = \(settings.channels), \(data.train.count) training and \(data.validation.count) validation images of \(data.train.height) x \(data.train.width) from \(data.source)")
        context.progress.begin("digits \(settings.label)", total: settings.epochs, unit: "epochs")
        let outcome = try FitAndValidate.run(model, data: data, settings: settings, threads: context.threads, isCancelled: { context.isCancelled }) { epoch, point in
            context.metrics.log(step: epoch, [("train_loss", point.trainLoss), ("validation_loss", point.validationLoss),
                                              ("validation_accuracy", point.validationAccuracy)])
            context.progress.update(completed: epoch, values: [("train", point.trainLoss), ("val", point.validationLoss)])
        }
        context.progress.end()
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
    static func evaluate(_ context: RunContext, checkpoint: String) throws {
        let data = try DigitsSplit.load(folder: context.options.optionalString("digits-dir"), validation: try context.options.int("validation"))
        let model = try Checkpoint.load(checkpoint, data: data)
        let point = FitAndValidate.evaluate(model, data)
        context.metrics.final("final_train_loss", point.trainLoss)
        context.metrics.final("final_validation_loss", point.validationLoss)
        context.metrics.final("validation_accuracy", point.validationAccuracy)
        try ResNetPlots.confusion(model, data.validation, title: "Validation confusion matrix (checkpoint)", context: context, file: "confusion.svg")
        if let rss = ProcessMemory.peakResidentBytes { context.metrics.final("peak_rss_mb", Double(rss) / 1e6) }
    }
}
