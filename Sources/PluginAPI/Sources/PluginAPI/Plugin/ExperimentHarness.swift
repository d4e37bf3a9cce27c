import Foundation

/// Runs a plugin's experiment in the test's own process, as the host would run it, and returns
/// what it reported: for a plugin's own unit tests (`host new-plugin` writes one).
///
/// ```swift
/// let result = try ExperimentHarness.run(FitPlugin(), experiment: "train", options: ["steps": "300"])
/// XCTAssertEqual(result.metrics["slope"] ?? .nan, 2, accuracy: 0.05)
/// ```
///
/// Options are given as text, exactly as on the command line, and checked against the
/// declarations; the others take their defaults. The contract is checked as the host checks it:
/// a final value under an undeclared metric name is an error naming it.
public enum ExperimentHarness {
    /// What a run reported.
    public struct Result {
        /// The final metrics (`summary.json`'s `metrics`).
        public var metrics: [String: Double]
        /// The rows of `metrics.csv`.
        public var rows: [MetricsLog.Row]
        /// Declared metrics the run never set.
        public var missingMetrics: [String]
        /// The run folder (a new temporary folder unless one was given).
        public var folder: String
        /// The files the run wrote, relative to `folder`, in the order first written (a folder ends in `/`).
        public var files: [String]
    }

    /// Runs `experiment` (the plugin's first when nil) with `options` (`["steps": "300"]`).
    public static func run(_ plugin: any Plugin, experiment name: String? = nil, options: [String: String] = [:],
                           seed: UInt64 = 0, threads: Int = 1, folder: String? = nil) throws -> Result {
        guard let experiment = name.map({ name in plugin.experiments.first { $0.name == name } }) ?? plugin.experiments.first else {
            throw PluginError.invalidInput("\(plugin.name) has no experiment '\(name ?? "")'",
                                           hint: "experiments: " + plugin.experiments.map(\.name).joined(separator: ", "))
        }
        guard let train = experiment.train else {
            throw PluginError.invalidInput("\(plugin.name) \(experiment.name) has no train entry point", hint: "give an experiment that trains")
        }
        var values: [String: OptionValue] = [:]
        for (key, text) in options {
            guard let spec = experiment.options.first(where: { $0.name == key }) else {
                throw PluginError.invalidInput("\(plugin.name) \(experiment.name) has no option --\(key)",
                                               hint: "options: " + experiment.options.map { "--" + $0.name }.joined(separator: ", "))
            }
            switch spec.parse(text) {
            case .success(let value): values[key] = value
            case .failure(let error): throw PluginError.invalidInput(error.message, hint: "--\(key) takes \(spec.allowedDescription)")
            }
        }
        for spec in experiment.options where values[spec.name] == nil { values[spec.name] = spec.defaultValue }
        let directory = folder ?? NSTemporaryDirectory() + "/\(plugin.name)-\(experiment.name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let metrics = MetricsLog(declared: experiment.metrics.map(\.name))
        let context = RunContext(plugin: plugin.name, experiment: experiment.name, options: OptionValues(values), seed: seed,
                                 threads: threads, outputDirectory: directory, metrics: metrics)
        try train(context)
        if let failure = metrics.undeclaredFinalsFailure(place: "\(plugin.name) \(experiment.name)", plugin: plugin.name) { throw failure }
        return Result(metrics: Dictionary(metrics.finals, uniquingKeysWith: { $1 }), rows: metrics.rows,
                      missingMetrics: metrics.missingFinals, folder: directory, files: context.artifacts.written)
    }
}
