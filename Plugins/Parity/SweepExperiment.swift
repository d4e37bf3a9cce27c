import Foundation
import PluginAPI

/// Experiment `sweep`: `train` for several d and seeds, in parallel on the worker pool; one
/// figure with every curve and a table of final loss and test accuracy per d.
enum SweepExperiment {
    static let declaration = Experiment(
        name: "sweep",
        summary: "Train for d = 5, 10, 30 (--ds) with several seeds in parallel: small d learns, d = 30 stays at chance",
        settings: Settings.self,
        metrics: [MetricSpec("runs", help: "training runs completed"),
                  MetricSpec("d{}_final_loss", goal: .lowerIsBetter, help: "final training loss at dimension d, mean over the seeds"),
                  MetricSpec("d{}_test_accuracy", goal: .higherIsBetter, help: "test accuracy at dimension d, mean over the seeds")],
        train: run)

    /// The dimensions, seeds per dimension, and `train`'s other options.
    struct Settings: ExperimentSettings {
        var ds = [5, 10, 30], seeds = 3
        var training = TrainExperiment.Settings()
        static let fields: [SettingField<Settings>] = [
            .integers("ds", \.ds, range: 1...64, help: "input dimensions"),
            .int("seeds", \.seeds, range: 1...100, help: "runs per d, with seeds seed, seed+1, ..."),
        ] + SettingField.nested(\.training, TrainExperiment.Settings.fields.filter { $0.name != "d" })
    }

    static func run(_ context: RunContext, _ options: Settings) throws {
        let (dims, seeds, settings) = (options.ds, options.seeds, options.training)
        guard !dims.isEmpty else { throw PluginError.invalidInput("--ds is empty", hint: "give the input dimensions, for example --ds 5,10,30") }
        let jobs = dims.flatMap { d in (0..<seeds).map { (d: d, seed: $0) } }
        context.log("sweep: \(jobs.count) runs (d = \(dims.map(String.init).joined(separator: ", ")); \(seeds) seeds each), \(context.threads) at a time")
        let outcomes = try TrainingSweep.run(jobs, unitsPerRun: settings.iters, unit: .step, context: context,
                                             name: { "d = \($0.d) seed \($0.seed)" }) { job, watch in
            var s = settings
            s.d = job.d
            return try TrainExperiment.train(s, seed: context.seed &+ UInt64(job.seed), watch: watch)
        }
        try report(dims: dims, jobs: jobs, outcomes: outcomes, context: context)
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
