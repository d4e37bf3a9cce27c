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
