import Foundation
import PluginAPI

/// The figures of the ResNet experiments.
enum ResNetPlots {
    /// Training and validation cross-entropy against the epoch (0 = before training).
    static func lossPlot(_ outcome: FitAndValidate.Outcome, title: String) -> LinePlot {
        let epochs = outcome.points.indices.map(Double.init)
        return LinePlot(title: title, xLabel: "epoch", yLabel: "mean cross-entropy",
                        series: [Series("train", x: epochs, y: outcome.points.map(\.trainLoss), markers: true),
                                 Series("validation", x: epochs, y: outcome.points.map(\.validationLoss), markers: true)])
    }

    static func lossCurves(_ outcome: FitAndValidate.Outcome, title: String, context: RunContext, file: String) throws {
        try context.artifacts.write(lossPlot(outcome, title: title).svg(), to: file)
    }

    /// Counts of (true class, predicted class) on `set`.
    static func confusionCounts(_ model: HW3ResNet, _ set: LabeledImages, classes: Int = 10) -> [[Double]] {
        model.eval()
        defer { model.train() }
        // In the evaluation's chunks: 10,000 MNIST images in one pass took 640 MB.
        var predicted: [Int] = []
        noGrad { FitAndValidate.forEachChunk(model, set) { _, logits in predicted += logits.argmax(axis: 1) } }
        var counts = [[Double]](repeating: [Double](repeating: 0, count: classes), count: classes)
        for (truth, guess) in zip(set.labels, predicted) { counts[truth][guess] += 1 }
        return counts
    }

    static func confusion(_ model: HW3ResNet, _ set: LabeledImages, title: String, context: RunContext, file: String) throws {
        let labels = (0..<10).map(String.init)
        let map = Heatmap(title: title, rowLabels: labels, columnLabels: labels, values: confusionCounts(model, set))
        try context.artifacts.write(map.svg(), to: file)
    }
}
