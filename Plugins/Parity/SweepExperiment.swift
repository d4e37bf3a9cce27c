import Foundation
import PluginAPI

/// Experiment `sweep`: `train` for several d and seeds, in parallel on the worker pool; one
/// figure with every curve and a table of final loss and test accuracy per d. Its grid is a
/// named grid (`grid`): `host sweep Parity sweep --out DIR` runs the same points, each as its
/// own `host run Parity train`, with the same numbers.
enum SweepExperiment {
    /// `train` for every d of `--ds`, with `--seeds` seeds each (--seed, --seed + 1, ...).
    static let grid = ExperimentGrid(experiment: "train", axes: [.option("d", valuesFrom: "ds")], seedsOption: "seeds")

    static let declaration = Experiment(
        name: "sweep",
        summary: "Train for d = 5, 10, 30 (--ds) with several seeds in parallel: small d learns, d = 30 stays at chance",
        settings: Settings.self,
        metrics: [MetricSpec("runs", help: "training runs completed"),
                  MetricSpec("d{}_final_loss", goal: .lowerIsBetter, help: "final training loss at dimension d, mean over the seeds"),
                  MetricSpec("d{}_test_accuracy", goal: .higherIsBetter, help: "test accuracy at dimension d, mean over the seeds")],
        grid: grid, train: run)

    /// The dimensions, seeds per dimension, and `train`'s other options.
    struct Settings: ExperimentSettings {
        var ds = [5, 10, 30], seeds = 3
        var training = TrainExperiment.Settings()
        static let fields: [SettingField<Settings>] = [
            .integers("ds", \.ds, range: 1...64, help: "input dimensions"),
            .int("seeds", \.seeds, range: 1...100, help: "runs per d, with seeds seed, seed+1, ..."),
        ] + SettingField.nested(\.training, TrainExperiment.Settings.fields.filter { $0.name != "d" })
    }

    /// One point of the grid with the settings `host run Parity train` builds from its options.
    struct Run { var point: ExperimentGrid.Point, settings: TrainExperiment.Settings }

    static func run(_ context: RunContext, _ options: Settings) throws {
        let dims = options.ds
        let runs = try grid.points(context.options, seed: context.seed).map { point in
            Run(point: point, settings: try grid.settings(TrainExperiment.Settings.self, at: point, passing: context.options))
        }
        let jobs = runs.map { (d: $0.settings.d, seed: $0.point.seedIndex) }
        context.log("sweep: \(jobs.count) runs (d = \(dims.map(String.init).joined(separator: ", ")); \(options.seeds) seeds each), \(context.threads) at a time")
        let outcomes = try TrainingSweep.run(runs, unitsPerRun: options.training.iters, unit: .step, context: context,
                                             name: { "d = \($0.settings.d) seed \($0.point.seedIndex)" }) { run, watch in
            try TrainExperiment.train(run.settings, seed: run.point.seed, watch: watch)
        }
        try report(dims: dims, jobs: jobs, outcomes: outcomes, context: context)
        // Each run's numbers, with the seed `host run Parity train --d D --seed S` repeats it with.
        try context.artifacts.writeCSV("runs.csv", header: ["d", "seed", "final_loss", "test_accuracy"], rows: zip(runs, outcomes).map { run, outcome in
            [String(run.settings.d), String(run.point.seed), outcome.map { "\($0.finalLoss)" } ?? "", outcome.map { "\($0.testAccuracy)" } ?? ""]
        })
    }

    static func report(dims: [Int], jobs: [(d: Int, seed: Int)], outcomes: [TrainExperiment.Outcome?], context: RunContext) throws {
        var rows: [[String]] = []
        var accuracyMeans: [Double] = [], accuracySpreads: [Double] = []
        for d in dims {
            let done = zip(jobs, outcomes).filter { $0.0.d == d }.compactMap(\.1)
            let (lossMean, lossStd) = Statistics.meanAndStd(done.map(\.finalLoss))
            let (accMean, accStd) = Statistics.meanAndStd(done.map(\.testAccuracy))
            accuracyMeans.append(accMean); accuracySpreads.append(accStd)
            context.metrics.final("d\(d)_final_loss", lossMean)
            context.metrics.final("d\(d)_test_accuracy", accMean)
            rows.append([String(d), String(done.count), formatNumber(lossMean), formatNumber(lossStd), formatNumber(accMean), formatNumber(accStd)])
            context.log(String(format: "sweep: d = %2d: final loss %.4f ± %.4f, test accuracy %.4f ± %.4f over %d runs", d, lossMean, lossStd, accMean, accStd, done.count))
        }
        context.metrics.final("runs", Double(outcomes.compactMap { $0 }.count))
        try context.artifacts.writeCSV("sweep.csv", header: ["d", "runs", "final_loss_mean", "final_loss_std", "test_accuracy_mean", "test_accuracy_std"], rows: rows)
        let curves = zip(jobs, outcomes).compactMap { job, outcome in outcome.map { ("d = \(job.d), seed \(job.seed)", $0) } }
        try ParityPlots.lossCurve(curves, title: "Parity: hinge loss for each d and seed", context: context, file: "loss.svg")
        let bars = BarChart(title: "Test accuracy after training (mean ± std over seeds)", yLabel: "test accuracy",
                            categories: dims.map { "d = \($0)" }, series: [(name: "test accuracy", values: accuracyMeans, errors: accuracySpreads)])
        try context.artifacts.write(bars.svg(), to: "accuracy.svg")
    }
}
