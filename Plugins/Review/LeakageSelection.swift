import Foundation
import PluginAPI

/// Experiment `leakage-selection`: the same mistake as the sheet's problem 6.2 (information from the
/// validation side reaches training before the split), made where no reader can miss it. On pure
/// noise, choosing the features most correlated with the label on all the data and then
/// cross-validating scores far above chance; choosing them inside each training fold scores chance.
public enum LeakageSelection {
    /// Data sets the experiment repeats over by default (`--repeats`).
    public static let defaultRepeats = 20

    /// The largest data set (samples x features) a run accepts: 160 MB of doubles.
    public static let maxValues = 20_000_000

    static let declaration = Experiment(
        name: "leakage-selection",
        summary: "Feature selection before cross-validation on pure noise: leaky (select on all data) against honest (select inside each fold), over seeds",
        settings: RepeatedSettings.self,
        metrics: [
            MetricSpec("leaky_accuracy", help: "mean cross-validated accuracy, features selected on all the data"),
            MetricSpec("leaky_standard_error", help: "standard error of that mean over the repeats"),
            MetricSpec("honest_accuracy", help: "mean cross-validated accuracy, features selected inside each training fold"),
            MetricSpec("honest_standard_error", help: "standard error of that mean over the repeats"),
            MetricSpec("effect_standard_errors", help: "(leaky - honest) / sqrt(se_leaky^2 + se_honest^2)"),
            MetricSpec("honest_from_chance_standard_errors", help: "(honest - 0.5) / se_honest"),
        ],
        train: run)

    /// The sizes of one data set and of its cross-validation: the experiment's first options.
    public struct Settings: ExperimentSettings, Sendable {
        /// Samples (rows).
        public var samples = 100
        /// Noise features (columns).
        public var features = 5_000
        /// Features kept by the selection.
        public var keep = 20
        /// Cross-validation folds.
        public var folds = 5
        /// The options' defaults.
        public init() {}
        /// Creates settings; see the experiment's options for their meaning.
        public init(samples: Int, features: Int, keep: Int, folds: Int) {
            self.samples = samples; self.features = features; self.keep = keep; self.folds = folds
        }

        /// The options, in the order `host help` lists them.
        public static let fields: [SettingField<Settings>] = [
            .int("samples", \.samples, range: 4...10_000, help: "samples per data set (labels: half 0, half 1, in random order)"),
            .int("features", \.features, range: 1...200_000, help: "Gaussian noise features per sample (none is related to the label)"),
            .int("keep", \.keep, range: 1...10_000, help: "features kept: the ones with the largest |correlation| with the label"),
            .int("folds", \.folds, range: 2...100, help: "cross-validation folds (stratified: each holds both labels in proportion)"),
        ]
    }

    /// The experiment's options: one data set's settings and how many data sets to repeat over.
    struct RepeatedSettings: ExperimentSettings {
        var dataSet = Settings()
        var repeats = defaultRepeats
        static let fields: [SettingField<RepeatedSettings>] = SettingField.nested(\.dataSet, Settings.fields) + [
            .int("repeats", \.repeats, range: 2...1_000, help: "data sets (seeds) to repeat over, for the means and standard errors"),
        ]
    }

    /// A data set: `x` row-major, `samples` x `features`; `y` the labels 0/1.
    public struct NoiseData: Sendable {
        /// Features, row-major.
        public var x: [Double]
        /// Labels, 0 or 1.
        public var y: [Int]
        /// Columns of `x`.
        public var features: Int
    }

    /// Standard normal features and labels half 0, half 1 in random order: nothing to learn.
    public static func noise(samples: Int, features: Int, generator g: inout SeededGenerator) -> NoiseData {
        let x = (0..<samples * features).map { _ in g.nextNormal() }
        var y = (0..<samples).map { $0 % 2 }
        y.shuffle(using: &g)
        return NoiseData(x: x, y: y, features: features)
    }

    /// A fold for each sample, 0..<folds, dealt round-robin within each label after a shuffle, so
    /// every fold holds the labels in the proportions of the whole set.
    public static func stratifiedFolds(labels: [Int], folds: Int, generator g: inout SeededGenerator) -> [Int] {
        var fold = [Int](repeating: 0, count: labels.count)
        var next = 0
        for label in Set(labels).sorted() {
            var members = labels.indices.filter { labels[$0] == label }
            members.shuffle(using: &g)
            for i in members { fold[i] = next % folds; next += 1 }
        }
        return fold
    }

    /// The `keep` features with the largest |Pearson correlation| with the label over `rows`
    /// (ties and constant columns: the lower index first).
    public static func selectFeatures(_ data: NoiseData, rows: [Int], keep: Int) -> [Int] {
        let p = data.features, n = Double(rows.count)
        var sx = [Double](repeating: 0, count: p), sxx = sx, sxy = sx
        var sy = 0.0, syy = 0.0
        for r in rows {
            let yr = Double(data.y[r]), base = r * p
            sy += yr; syy += yr * yr
            for j in 0..<p {
                let v = data.x[base + j]
                sx[j] += v; sxx[j] += v * v; sxy[j] += v * yr
            }
        }
        let varY = syy - sy * sy / n
        let score = (0..<p).map { j -> Double in
            let cov = sxy[j] - sx[j] * sy / n, varX = sxx[j] - sx[j] * sx[j] / n
            return varX > 0 && varY > 0 ? abs(cov) / (varX * varY).squareRoot() : 0
        }
        return Array((0..<p).sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }.prefix(keep))
    }

    /// Accuracy on `test` of the nearest class centroid (Euclidean, on `columns`) fitted on `train`.
    public static func nearestCentroidAccuracy(_ data: NoiseData, columns: [Int], train: [Int], test: [Int]) -> Double {
        var centroid = [[Double]](repeating: [Double](repeating: 0, count: columns.count), count: 2)
        var count = [0, 0]
        for r in train {
            let c = data.y[r]
            count[c] += 1
            for (k, j) in columns.enumerated() { centroid[c][k] += data.x[r * data.features + j] }
        }
        for c in 0..<2 where count[c] > 0 { centroid[c] = centroid[c].map { $0 / Double(count[c]) } }
        var correct = 0
        for r in test {
            let d = (0..<2).map { c in
                count[c] == 0 ? Double.infinity
                    : columns.enumerated().reduce(0.0) { s, e in let t = data.x[r * data.features + e.1] - centroid[c][e.0]; return s + t * t }
            }
            if (d[1] < d[0] ? 1 : 0) == data.y[r] { correct += 1 }
        }
        return test.isEmpty ? 0 : Double(correct) / Double(test.count)
    }

    /// Cross-validated accuracy (pooled over the folds) with the features chosen on all the data
    /// (`leaky`) or on each training fold alone (honest).
    public static func crossValidate(_ data: NoiseData, fold: [Int], folds: Int, keep: Int, leaky: Bool) -> Double {
        let everything = Array(data.y.indices)
        let global = leaky ? selectFeatures(data, rows: everything, keep: keep) : []
        var correct = 0.0
        for f in 0..<folds {
            let test = everything.filter { fold[$0] == f }, train = everything.filter { fold[$0] != f }
            guard !test.isEmpty else { continue }
            let columns = leaky ? global : selectFeatures(data, rows: train, keep: keep)
            correct += nearestCentroidAccuracy(data, columns: columns, train: train, test: test) * Double(test.count)
        }
        return correct / Double(data.y.count)
    }

    /// Both accuracies on one fresh noise data set drawn from `seed`, with the same folds.
    public static func replicate(_ s: Settings, seed: UInt64) -> (leaky: Double, honest: Double) {
        var g = SeededGenerator(seed: seed)
        let data = noise(samples: s.samples, features: s.features, generator: &g)
        let fold = stratifiedFolds(labels: data.y, folds: s.folds, generator: &g)
        return (crossValidate(data, fold: fold, folds: s.folds, keep: s.keep, leaky: true),
                crossValidate(data, fold: fold, folds: s.folds, keep: s.keep, leaky: false))
    }

    /// The accuracies of `repeats` data sets (their seeds drawn from `seed`), with means and standard errors.
    public struct Summary: Sendable {
        /// Per data set: its seed and the leaky and honest accuracies.
        public var runs: [(seed: UInt64, leaky: Double, honest: Double)]
        /// Mean and standard error (sample standard deviation / sqrt(repeats)) of the leaky accuracies.
        public var leaky: (mean: Double, standardError: Double)
        /// The same for the honest accuracies.
        public var honest: (mean: Double, standardError: Double)
        /// (leaky - honest) in standard errors of the difference.
        public var effect: Double { (leaky.mean - honest.mean) / (leaky.standardError * leaky.standardError + honest.standardError * honest.standardError).squareRoot() }
        /// (honest - 0.5) in standard errors of the honest mean.
        public var honestFromChance: Double { (honest.mean - 0.5) / honest.standardError }
    }

    /// Runs `repeats` replicates, each on its own data set.
    public static func summarize(_ s: Settings, repeats: Int, seed: UInt64) -> Summary {
        var g = SeededGenerator(seed: seed)
        let runs = (0..<repeats).map { _ -> (seed: UInt64, leaky: Double, honest: Double) in
            let r = g.next()
            let a = replicate(s, seed: r)
            return (r, a.leaky, a.honest)
        }
        func stats(_ v: [Double]) -> (mean: Double, standardError: Double) {
            let m = v.reduce(0, +) / Double(v.count)
            let variance = v.count > 1 ? v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1) : 0
            return (m, (variance / Double(v.count)).squareRoot())
        }
        return Summary(runs: runs, leaky: stats(runs.map(\.leaky)), honest: stats(runs.map(\.honest)))
    }

    static func run(_ context: RunContext, _ settings: RepeatedSettings) throws {
        let (s, repeats) = (settings.dataSet, settings.repeats)
        guard s.keep <= s.features else {
            throw PluginError.invalidInput("--keep \(s.keep) is more than the \(s.features) features", hint: "use --keep at most --features")
        }
        guard s.folds * 2 <= s.samples else {
            throw PluginError.invalidInput("--folds \(s.folds) needs at least \(2 * s.folds) samples (each fold holds both labels); --samples is \(s.samples)",
                                           hint: "use fewer --folds or more --samples")
        }
        guard s.samples * s.features <= maxValues else {
            throw PluginError.invalidInput("--samples \(s.samples) x --features \(s.features) is over \(maxValues) values per data set",
                                           hint: "use fewer samples or features")
        }
        let summary = summarize(s, repeats: repeats, seed: context.seed)
        let (l, h) = (summary.leaky, summary.honest)
        context.metrics.final("leaky_accuracy", l.mean); context.metrics.final("leaky_standard_error", l.standardError)
        context.metrics.final("honest_accuracy", h.mean); context.metrics.final("honest_standard_error", h.standardError)
        context.metrics.final("effect_standard_errors", summary.effect)
        context.metrics.final("honest_from_chance_standard_errors", summary.honestFromChance)
        context.log(String(format: "leakage-selection: %d samples, %d noise features, %d kept, %d-fold CV by nearest centroid, %d data sets",
                           s.samples, s.features, s.keep, s.folds, repeats))
        context.log(String(format: "leakage-selection: select on all data, then CV (leaky):    %.4f ± %.4f", l.mean, l.standardError))
        context.log(String(format: "leakage-selection: select inside each training fold:       %.4f ± %.4f (chance 0.5: %+.1f standard errors)",
                           h.mean, h.standardError, summary.honestFromChance))
        context.log(String(format: "leakage-selection: the leak adds %.4f, %.1f standard errors", l.mean - h.mean, summary.effect))
        try context.artifacts.writeCSV("leakage_selection.csv", header: ["repeat", "seed", "leaky_accuracy", "honest_accuracy"],
                                       rows: summary.runs.enumerated().map { [String($0), String($1.seed), formatNumber($1.leaky), formatNumber($1.honest)] })
        try context.artifacts.writeCSV("leakage_selection_summary.csv", header: ["pipeline", "mean_accuracy", "standard_error", "repeats"],
                                       rows: [["select on all data, then cross-validate (leaky)", formatNumber(l.mean), formatNumber(l.standardError), String(repeats)],
                                              ["select inside each training fold (honest)", formatNumber(h.mean), formatNumber(h.standardError), String(repeats)]])
        let bars = BarChart(title: "Pure noise, \(s.keep) of \(s.features) features kept: \(s.folds)-fold CV accuracy (chance 0.5)",
                            yLabel: "accuracy, mean ± 1 s.e. over \(repeats) data sets",
                            categories: ["select on all data (leaky)", "select in each fold (honest)"],
                            series: [(name: "", values: [l.mean, h.mean], errors: [l.standardError, h.standardError])])
        try context.artifacts.write(bars.svg(), to: "leakage_selection.svg")
        var perSeed = LinePlot(title: "Each data set: leaky against honest accuracy", xLabel: "data set (repeat)", yLabel: "cross-validated accuracy",
                               series: [.init("select on all data (leaky)", x: summary.runs.indices.map(Double.init), y: summary.runs.map(\.leaky), markers: true),
                                        .init("select in each fold (honest)", x: summary.runs.indices.map(Double.init), y: summary.runs.map(\.honest), markers: true)])
        perSeed.yRange = 0...1
        perSeed.horizontalLines = [(label: "chance", y: 0.5)]
        try context.artifacts.write(perSeed.svg(), to: "leakage_selection_runs.svg")
    }
}
