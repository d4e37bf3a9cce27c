import Foundation
import PluginAPI

/// What `host sweep` runs: one experiment at every point of a grid of option values times a
/// list of seeds, each point an ordinary run (`host run`) in a folder of its own.
public struct SweepPlan: Equatable {
    /// One `--grid NAME=V1,V2,...`: an experiment option and the values it takes.
    public struct Axis: Equatable {
        /// The option's name, without the dashes.
        public var name: String
        /// Its values, as given on the command line.
        public var values: [String]

        /// An axis of the option `name` taking `values`.
        public init(name: String, values: [String]) {
            self.name = name
            self.values = values
        }
    }

    /// One run of the sweep.
    public struct Point: Equatable {
        /// Its place in the sweep, from 0; the first grid varies slowest, the seed fastest.
        public var index: Int
        /// The grid's value of each axis at this point, in axis order.
        public var values: [String]
        /// The run's `--seed`.
        public var seed: UInt64
        /// Its run folder's name inside the sweep's folder: `<index>-<key>`, such as `3-d10-seed1`.
        public var folder: String
    }

    /// The plugin whose experiment runs.
    public var plugin: String
    /// The experiment (nil: the plugin's first, as `host run`).
    public var experiment: String?
    /// The grid, one axis per `--grid`, in the order given.
    public var axes: [Axis]
    /// The seeds every combination runs with.
    public var seeds: [UInt64]
    /// The experiment options given outside the grid, passed to every run unchanged.
    public var fixed: [String]
    /// How many runs go at once (`--parallel`).
    public var parallel: Int
    /// Where the runs go to a Slurm cluster as one job array (`--slurm`), else nil.
    public var slurm: SlurmSettings? = nil
    /// `--plugins` folders given to the sweep, passed to every run.
    public var pluginFolders: [String] = []
    /// The named grid the points come from (`host sweep Parity sweep`), else nil.
    public var namedGrid: NamedGrid? = nil

    /// An experiment that declares a grid of another experiment's runs (`ExperimentGrid`), and
    /// the options it was given: `host sweep` ran its points as runs of `experiment`.
    public struct NamedGrid: Equatable {
        /// The grid experiment's name (`sweep`).
        public var name: String
        /// Its options as given (`--ds 5,10 --seeds 2`), those that shape the grid included.
        public var options: [String]

        /// The grid experiment `name` given `options`.
        public init(name: String, options: [String]) {
            self.name = name
            self.options = options
        }
    }

    /// Every point, in order.
    public var points: [Point] {
        var combinations: [[String]] = [[]]
        for axis in axes { combinations = combinations.flatMap { prefix in axis.values.map { prefix + [$0] } } }
        let count = combinations.count * seeds.count
        let width = String(max(count - 1, 0)).count
        var out: [Point] = []
        for values in combinations {
            for seed in seeds {
                let index = out.count
                let key = zip(axes, values).map { $0.name + Self.slug($1) } + ["seed\(seed)"]
                let number = String(repeating: "0", count: width - String(index).count) + String(index)
                out.append(Point(index: index, values: values, seed: seed, folder: ([number] + key).joined(separator: "-")))
            }
        }
        return out
    }

    /// The command line of `host run` for `point` (without the executable), its output in `folder`.
    public func runArguments(_ point: Point, folder: String, threads: Int, pluginFolders: [String]) -> [String] {
        var arguments = ["run", plugin] + (experiment.map { [$0] } ?? []) + fixed
        for (axis, value) in zip(axes, point.values) { arguments += ["--" + axis.name, value] }
        arguments += ["--seed", String(point.seed), "--threads", String(threads), "--out", folder, "--quiet"]
        for pluginFolder in pluginFolders { arguments += ["--plugins", pluginFolder] }
        return arguments
    }

    /// A value as it may stand in a folder name: letters, digits, `.`, `_` and `-` kept, anything
    /// else `_`.
    static func slug(_ value: String) -> String {
        String(value.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }

    /// The most runs one sweep may have.
    public static let maxPoints = 10_000

    /// Parses the tokens after `host sweep PLUGIN [EXPERIMENT]`: `--grid NAME=V1,V2,...`
    /// (repeatable), `--seeds 0,1,2` or `--seeds 0..4`, `--parallel N`; every other token is an
    /// experiment option for all runs (checked by each run as `host run` checks it).
    /// `defaultSeed` is the seed when `--seeds` is absent (the global `--seed`). With
    /// `experimentOptionsOnly` (a named grid, whose points come from its own options), `--grid`
    /// and `--seeds` are left in `fixed` with the experiment's options.
    public static func parse(plugin: String, experiment: String?, tokens: [String], defaultSeed: UInt64,
                             experimentOptionsOnly: Bool = false) -> Result<SweepPlan, HostError> {
        var plan = SweepPlan(plugin: plugin, experiment: experiment, axes: [], seeds: [defaultSeed], fixed: [], parallel: 1)
        var slurmOnly: [String] = []
        var sawSlurm = false
        var i = 0
        func value(_ name: String) -> Result<String, HostError> {
            if let eq = tokens[i].firstIndex(of: "=") { return .success(String(tokens[i][tokens[i].index(after: eq)...])) }
            guard i + 1 < tokens.count else { return .failure(HostError("--\(name) needs a value", hint: Self.example)) }
            i += 1
            return .success(tokens[i])
        }
        while i < tokens.count {
            let token = tokens[i]
            var name = token.hasPrefix("--") ? String(token.dropFirst(2).prefix { $0 != "=" }) : ""
            if experimentOptionsOnly && (name == "grid" || name == "seeds") { name = "" }
            switch name {
            case "grid":
                switch value(name).flatMap(axis) {
                case .success(let axis):
                    if plan.axes.contains(where: { $0.name == axis.name }) || plan.fixed.contains("--" + axis.name) {
                        return .failure(HostError("--grid \(axis.name) is given twice", hint: "list all its values in one --grid \(axis.name)=V1,V2,..."))
                    }
                    plan.axes.append(axis)
                case .failure(let error): return .failure(error)
                }
            case "seeds":
                switch value(name).flatMap(seedList) {
                case .success(let seeds): plan.seeds = seeds
                case .failure(let error): return .failure(error)
                }
            case "slurm":
                guard !token.contains("=") else { return .failure(HostError("--slurm takes no value", hint: SlurmSettings.example)) }
                plan.slurm = plan.slurm ?? SlurmSettings()
                sawSlurm = true
            case "partition", "time", "cpus-per-task", "max-running":
                switch value(name) {
                case .success(let text):
                    var settings = plan.slurm ?? SlurmSettings()
                    if let error = settings.set(name, text) { return .failure(error) }
                    plan.slurm = settings
                    slurmOnly.append("--" + name)
                case .failure(let error): return .failure(error)
                }
            case "no-wait":
                var settings = plan.slurm ?? SlurmSettings()
                settings.wait = false
                plan.slurm = settings
                slurmOnly.append(token)
            case "parallel":
                switch value(name) {
                case .success(let text):
                    guard let n = Int(text), (1...256).contains(n) else {
                        return .failure(HostError("--parallel: '\(text)' is not a whole number in 1...256", hint: "how many runs at once, for example --parallel 2"))
                    }
                    plan.parallel = n
                case .failure(let error): return .failure(error)
                }
            default:
                if plan.axes.contains(where: { "--" + $0.name == token }) {
                    return .failure(HostError("\(token) is both a grid axis and a fixed option", hint: "give it once: in --grid, or as \(token) VALUE for every run"))
                }
                plan.fixed.append(token)
            }
            i += 1
        }
        if !sawSlurm, let option = slurmOnly.first {
            return .failure(HostError("\(option) is an option of Slurm sweeps", hint: "add --slurm, or leave \(option) out to run on this machine"))
        }
        if let error = plan.sizeError(hint: "use fewer grid values or seeds") { return .failure(error) }
        return .success(plan)
    }

    /// The error when the plan has more than `maxPoints` runs, else nil.
    func sizeError(hint: String) -> HostError? {
        let count = axes.reduce(seeds.count) { $0.multipliedReportingOverflow(by: $1.values.count).overflow ? Int.max : $0 * $1.values.count }
        guard count > Self.maxPoints else { return nil }
        return HostError("the sweep has \(count == Int.max ? "too many" : String(count)) runs, more than \(Self.maxPoints)", hint: hint)
    }

    static let example = "for example `host sweep Parity train --grid d=5,10 --seeds 0,1 --out sweeps/parity`"

    static func axis(_ text: String) -> Result<Axis, HostError> {
        guard let eq = text.firstIndex(of: "=") else {
            return .failure(HostError("--grid '\(text)' is not NAME=V1,V2,...", hint: example))
        }
        let name = String(text[..<eq]), values = text[text.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return .failure(HostError("--grid: '\(name)' is not an option name", hint: example))
        }
        guard !GlobalOptions.reservedNames.contains(name) else {
            return .failure(HostError("--grid \(name): --\(name) is an option of every command, not of the experiment",
                                      hint: name == "seed" ? "give the seeds with --seeds 0,1,2 (or 0..4)" : example))
        }
        guard !values.isEmpty, !values.contains(where: \.isEmpty) else {
            return .failure(HostError("--grid \(name): an empty value in '\(text)'", hint: example))
        }
        guard Set(values).count == values.count else {
            return .failure(HostError("--grid \(name): a value is listed twice in '\(text)'", hint: "list each value once"))
        }
        return .success(Axis(name: name, values: values))
    }

    /// `0,1,2` or `0..4` (both ends included).
    static func seedList(_ text: String) -> Result<[UInt64], HostError> {
        let bad = HostError("--seeds: '\(text)' is not a list of seeds (0,1,2) or a range (0..4)", hint: "seeds are whole numbers >= 0")
        if let range = text.range(of: "..") {
            guard let low = UInt64(text[..<range.lowerBound]), let high = UInt64(text[range.upperBound...]), low <= high else { return .failure(bad) }
            guard high - low < UInt64(maxPoints) else { return .failure(HostError("--seeds \(text) is more than \(maxPoints) seeds", hint: "use a shorter range")) }
            return .success(Array(low...high))
        }
        let seeds = text.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0) }
        guard !seeds.isEmpty, !seeds.contains(nil) else { return .failure(bad) }
        let list = seeds.compactMap { $0 }
        guard Set(list).count == list.count else { return .failure(HostError("--seeds: a seed is listed twice in '\(text)'", hint: "list each seed once")) }
        return .success(list)
    }
}
