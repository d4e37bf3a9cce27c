import Foundation

/// Shell completion: `host completion bash|zsh|fish` prints a function for that shell that asks
/// `host __complete WORDS...` for the candidates of the last (partial) word: commands, plugin
/// names (from the files found, nothing loaded), a plugin's experiments and an experiment's
/// options (from its description, read in a worker process as `host help` reads it), and the
/// options of `fetch`.
enum Completion {
    static let commands = ["list", "help", "run", "eval", "sweep", "report", "bench", "verify-ops", "fetch", "new-plugin", "completion", "version"]
    static let globalOptions = ["--seed", "--threads", "--out", "--quiet", "--json", "--report", "--plugins", "--help"]
    /// Global options followed by a value.
    static let takesValue: Set<String> = ["--seed", "--threads", "--out", "--plugins", "--checkpoint", "--archive", "--dir", "--url", "--md5"]

    /// The script for `eval "$(host completion bash)"` (or a file in bash-completion's folder).
    static let bashScript = """
    # bash completion for host: eval "$(host completion bash)"
    _host_complete() {
        local IFS=$'\\n'
        COMPREPLY=($("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
    }
    complete -o default -F _host_complete host

    """

    /// The script for zsh: `eval "$(host completion zsh)"` after `compinit` (or the output saved
    /// as `_host` in a folder of `$fpath`). Files are offered where host has no candidates (the
    /// value of `--out`, `--cifar-dir`).
    static let zshScript = """
    #compdef host
    # zsh completion for host: eval "$(host completion zsh)" after compinit
    _host() {
        local -a candidates
        candidates=(${(f)"$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)"})
        if (( ${#candidates} )); then
            compadd -a candidates
        else
            _files
        fi
    }
    compdef _host host

    """

    /// The script for fish: `host completion fish | source` (or saved as
    /// ~/.config/fish/completions/host.fish). Paths are offered where host has no candidates.
    static let fishScript = """
    # fish completion for host: host completion fish | source
    function __host_complete
        set -l tokens (commandline -opc)
        set -l candidates ($tokens[1] __complete $tokens[2..-1] (commandline -ct) 2>/dev/null)
        if set -q candidates[1]
            printf '%s\\n' $candidates
        else
            __fish_complete_path (commandline -ct)
        end
    end
    complete -c host -f -a '(__host_complete)'

    """

    /// The shells a script is written for, and each one's script.
    static let scripts: [(shell: String, script: String)] = [("bash", bashScript), ("zsh", zshScript), ("fish", fishScript)]

    /// Global options that take no value.
    static let globalFlags: Set<String> = ["--quiet", "--json", "--report", "--help"]

    /// The candidates for the last of `words` (the words after `host`; the last may be empty).
    /// A word after an option that takes a value is that value, not a command, plugin or
    /// experiment; where the last word is such a value there are no candidates (the shell
    /// offers files).
    static func candidates(_ words: [String], describe: (String) -> [[String: Any]]?, plugins: () -> [String]) -> [String] {
        let partial = words.last ?? ""
        var done: [String] = []
        var described: [[String: Any]]?? = .none
        func experiments() -> [[String: Any]] {
            if described == nil { described = .some(done.count > 1 ? describe(done[1]) : nil) }
            return (described ?? nil) ?? []
        }
        func chosen() -> [String: Any]? {
            let all = experiments()
            return (done.count > 2 ? all.first { $0["name"] as? String == done[2] } : nil) ?? all.first
        }
        /// Whether `option` (a whole `--name` word) is followed by its value.
        func takesAValue(_ option: String) -> Bool {
            if option.contains("=") || globalFlags.contains(option) { return false }
            if takesValue.contains(option) { return true }
            guard ["run", "eval", "help"].contains(done.first ?? ""), done.count > 1 else { return false }
            let spec = (chosen()?["options"] as? [[String: Any]])?.first { "--" + ($0["name"] as? String ?? "") == option }
            return spec.map { $0["type"] as? String != "flag" } ?? false
        }
        var valueNext = false
        for word in words.dropLast() {
            if valueNext { valueNext = false; continue }
            if word.hasPrefix("--") { valueNext = takesAValue(word); continue }
            done.append(word)
        }
        if valueNext { return [] }
        let all: [String]
        switch (done.first, done.count) {
        case (nil, _): all = commands
        case ("run"?, 1), ("eval"?, 1): all = plugins()
        case ("help"?, 1): all = plugins() + commands
        case ("run"?, _), ("eval"?, _), ("help"?, 2):
            if done.count == 2 && !partial.hasPrefix("-") {
                all = experiments().compactMap { $0["name"] as? String }
            } else {
                let own = (chosen()?["options"] as? [[String: Any]] ?? []).compactMap { ($0["name"] as? String).map { "--" + $0 } }
                all = own + globalOptions + (done[0] == "eval" ? ["--checkpoint"] : [])
            }
        case ("fetch"?, 1): all = FetchCommand.datasets
        case ("fetch"?, _): all = ["--archive", "--dir", "--url", "--md5", "--force"] + globalOptions
        case ("completion"?, 1): all = scripts.map(\.shell)
        default: all = partial.hasPrefix("-") ? globalOptions : []
        }
        return all.filter { $0.hasPrefix(partial) }
    }

    /// `host __complete WORDS...`: one candidate per line.
    static func run(_ words: [String]) -> Int32 {
        let discovery = HostCommand.discover(GlobalOptions())
        let found = candidates(words, describe: { name in
            guard case .success(let description) = HostCommand.choose(name, in: discovery) else { return nil }
            return PluginDescriber.experiments(description)
        }, plugins: { discovery.names })
        for candidate in found { print(candidate) }
        return ExitCode.success
    }
}
