import Foundation
import PluginAPI

/// Experiment `sweep`: the twelve runs of HW3 problem 2, ReLU/SiLU x BatchNorm/LayerNorm with
/// three seeds each, in parallel on the worker pool. Its grid is a named grid (`grid`):
/// `host sweep ResNet sweep --out DIR` runs the same twelve points, each as its own
/// `host run ResNet digits`, with the same numbers.
enum SweepExperiment {
    /// `digits` for each activation and normalisation, with `--seeds` seeds each (--seed,
    /// --seed + 1, ...); the combinations in the order of `combinations`.
    static let grid = ExperimentGrid(experiment: "digits", axes: [.option("act", values: ["relu", "silu"]), .option("norm", values: ["batch", "layer"])],
                                     seedsOption: "seeds")

    static let declaration = Experiment(
        name: "sweep",
        summary: "The twelve runs: ReLU/SiLU x BatchNorm/LayerNorm, 3 seeds each, in parallel; loss plots, a 4 x 3 grid and a table",
        settings: Settings.self,
        metrics: combinations.flatMap { combo in
            [MetricSpec("\(combo.key)_train_loss", goal: .lowerIsBetter, help: "\(combo.label): final training cross-entropy, mean over seeds"),
             MetricSpec("\(combo.key)_validation_loss", goal: .lowerIsBetter, help: "\(combo.label): final validation cross-entropy, mean over seeds"),
             MetricSpec("\(combo.key)_validation_accuracy", goal: .higherIsBetter, help: "\(combo.label): final validation accuracy, mean over seeds")]
        } + [MetricSpec("runs", help: "training runs completed")],
        grid: grid, train: run)

    /// The four combinations, in the order of the grid's rows.
    static let combinations: [(key: String, label: String, act: HW3ResNet.Activation, norm: HW3ResNet.Norm)] = [
        ("relu_batch", "ReLU + BatchNorm", .relu, .batch), ("relu_layer", "ReLU + LayerNorm", .relu, .layer),
        ("silu_batch", "SiLU + BatchNorm", .silu, .batch), ("silu_layer", "SiLU + LayerNorm", .silu, .layer),
    ]

    struct Job { var combination: Int, seed: Int }

    /// Seeds per combination, `digits`' training options (not the activation and normalisation,
    /// which the combinations set) and the data.
    struct Settings: ExperimentSettings {
        var seeds = 3
        var fit = FitAndValidate.Settings()
        var data = DigitsSplit.Source()
        static let fields: [SettingField<Settings>] = [.int("seeds", \.seeds, range: 1...100, help: "runs per combination, with seeds seed, seed+1, ...")]
            + SettingField.nested(\.fit, FitAndValidate.Settings.trainingFields) + SettingField.nested(\.data, DigitsSplit.Source.fields)
    }

    static func run(_ context: RunContext, _ options: Settings) throws {
        let (seeds, base) = (options.seeds, options.fit)
        let data = try DigitsSplit.load(options.data)
        // Each run's settings as `host run ResNet digits` builds them from the point's options.
        var runs: [(job: Job, seed: UInt64, settings: FitAndValidate.Settings)] = []
        for point in try grid.points(context.options, seed: context.seed) {
            let s = try grid.settings(DigitsExperiment.Settings.self, at: point, passing: context.options).fit
            guard let c = combinations.firstIndex(where: { $0.act == s.activation && $0.norm == s.norm }) else {
                throw PluginError.failure("the grid's point \(point.values) is not one of the sweep's combinations", hint: "this is a bug in the plugin")
            }
            runs.append((Job(combination: c, seed: point.seedIndex), point.seed, s))
        }
        let jobs = runs.map(\.job)
        context.log("sweep: \(jobs.count) runs of \(base.epochs) epochs on \(data.train.count) images, \(context.threads) at a time")
        let outcomes = try TrainingSweep.run(runs, unitsPerRun: base.epochs, unit: .epoch, context: context,
                                             name: { "\(combinations[$0.job.combination].label) seed \($0.job.seed)" }) { run, watch in
            let model = try FitAndValidate.makeModel(run.settings, data: data, seed: run.seed)
            return try FitAndValidate.run(model, data: data, settings: run.settings, watch: watch)
        }
        try report(jobs: jobs, outcomes: outcomes, seeds: seeds, context: context)
        // Each run's numbers, with the seed `host run ResNet digits --act A --norm N --seed S` repeats it with.
        try context.artifacts.writeCSV("runs.csv", header: ["act", "norm", "seed", "train_loss", "validation_loss", "validation_accuracy"],
                                       rows: zip(runs, outcomes).map { run, outcome in
            [run.settings.activation.rawValue, run.settings.norm.rawValue, String(run.seed)]
                + [\FitAndValidate.Point.trainLoss, \.validationLoss, \.validationAccuracy].map { key in outcome.map { "\($0.last[keyPath: key])" } ?? "" }
        })
    }

    static func report(jobs: [Job], outcomes: [FitAndValidate.Outcome?], seeds: Int, context: RunContext) throws {
        var rows: [[String]] = []
        var accuracy: (means: [Double], spreads: [Double]) = ([], [])
        for (c, combo) in combinations.enumerated() {
            let done = zip(jobs, outcomes).filter { $0.0.combination == c }.compactMap { $0.1?.last }
            let train = Statistics.meanAndStd(done.map(\.trainLoss)), validation = Statistics.meanAndStd(done.map(\.validationLoss))
            let acc = Statistics.meanAndStd(done.map(\.validationAccuracy))
            accuracy.means.append(acc.mean); accuracy.spreads.append(acc.std)
            context.metrics.final("\(combo.key)_train_loss", train.mean)
            context.metrics.final("\(combo.key)_validation_loss", validation.mean)
            context.metrics.final("\(combo.key)_validation_accuracy", acc.mean)
            rows.append([combo.label, String(done.count)] + [train, validation, acc].flatMap { [formatNumber($0.mean), formatNumber($0.std)] })
            context.log(String(format: "sweep: %@: train %.3f ± %.3f, validation %.3f ± %.3f, accuracy %.3f ± %.3f over %d runs",
                               combo.label, train.mean, train.std, validation.mean, validation.std, acc.mean, acc.std, done.count))
        }
        context.metrics.final("runs", Double(outcomes.compactMap { $0 }.count))
        try context.artifacts.writeCSV("sweep.csv", header: ["combination", "runs", "train_loss_mean", "train_loss_std", "validation_loss_mean",
                                                             "validation_loss_std", "validation_accuracy_mean", "validation_accuracy_std"], rows: rows)
        var panels: [LinePlot] = []
        for (job, outcome) in zip(jobs, outcomes) {
            let combo = combinations[job.combination]
            let title = "\(combo.label), seed \(job.seed)"
            let plot = outcome.map { ResNetPlots.lossPlot($0, title: title) }
                ?? LinePlot(title: title + " (failed)", xLabel: "epoch", yLabel: "mean cross-entropy", series: [])
            panels.append(plot)
            if outcome != nil { try context.artifacts.write(plot.svg(), to: "loss-\(combo.key)-seed\(job.seed).svg") }
        }
        let grid = PlotGrid(title: "hw3 ResNet on digits: cross-entropy per epoch (rows: combinations; columns: seeds)", columns: seeds, panels: panels)
        try context.artifacts.write(grid.svg(), to: "grid.svg")
        let bars = BarChart(title: "Validation accuracy after training (mean ± std over seeds)", yLabel: "validation accuracy",
                            categories: combinations.map(\.label), series: [(name: "validation accuracy", values: accuracy.means, errors: accuracy.spreads)])
        try context.artifacts.write(bars.svg(), to: "accuracy.svg")
    }
}
