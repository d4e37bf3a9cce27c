/// A named grid: an experiment whose runs are another experiment of the same plugin at every
/// point of a grid of option values, each with several seeds. Declared once, it drives both
/// ways of running the grid, so the two cannot drift apart:
///
/// - `host run Parity sweep` runs the points in one process (the experiment's own `train`
///   calls `points` and `settings`, and draws its figures over all of them);
/// - `host sweep Parity sweep --out DIR` runs each point as its own `host run Parity train` with
///   the point's options and seed, on this machine or as a Slurm job array (`--slurm`).
///
/// ```swift
/// static let grid = ExperimentGrid(experiment: "train", axes: [.option("d", valuesFrom: "ds")], seedsOption: "seeds")
/// Experiment(name: "sweep", summary: "...", settings: SweepSettings.self, grid: grid, train: run)
///
/// static func run(_ context: RunContext, _ options: SweepSettings) throws {
///     let points = try grid.points(context.options, seed: context.seed)
///     for point in points {
///         let settings = try grid.settings(TrainSettings.self, at: point, passing: context.options)
///         ... train(settings, seed: point.seed) ...
///     }
/// }
/// ```
///
/// The grid experiment's options are those of `host run`: the list options the axes take their
/// values from and the seed count shape the grid; every other option is passed to each point
/// unchanged, so it must be an option of the point experiment with the same type and default
/// (the host checks this when it loads the plugin).
public struct ExperimentGrid: Sendable {
    /// Where an axis finds its values.
    public enum Values: Sendable, Equatable {
        /// These values, as they would be typed on the command line (`["relu", "silu"]`).
        case fixed([String])
        /// The values of one of the grid experiment's list options (`integers` or `numbers`,
        /// such as `--ds 5,10,30`): the user's or its default.
        case option(String)
    }

    /// One axis: an option of the point experiment and the values it takes.
    public struct Axis: Sendable, Equatable {
        /// The point experiment's option, without dashes (`d`).
        public var option: String
        /// Its values.
        public var values: Values

        /// The option `option` takes each of `values` (text as typed on the command line).
        public static func option(_ option: String, values: [String]) -> Axis { Axis(option: option, values: .fixed(values)) }

        /// The option `option` takes each value of the grid experiment's list option `listOption`.
        public static func option(_ option: String, valuesFrom listOption: String) -> Axis { Axis(option: option, values: .option(listOption)) }
    }

    /// One run of the grid.
    public struct Point: Sendable, Equatable {
        /// Its place in the grid, from 0: the first axis varies slowest, the seed fastest (the
        /// order `host sweep` numbers its run folders in).
        public var index: Int
        /// Each axis's value at this point, in axis order, as text.
        public var values: [String]
        /// Which of the combination's seeds this is, from 0.
        public var seedIndex: Int
        /// The run's seed: the grid run's `--seed` plus `seedIndex` (wrapping).
        public var seed: UInt64
    }

    /// The experiment each point runs (`train`).
    public var experiment: String
    /// The axes, the first varying slowest.
    public var axes: [Axis]
    /// The grid experiment's integer option giving the number of seeds per combination (seeds
    /// `--seed`, `--seed` + 1, ...); nil: one seed, `--seed`.
    public var seedsOption: String?

    /// A grid of runs of `experiment` over `axes`, `seedsOption` giving the seeds per combination.
    public init(experiment: String, axes: [Axis], seedsOption: String? = nil) {
        self.experiment = experiment
        self.axes = axes
        self.seedsOption = seedsOption
    }

    /// The grid experiment's options that shape the grid (the axes' list options and the seed
    /// count); the others are passed to every point.
    public var shapingOptions: [String] {
        axes.compactMap { axis -> String? in
            if case .option(let name) = axis.values { return name }
            return nil
        } + (seedsOption.map { [$0] } ?? [])
    }

    /// Each axis's values for the grid experiment's resolved `options`, in axis order. Throws
    /// `PluginError.invalidInput` for an empty list or a value listed twice.
    public func axisValues(_ options: OptionValues) throws -> [[String]] {
        try axes.map { axis in
            let values: [String], source: String
            switch axis.values {
            case .fixed(let fixed):
                (values, source) = (fixed, "the grid's --\(axis.option)")
            case .option(let name):
                source = "--\(name)"
                switch options.values[name] {
                case .integers(let list)?: values = list.map(String.init)
                // The shortest text that reads back as the same Double.
                case .numbers(let list)?: values = list.map { "\($0)" }
                default:
                    throw PluginError.failure("the grid's axis --\(axis.option) takes its values from --\(name), which is not a list option",
                                              hint: "declare --\(name) with .integers or .numbers; this is a bug in the plugin")
                }
            }
            guard !values.isEmpty else {
                throw PluginError.invalidInput("\(source) is empty", hint: "give at least one value: each is a run's --\(axis.option)")
            }
            var seen = Set<String>()
            for value in values where !seen.insert(value).inserted {
                throw PluginError.invalidInput("\(source) lists \(value) twice", hint: "list each value once")
            }
            return values
        }
    }

    /// The number of seeds per combination for the resolved `options` (1 without `seedsOption`).
    public func seedCount(_ options: OptionValues) throws -> Int {
        guard let name = seedsOption else { return 1 }
        let count = try options.int(name)
        guard count >= 1 else { throw PluginError.invalidInput("--\(name) is \(count)", hint: "give at least one seed per combination") }
        return count
    }

    /// Every point for the grid experiment's resolved `options` and the run's `seed`, in order.
    public func points(_ options: OptionValues, seed: UInt64) throws -> [Point] {
        let seeds = try seedCount(options)
        var combinations: [[String]] = [[]]
        for values in try axisValues(options) { combinations = combinations.flatMap { prefix in values.map { prefix + [$0] } } }
        var points: [Point] = []
        for values in combinations {
            for k in 0..<seeds {
                points.append(Point(index: points.count, values: values, seedIndex: k, seed: seed &+ UInt64(k)))
            }
        }
        return points
    }

    /// The point experiment's settings at `point`, as `host run` would build them from the
    /// point's command line: each axis's value parsed by `Settings`' own declaration of its
    /// option, the grid experiment's values (`options`) for the options it passes on, and the
    /// defaults for the rest.
    public func settings<Settings: ExperimentSettings>(_ type: Settings.Type, at point: Point, passing options: OptionValues) throws -> Settings {
        var values: [String: OptionValue] = [:]
        let shaping = Set(shapingOptions)
        for spec in Settings.optionSpecs {
            if let k = axes.firstIndex(where: { $0.option == spec.name }), point.values.indices.contains(k) {
                switch spec.parse(point.values[k]) {
                case .success(let value): values[spec.name] = value
                case .failure(let error): throw PluginError.invalidInput(error.message, hint: "the grid's values of --\(spec.name) must suit \(experiment)'s option")
                }
            } else if !shaping.contains(spec.name), let value = options.values[spec.name] {
                values[spec.name] = value
            } else if let value = spec.defaultValue {
                values[spec.name] = value
            }
        }
        return try Settings(OptionValues(values))
    }
}
