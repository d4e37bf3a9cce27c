import PluginAPI

/// What a plugin declares, checked when it loads, before anything of it runs: names the
/// command line and the run folder's files can carry, no name given twice, and no option that
/// a global option would shadow (`--seed` on any command line is the host's, so an experiment's
/// own `seed` could never be set).
enum DeclarationCheck {
    /// The problems, one line each naming the declaration; empty when the plugin is sound.
    static func problems(in plugin: any Plugin) -> [String] {
        var problems: [String] = []
        duplicates(plugin.experiments.map(\.name)).forEach { problems.append("experiment '\($0)' is declared twice") }
        for experiment in plugin.experiments {
            let place = "experiment '\(experiment.name)'"
            if !isCommandWord(experiment.name) {
                problems.append("\(place): the name must be lower-case letters, digits and '-', starting with a letter")
            }
            for option in experiment.options {
                if GlobalOptions.reservedNames.contains(option.name) {
                    problems.append("\(place): option '--\(option.name)' is a global option of the host, which would shadow it")
                } else if !isCommandWord(option.name) {
                    problems.append("\(place): option '\(option.name)' must be lower-case letters, digits and '-', starting with a letter")
                }
            }
            duplicates(experiment.options.map(\.name)).forEach { problems.append("\(place): option '--\($0)' is declared twice") }
            for metric in experiment.metrics where !isMetricName(metric.name.replacingOccurrences(of: "{}", with: "x")) {
                problems.append("\(place): metric '\(metric.name)' must be letters, digits, '_', '-' or '.', starting with a letter ('{}' marks a family)")
            }
            duplicates(experiment.metrics.map(\.name)).forEach { problems.append("\(place): metric '\($0)' is declared twice") }
            if let grid = experiment.grid { problems += gridProblems(grid, of: experiment, in: plugin).map { "\(place): \($0)" } }
        }
        return problems
    }

    /// What is wrong with a named grid: its point experiment, axes, seed count, and the options
    /// it passes on, each of which `host sweep` gives the points only when the user typed it, so
    /// it must mean the same in the point experiment (same type and default).
    static func gridProblems(_ grid: ExperimentGrid, of experiment: Experiment, in plugin: any Plugin) -> [String] {
        guard let target = plugin.experiments.first(where: { $0.name == grid.experiment }), target.name != experiment.name,
              target.grid == nil, target.train != nil else {
            return ["its grid runs '\(grid.experiment)', which is not another experiment of the plugin that trains and is not a grid itself"]
        }
        var problems: [String] = []
        let own = { (name: String) in experiment.options.first { $0.name == name } }
        duplicates(grid.axes.map(\.option)).forEach { problems.append("its grid has two axes of '--\($0)'") }
        for axis in grid.axes {
            guard let spec = target.options.first(where: { $0.name == axis.option }) else {
                problems.append("its grid's axis '--\(axis.option)' is not an option of '\(target.name)'")
                continue
            }
            switch axis.values {
            case .fixed(let values):
                if values.isEmpty || Set(values).count != values.count { problems.append("its grid's axis '--\(axis.option)' needs distinct values") }
                for value in values { if case .failure(let error) = spec.parse(value) { problems.append("its grid's value '\(value)': \(error.message)") } }
            case .option(let name):
                switch own(name)?.kind {
                case .integers?, .numbers?: break
                default: problems.append("its grid's axis '--\(axis.option)' takes its values from '--\(name)', which is not a list option of it")
                }
            }
        }
        if let seeds = grid.seedsOption {
            var isInteger = false
            if case .int? = own(seeds)?.kind { isInteger = true }
            if !isInteger { problems.append("its grid's seed count '--\(seeds)' is not an integer option of it") }
        }
        let shaping = Set(grid.shapingOptions), axes = Set(grid.axes.map(\.option))
        for option in experiment.options where !shaping.contains(option.name) {
            let counterpart = target.options.first { $0.name == option.name }
            if axes.contains(option.name) {
                problems.append("option '--\(option.name)' is an axis of its grid")
            } else if counterpart?.kind != option.kind || counterpart?.defaultValue != option.defaultValue {
                problems.append("option '--\(option.name)', which its grid passes to '\(target.name)', is not an option of it with the same type and default")
            }
        }
        return problems
    }

    /// `train`, `lr-schemes`, `cifar10`: what follows `host run Plugin` or `--`.
    static func isCommandWord(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// A CSV column and JSON key: no separators, quotes, spaces or '=' (the worker's events
    /// are `name=value`).
    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == ".")
        }
    }

    private static func duplicates(_ names: [String]) -> [String] {
        var seen = Set<String>(), repeated: [String] = []
        for name in names where !seen.insert(name).inserted && !repeated.contains(name) { repeated.append(name) }
        return repeated
    }
}
