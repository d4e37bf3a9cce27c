import Foundation

/// Shell completion: `host completion bash` prints a function for bash that asks
/// `host __complete WORDS...` for the candidates of the last (partial) word: commands, plugin
/// names (from the files found, nothing loaded), a plugin's experiments and an experiment's
/// options (from its description, read in a worker process as `host help` reads it), and the
/// options of `fetch`.
enum Completion {
    static let commands = ["list", "help", "run", "eval", "report", "bench", "verify-ops", "fetch", "new-plugin", "completion", "version"]
    static let globalOptions = ["--seed", "--threads", "--out", "--quiet", "--json", "--report", "--plugins", "--help"]
    /// Global options followed by a value.
    static let takesValue: Set<String> = ["--seed", "--threads", "--out", "--plugins", "--checkpoint"]

    /// The script for `eval "$(host completion bash)"` (or a file in bash-completion's folder).
    static let bashScript = """
    # bash completion for host: eval "$(host completion bash)"
    _host_complete() {
        local IFS=$'\\n'
        COMPREPLY=($("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
    }
    complete -o default -F _host_complete host

    """

    /// The candidates for the last of `words` (the words after `host`; the last may be empty).
    static func candidates(_ words: [String], describe: (String) -> [String: Any]?, plugins: () -> [String]) -> [String] {
        let partial = words.last ?? ""
        var done: [String] = []
        var skipNext = false
        for word in words.dropLast() {
            if skipNext { skipNext = false; continue }
            if word.hasPrefix("--") {
                skipNext = takesValue.contains(word) && !word.contains("=")
                continue
            }
            done.append(word)
        }
        let all: [String]
        switch (done.first, done.count) {
        case (nil, _): all = commands
        case ("run"?, 1), ("eval"?, 1): all = plugins()
        case ("help"?, 1): all = plugins() + commands
        case ("run"?, _), ("eval"?, _), ("help"?, 2):
            let experiments = describe(done[1])?["experiments"] as? [[String: Any]] ?? []
            if done.count == 2 && !partial.hasPrefix("-") {
                all = experiments.compactMap { $0["name"] as? String }
            } else {
                let chosen = done.count > 2 ? experiments.first { $0["name"] as? String == done[2] } : experiments.first
                let own = (chosen?["options"] as? [[String: Any]] ?? []).compactMap { ($0["name"] as? String).map { "--" + $0 } }
                all = own + globalOptions + (done[0] == "eval" ? ["--checkpoint"] : [])
            }
        case ("fetch"?, 1): all = FetchCommand.datasets
        case ("fetch"?, _): all = ["--archive", "--dir", "--url", "--md5", "--force"] + globalOptions
        case ("completion"?, 1): all = ["bash"]
        default: all = partial.hasPrefix("-") ? globalOptions : []
        }
        return all.filter { $0.hasPrefix(partial) }
    }

    /// `host __complete WORDS...`: one candidate per line.
    static func run(_ words: [String]) -> Int32 {
        let discovery = HostCommand.discover(GlobalOptions())
        let found = candidates(words, describe: { name in
            guard case .success(let description) = HostCommand.choose(name, in: discovery) else { return nil }
            // The plugin's entry of `host list --json`: a list holding its object.
            let parsed = try? JSONSerialization.jsonObject(with: Data(description.listJSON.utf8))
            return (parsed as? [[String: Any]])?.first ?? parsed as? [String: Any]
        }, plugins: { discovery.names })
        for candidate in found { print(candidate) }
        return ExitCode.success
    }
}
