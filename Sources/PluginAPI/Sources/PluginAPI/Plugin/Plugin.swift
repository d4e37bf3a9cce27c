/// An assignment the host can load: what it is, the data it uses, and the experiments it runs.
///
/// A plugin is a class in a `lib<Name>.so` exported through `PluginABI`. It declares
/// everything up front so the host can list it, validate options and write run folders
/// without running any of it; a plugin never parses argv and never prints.
public protocol Plugin: AnyObject {
    /// The name users type: `host run <name>`.
    var name: String { get }
    /// The plugin's own version, recorded in every run's `config.json`.
    var version: String { get }
    /// One line for `host list`.
    var summary: String { get }
    /// The data sets the experiments read or generate.
    var datasets: [DatasetInfo] { get }
    /// The experiments; the first one is the default for `host run <name>`.
    var experiments: [Experiment] { get }
}

/// Where a data set comes from.
public enum DatasetSource: Sendable, Equatable {
    /// Shipped inside the plugin or the runtime.
    case embedded
    /// Made by the plugin itself from the run's seed.
    case generated
    /// Read from a path the user gives with the named option.
    case userPath(option: String)

    /// A short phrase for listings.
    public var label: String {
        switch self {
        case .embedded: return "embedded"
        case .generated: return "generated"
        case .userPath(let option): return "read from --\(option)"
        }
    }
}

/// A data set a plugin uses.
public struct DatasetInfo: Sendable {
    /// The data set's name in `host list` and `host help`.
    public var name: String
    /// One line on what it holds, for the same listings.
    public var description: String
    /// Where it comes from: embedded, generated, or a path the user gives.
    public var source: DatasetSource

    /// Describes a data set for `Plugin.datasets`.
    public init(name: String, description: String, source: DatasetSource) {
        self.name = name
        self.description = description
        self.source = source
    }
}

/// Whether a larger or a smaller value of a metric is better.
public enum MetricGoal: String, Sendable {
    /// Larger values are better (accuracy); the raw value `higher` is what listings and `--json` show.
    case higherIsBetter = "higher"
    /// Smaller values are better (a loss, an error rate, seconds); shown as `lower`.
    case lowerIsBetter = "lower"
    /// Neither direction is better (counts, settings); listings show none (`-` in `--json`).
    case neither = "-"
}

/// A metric an experiment reports. Every final value an experiment gives must be declared:
/// the host fails a run that sets an undeclared name, and lists declared names never set as
/// `missing_metrics` in `summary.json`.
public struct MetricSpec: Sendable {
    /// The key used in `metrics.csv`, `summary.json` and `--json` output. A name holding `{}`
    /// declares a family whose members depend on the run: `d{}_final_loss` covers
    /// `d3_final_loss`, `d30_final_loss`, ... (the braces stand for letters, digits, '.' or '-').
    public var name: String
    /// The unit, or an empty string for plain counts and ratios.
    public var unit: String
    /// Whether larger or smaller values are better, shown in listings and in a run's results table.
    public var goal: MetricGoal
    /// One line on what the metric measures, for `host help`.
    public var help: String

    /// Declares a metric; only the name is required (see `name` for families).
    public init(_ name: String, unit: String = "", goal: MetricGoal = .neither, help: String = "") {
        self.name = name
        self.unit = unit
        self.goal = goal
        self.help = help
    }

    /// Whether the final value `name` is this metric (or a member of its family).
    public func covers(_ name: String) -> Bool { Self.name(name, matches: self.name) }

    /// Whether `name` is `declared`, or a member of it when it holds `{}`.
    public static func name(_ name: String, matches declared: String) -> Bool {
        guard let hole = declared.range(of: "{}") else { return name == declared }
        let (prefix, suffix) = (declared[..<hole.lowerBound], declared[hole.upperBound...])
        guard name.count > prefix.count + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return false }
        let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
        return middle.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "-") }
    }
}

/// One experiment of a plugin: options, metrics, and its train and/or evaluate entry points.
public struct Experiment {
    /// Runs the experiment. Throw `PluginError.invalidInput` for bad user input (the host
    /// removes the run folder), or any other error for a failure (the run folder is kept,
    /// marked failed). Return early when `context.isCancelled` becomes true.
    public typealias Train = (RunContext) throws -> Void
    /// Evaluates a saved model given by `checkpoint`.
    public typealias Evaluate = (RunContext, _ checkpoint: String) throws -> Void

    /// The name users type: `host run <plugin> <name>`.
    public var name: String
    /// One line for `host list` and `host help`.
    public var summary: String
    /// The options the experiment accepts; the host parses and checks the user's values against them
    /// before the run starts.
    public var options: [OptionSpec]
    /// The metrics the experiment reports final values for; a final value under any other name fails the run.
    public var metrics: [MetricSpec]
    /// Runs the experiment (`host run`), or nil for an experiment that only evaluates.
    public var train: Train?
    /// Evaluates a checkpoint (`host eval <plugin> <name> --checkpoint PATH`), or nil when the
    /// experiment cannot; listings mark experiments that can with `eval`.
    public var evaluate: Evaluate?
    /// For an experiment that runs a grid of another experiment's runs, that grid: `host sweep
    /// <plugin> <name> --out DIR` then runs each point as its own run (see `ExperimentGrid`).
    public var grid: ExperimentGrid?

    /// Declares an experiment; give it `train`, `evaluate` or both, and `grid` when it runs a
    /// grid of another experiment's runs.
    public init(name: String, summary: String, options: [OptionSpec] = [], metrics: [MetricSpec] = [],
                grid: ExperimentGrid? = nil, train: Train? = nil, evaluate: Evaluate? = nil) {
        self.name = name
        self.summary = summary
        self.options = options
        self.metrics = metrics
        self.grid = grid
        self.train = train
        self.evaluate = evaluate
    }
}
