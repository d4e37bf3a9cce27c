import Foundation
import PluginAPI

/// Experiment `cifar-linear` (CS189 HW7 problem 4): least-squares linear regression from the
/// 3,072 pixels (plus a bias) to one-hot labels, classifying by the largest output.
enum CIFARLinearExperiment {
    static let declaration = Experiment(
        name: "cifar-linear",
        summary: "Least-squares linear regression from pixels (+ bias) to one-hot labels on CIFAR-10; argmax accuracy on training and validation",
        settings: Settings.self,
        metrics: [
            MetricSpec("train_accuracy", goal: .higherIsBetter, help: "share of training images whose largest output is their class"),
            MetricSpec("validation_accuracy", goal: .higherIsBetter, help: "the same on the validation (test-batch) images"),
            MetricSpec("train_mse", goal: .lowerIsBetter, help: "mean squared error to the one-hot labels, per image (summed over the 10 outputs)"),
            MetricSpec("validation_mse", goal: .lowerIsBetter, help: "the same on the validation images"),
            MetricSpec("ridge", help: "the ridge actually added to X^T X"),
            MetricSpec("relative_residual", goal: .lowerIsBetter, help: "largest ||A w - b|| / ||b|| of the 10 normal-equation solves"),
        ],
        train: run)

    /// The ridge and the data.
    struct Settings: ExperimentSettings {
        var ridge = 0.0
        var data = CIFARSplit.Source()
        static let fields: [SettingField<Settings>] = [
            .double("ridge", \.ridge, min: 0, max: 1e6,
                    help: "ridge added to X^T X, relative to its mean diagonal (0: plain least squares; raised automatically when X^T X is singular)"),
        ] + SettingField.nested(\.data, CIFARSplit.Source.fields)
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let data = try CIFARSplit.load(settings.data)
        context.log("cifar-linear: \(data.description)")
        let moments = CIFARMoments(data.train)
        let (l, ridge, regularised) = moments.regularisedCholesky(relativeRidge: settings.ridge)
        let lt = DoubleLinearAlgebra.transpose(l)
        var weights = DMatrix(rows: CIFARMoments.d, columns: CIFARMoments.classes)
        var residual = 0.0
        for c in 0..<CIFARMoments.classes {
            let rhs = (0..<CIFARMoments.d).map { moments.cross[$0, c] }
            let w = DoubleLinearAlgebra.choleskySolve(l, transposed: lt, rhs)
            residual = max(residual, DoubleLinearAlgebra.relativeResidual(regularised, w, rhs))
            for i in 0..<CIFARMoments.d { weights.values[i * CIFARMoments.classes + c] = w[i] }
        }
        func score(_ set: ByteImages) -> (accuracy: Double, mse: Double, confusion: [[Double]]) {
            var (correct, squared) = (0.0, 0.0)
            var confusion = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 10)
            for (outputs, label) in zip(moments.project(set, weights), set.labels) {
                let y = zip(outputs, moments.labelMean).map { $0 + $1 }
                let guess = y.indices.max { y[$0] < y[$1] } ?? 0
                if guess == label { correct += 1 }
                confusion[label][guess] += 1
                squared += y.enumerated().reduce(0) { $0 + pow($1.element - ($1.offset == label ? 1 : 0), 2) }
            }
            return (correct / Double(max(set.count, 1)), squared / Double(max(set.count, 1)), confusion)
        }
        let train = score(data.train), validation = score(data.validation)
        context.metrics.final("train_accuracy", train.accuracy)
        context.metrics.final("validation_accuracy", validation.accuracy)
        context.metrics.final("train_mse", train.mse)
        context.metrics.final("validation_mse", validation.mse)
        context.metrics.final("ridge", ridge)
        context.metrics.final("relative_residual", residual)
        let map = Heatmap(title: "Linear least squares: validation confusion (rows: true class)", rowLabels: data.classNames,
                          columnLabels: data.classNames, values: validation.confusion)
        try context.artifacts.write(map.svg(), to: "confusion.svg")
    }
}
