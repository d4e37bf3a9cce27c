import PluginAPI

/// Options every command accepts, wherever they stand on the command line.
public struct GlobalOptions: Equatable {
    public var pluginFolders: [String] = []
    public var seed: UInt64 = 0
    public var threads: Int = WorkerPool.availableCores
    public var out: String? = nil
    public var quiet = false
    public var json = false
    public var help = false
    public var report = false

    /// Names an experiment may not use for its own options.
    public static let reservedNames: Set<String> = ["plugins", "seed", "threads", "out", "quiet", "json", "help", "checkpoint", "report"]
}

/// What the user asked for.
public enum Command: Equatable {
    case help(topic: [String])
    case version
    case list
    /// `host run PLUGIN [EXPERIMENT] [--option value ...]`
    case run(plugin: String, experiment: String?, options: [String])
    /// `host eval PLUGIN [EXPERIMENT] --checkpoint PATH [--option value ...]`
    case eval(plugin: String, experiment: String?, checkpoint: String, options: [String])
    /// `host bench [FILTER]`
    case bench(filter: String?)
    /// `host verify-ops DIR`
    case verifyOps(folder: String)
    /// `host report RUN_DIR`
    case report(folder: String)
    /// `host fetch DATASET [--url URL] [--md5 HEX] [--archive FILE] [--dir DIR]`
    case fetch(dataset: String, options: [String])
    /// `host new-plugin NAME [--dir DIR]`
    case newPlugin(name: String, options: [String])
    /// `host sweep PLUGIN [EXPERIMENT] --grid ... --out DIR`, `host sweep status|resume DIR`
    case sweep(arguments: [String])
}

/// Splits argv into global options and a command.
public enum ArgumentParser {
    public static func parse(_ arguments: [String]) -> Result<(GlobalOptions, Command), HostError> {
        var globals = GlobalOptions()
        var rest: [String] = []
        var checkpoint: String?
        var i = 0
        func value(for name: String) -> Result<String, HostError> {
            if let eq = arguments[i].firstIndex(of: "=") { return .success(String(arguments[i][arguments[i].index(after: eq)...])) }
            guard i + 1 < arguments.count else {
                return .failure(HostError("--\(name) needs a value", hint: "see `host --help`"))
            }
            i += 1
            return .success(arguments[i])
        }
        while i < arguments.count {
            let token = arguments[i]
            let name = token.hasPrefix("--") ? String(token.dropFirst(2).split(separator: "=", maxSplits: 1).first ?? "") : ""
            switch name {
            case "plugins":
                switch value(for: name) { case .success(let v): globals.pluginFolders.append(v); case .failure(let e): return .failure(e) }
            case "seed":
                switch value(for: name) {
                case .success(let v):
                    guard let seed = UInt64(v) else {
                        return .failure(HostError("--seed: '\(v)' is not a whole number >= 0", hint: "for example --seed 42"))
                    }
                    globals.seed = seed
                case .failure(let e): return .failure(e)
                }
            case "threads":
                switch value(for: name) {
                case .success(let v):
                    guard let n = Int(v), n >= 1, n <= 1024 else {
                        return .failure(HostError("--threads: '\(v)' is not a whole number in 1...1024",
                                                  hint: "this machine has \(WorkerPool.availableCores) cores"))
                    }
                    globals.threads = n
                case .failure(let e): return .failure(e)
                }
            case "out":
                switch value(for: name) { case .success(let v): globals.out = v; case .failure(let e): return .failure(e) }
            case "checkpoint":
                switch value(for: name) { case .success(let v): checkpoint = v; case .failure(let e): return .failure(e) }
            case "quiet": globals.quiet = true
            case "json": globals.json = true
            case "report": globals.report = true
            case "help": globals.help = true
            default:
                if token == "-h" { globals.help = true } else if token == "-V" || token == "--version" { rest.insert("--version", at: 0) } else { rest.append(token) }
            }
            i += 1
        }
        return command(from: rest, globals: globals, checkpoint: checkpoint).map { (globals, $0) }
    }

    private static func command(from rest: [String], globals: GlobalOptions, checkpoint: String?) -> Result<Command, HostError> {
        guard let verb = rest.first else { return .success(.help(topic: [])) }
        if verb == "--version" { return .success(.version) }
        let arguments = Array(rest.dropFirst())
        if globals.help { return .success(.help(topic: verb == "help" ? arguments : (verb == "run" || verb == "eval" ? arguments.prefix { !$0.hasPrefix("-") } : [verb]))) }
        switch verb {
        case "help": return .success(.help(topic: arguments))
        case "version": return .success(.version)
        case "list":
            if let extra = arguments.first { return .failure(HostError("`host list` takes no arguments, got '\(extra)'", hint: "run `host list`")) }
            return .success(.list)
        case "bench":
            if arguments.count > 1 { return .failure(HostError("`host bench` takes at most one filter, got \(arguments.joined(separator: " "))", hint: "for example `host bench gemm`")) }
            return .success(.bench(filter: arguments.first))
        case "report":
            guard arguments.count == 1, let folder = arguments.first else {
                return .failure(HostError("`host report` needs one run folder (or a folder of runs)", hint: "for example `host report runs/Parity-exact-20261123T101530Z`"))
            }
            return .success(.report(folder: folder))
        case "verify-ops":
            guard arguments.count == 1, let folder = arguments.first else {
                return .failure(HostError("`host verify-ops` needs one folder holding cases.json and its .npy files", hint: "for example `host verify-ops Tests/Fixtures/golden`"))
            }
            return .success(.verifyOps(folder: folder))
        case "fetch":
            guard let dataset = arguments.first, !dataset.hasPrefix("-") else {
                return .failure(HostError("`host fetch` needs a data set name", hint: "data sets to fetch: \(FetchCommand.datasets.joined(separator: ", ")); for example `host fetch cifar10`"))
            }
            return .success(.fetch(dataset: dataset, options: Array(arguments.dropFirst())))
        case "new-plugin":
            guard let name = arguments.first, !name.hasPrefix("-") else {
                return .failure(HostError("`host new-plugin` needs a plugin name", hint: "for example `host new-plugin Kmeans --dir ~/kmeans-plugin`"))
            }
            return .success(.newPlugin(name: name, options: Array(arguments.dropFirst())))
        case "sweep":
            return .success(.sweep(arguments: arguments))
        case "run", "eval":
            guard let plugin = arguments.first, !plugin.hasPrefix("-") else {
                return .failure(HostError("`host \(verb)` needs a plugin name", hint: "run `host list` to see the plugins, then `host \(verb) <Plugin> [experiment]`"))
            }
            var options = Array(arguments.dropFirst())
            var experiment: String?
            if let first = options.first, !first.hasPrefix("-") { experiment = first; options.removeFirst() }
            if verb == "run" {
                if checkpoint != nil { return .failure(HostError("--checkpoint belongs to `host eval`", hint: "run `host eval \(plugin) --checkpoint PATH`")) }
                return .success(.run(plugin: plugin, experiment: experiment, options: options))
            }
            guard let checkpoint else {
                return .failure(HostError("`host eval` needs --checkpoint PATH", hint: "point it at a checkpoint a training run wrote in its run folder"))
            }
            return .success(.eval(plugin: plugin, experiment: experiment, checkpoint: checkpoint, options: options))
        default:
            if verb.hasPrefix("-") { return .failure(HostError("unknown option \(verb)", hint: "see `host --help`")) }
            return .failure(HostError("unknown command '\(verb)'", hint: "commands are list, help, run, eval, sweep, report, bench, verify-ops, fetch, new-plugin; see `host --help`"))
        }
    }
}

/// Parses an experiment's options against its declarations.
public enum ExperimentOptionParser {
    /// Resolves every declared option: the user's value where given (validated), else the default.
    public static func resolve(_ tokens: [String], specs: [OptionSpec], where place: String) -> Result<OptionValues, HostError> {
        var values: [String: OptionValue] = [:]
        var given = Set<String>()
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            guard token.hasPrefix("--"), token.count > 2 else {
                return .failure(HostError("unexpected argument '\(token)' for \(place)", hint: "options are written --name value; see `host help \(place)`"))
            }
            var name = String(token.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") { inline = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
            var negated = false
            var spec = specs.first { $0.name == name }
            if spec == nil, name.hasPrefix("no-"), let flag = specs.first(where: { $0.name == name.dropFirst(3) && $0.kind == .flag }) {
                spec = flag; negated = true
            }
            guard let spec else {
                return .failure(HostError(unknownOptionMessage(name, specs: specs, place: place), hint: "see `host help \(place)`"))
            }
            guard given.insert(spec.name).inserted else {
                return .failure(HostError("--\(spec.name) is given twice for \(place)", hint: "give each option once"))
            }
            let text: String
            if spec.kind == .flag {
                text = negated ? "false" : (inline ?? "true")
            } else if let inline {
                text = inline
            } else {
                guard i + 1 < tokens.count else {
                    return .failure(HostError("--\(spec.name) needs a value (\(spec.allowedDescription))", hint: "see `host help \(place)`"))
                }
                i += 1
                text = tokens[i]
            }
            switch spec.parse(text) {
            case .success(let value): values[spec.name] = value
            case .failure(let error): return .failure(HostError(error.message, hint: "see `host help \(place)`"))
            }
            i += 1
        }
        for spec in specs where values[spec.name] == nil {
            if let value = spec.defaultValue { values[spec.name] = value }
        }
        return .success(OptionValues(values))
    }

    static func unknownOptionMessage(_ name: String, specs: [OptionSpec], place: String) -> String {
        var message = "unknown option --\(name) for \(place)"
        let names = specs.map(\.name)
        if let close = names.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(close, name) <= max(1, name.count / 3) {
            message += "; did you mean --\(close)?"
        } else if names.isEmpty {
            message += "; it takes no options"
        } else {
            message += "; its options are " + names.map { "--" + $0 }.joined(separator: ", ")
        }
        return message
    }

    /// The tokens of each option given, in order, by the declared name (`--no-x` is `x`'s):
    /// for tokens that `resolve` accepted, to pass some of them on as the user typed them.
    static func givenTokens(_ tokens: [String], specs: [OptionSpec]) -> [(name: String, tokens: [String])] {
        var groups: [(name: String, tokens: [String])] = []
        var i = 0
        while i < tokens.count {
            var name = String(tokens[i].dropFirst(2))
            let inline = name.contains("=")
            if inline { name = String(name.prefix { $0 != "=" }) }
            let spec = specs.first { $0.name == name } ?? specs.first { "no-" + $0.name == name && $0.kind == .flag }
            let takesValue = spec.map { $0.kind != .flag } ?? false
            let count = takesValue && !inline ? 2 : 1
            groups.append((spec?.name ?? name, Array(tokens[i..<min(i + count, tokens.count)])))
            i += count
        }
        return groups
    }

    /// Levenshtein distance, for "did you mean" suggestions.
    public static func suggestionDistance(_ a: String, _ b: String) -> Int { editDistance(a, b) }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
