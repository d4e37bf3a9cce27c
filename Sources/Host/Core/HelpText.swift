import Foundation
import PluginAPI
import Kernels

/// The text of `host --help`, `host list` and `host help <Plugin> [experiment]`.
public enum HelpText {
    public static let usage = """
    host \(HostInfo.version): run machine-learning course assignments loaded as plugins

    Usage:
      host list                               plugins, their data sets, experiments and metrics
      host help <Plugin> [<experiment>]       every experiment and option of a plugin
      host run <Plugin> [<experiment>] [--option value ...]
                                              run an experiment (the plugin's first by default)
      host eval <Plugin> [<experiment>] --checkpoint PATH
                                              evaluate a saved model
      host sweep <Plugin> [<experiment>] --grid NAME=V1,V2 [--seeds LIST] --out DIR [--parallel N]
                                              run an experiment at every grid point and seed, N runs at a time
      host sweep <Plugin> <grid> [its options] --out DIR [--parallel N]
                                              the runs of a named grid (Parity sweep, ResNet sweep), each its own run
      host sweep status|resume <DIR>          a sweep's runs and their states; run its unfinished runs again
      host sweep ... --slurm [--partition P] [--time T] [--cpus-per-task N] [--max-running K] [--no-wait]
                                              the runs as one Slurm job array (sbatch), waiting for it
      host report <RUN_DIR>                   write report.html for a run, or for a folder of runs side by side
      host bench [<filter>] [--json]          the engine's micro-benchmarks (GEMM, conv2d)
      host verify-ops <DIR>                   check the engine against PyTorch golden cases in DIR
      host fetch cifar10 [--archive FILE] [--dir DIR] [--url URL] [--md5 HEX] [--force]
                                              download CIFAR-10 (or unpack a manual download) into the data folder
      host new-plugin <Name> [--dir DIR]      write a SwiftPM package for a new plugin, with a passing test
      host completion bash|zsh|fish           a completion script: eval "$(host completion bash)"
      host --version

    Global options (anywhere on the line):
      --seed N          seed for every random draw (default 0); same seed, same numbers
      --threads N       worker threads (default: all \(WorkerPool.availableCores) cores)
      --out DIR         run folder (default runs/<Plugin>-<experiment>-<UTC time>/); must be new or empty
      --quiet           no progress or messages on stderr
      --json            print one JSON object on stdout instead of the table
      --report          also write report.html into the run folder
      --plugins DIR     look for lib<Name>.so plugins in DIR first (repeatable)

    Plugins are found in --plugins folders, $HOST_PLUGIN_PATH (colon-separated), the folder of
    the host executable, then ./Plugins/. The engine's kernels are the widest set this CPU
    runs well (host bench names it); $HOST_KERNELS=generic|avx2|avx512 forces one. Exit codes: 0
    done, 1 run failed, 2 bad input or usage, 130 interrupted.
    """

    /// `host help <command>` and `host <command> --help` for the host's own commands (bench,
    /// fetch, ...): that command's lines of `usage` and the global options; nil for a name
    /// that is not a command (a plugin's name, say).
    public static func command(_ name: String) -> String? {
        let lines = usage.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var picked: [String] = [], taking = false
        for line in lines {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("host ") {
                taking = trimmed.dropFirst(5).split(separator: " ").first.map(String.init) == name
                if taking { picked.append(line) }
            } else if taking && line.hasPrefix(String(repeating: " ", count: 20)) {
                picked.append(line)
            } else {
                taking = false
            }
        }
        guard !picked.isEmpty, let options = usage.range(of: "Global options") else { return nil }
        let own = commandDetails[name].map { $0 + "\n\n" } ?? ""
        return "Usage:\n" + picked.joined(separator: "\n") + "\n\n" + own + usage[options.lowerBound...]
    }

    /// What each of the host's own commands takes, beyond its usage line.
    static let commandDetails: [String: String] = [
        "sweep": """
        Options:
          --grid NAME=V1,V2,...   an experiment option and its values; repeat for more options (the
                                  runs are every combination, the first grid varying slowest)
          --seeds LIST            the seeds of each combination: 0,1,2 or a range 0..4 (default: --seed)
          --parallel N            runs at a time (default 1), each its own process with --threads / N threads
          --out DIR               the sweep's folder (required): DIR/<index>-<key>/ per run (an ordinary
                                  run folder), DIR/sweep.json (the grid, each run's options, folder and
                                  status), DIR/logs/<run>.log (what each run printed)
          --slurm                 submit the runs as one Slurm job array (sbatch), task i running run i
                                  with `host sweep __task DIR i`; DIR must be on a filesystem every
                                  node sees, and host with its plugins installed on every node
          --partition P, --time T, --cpus-per-task N (each run's --threads), --max-running K (at
                                  most K tasks at once: --array=...%K), --no-wait (submit and return)
        Other options (--iters 500) go to every run. `host sweep status DIR` lists the runs and their
        states, `host sweep resume DIR` runs again those without a completed summary, and
        `host report DIR` compares them (overlaid curves, a table by option, mean and spread over seeds).
        With --slurm, Ctrl-C while waiting asks (when stdin is a terminal) whether to scancel the
        sweep's queued and running tasks; otherwise they keep running and `host sweep status DIR`
        follows them. A second Ctrl-C exits at once.

        A named grid (`host list` marks it [grid of <experiment>]) takes its own options, as `host run`
        does, instead of --grid and --seeds: `host sweep Parity sweep --ds 5,10 --seeds 2 --out DIR`
        runs `host run Parity train --d D --seed S` for each D and S = --seed, --seed + 1, the seeds the
        in-process `host run Parity sweep` gives its runs, so each run's numbers are that experiment's
        (its runs.csv lists them).
        """,
        "fetch": """
        Options:
          --dir DIR         the data folder to unpack into (default \(CIFAR10.defaultDataRoot)); experiments then
                            find <DIR>/cifar-10-batches-bin without --cifar-dir
          --archive FILE    unpack this cifar-10-binary.tar.gz instead of downloading (a manual download)
          --url URL         download from URL (default \(CIFAR10.archiveURL))
          --md5 HEX         the archive's expected MD5 (default CIFAR-10's published \(CIFAR10.archiveMD5))
          --force           download again even when <DIR> already holds a complete copy (it says so and stops)
        The archive is streamed to <DIR>/cifar-10-binary.tar.gz.part, then checked (MD5) and unpacked as it
        inflates, in under 100 MB of memory. A download cut by the network or the server keeps the .part
        file, and the same command resumes it (an HTTP Range request); the .part file is removed after an
        install, when its MD5 or unpacking fails, and by --force. Exit 2: bad or damaged data; exit 1: the
        download or the folder failed (a cut download says how much it kept).
        """,
        "eval": """
        Options:
          --checkpoint PATH the checkpoint a training run wrote in its run folder (the experiment's help says which)
          --name value ...  the experiment's options, as for `host run` (`host help <Plugin> <experiment>`)
        Writes a new run folder (<Plugin>-<experiment>-eval-<UTC time>) with the saved model's metrics.
        """,
        "report": """
        RUN_DIR is one run folder (its report.html shows the options, metrics, plots and files) or a
        folder of run folders, a sweep's for example (one page comparing them). Open report.html in a browser.
        """,
        "bench": """
        Options:
          <filter>          only the cases whose name contains it: gemm, skinny, conv2d, digits, memory, ...
          --json            one JSON object per case (ms, GFLOP/s, share of peak, kernel set, CPU, clock)
        Every figure names the CPU, the kernel set and the clock measured under load; GEMM and conv rows
        give their share of the detected peak (threads x lanes x FMA pipes x 2 x clock).
        """,
        "verify-ops": """
        DIR holds cases.json and its .npy arrays (the format of Tests/Fixtures/golden/README.md): every
        case runs through the engine and is compared with PyTorch's outputs and gradients. Exit 1 if one fails.
        """,
        "new-plugin": """
        Options:
          --dir DIR         where to write the package (default ./<Name>); must be new or empty
        The package builds against this host's runtime (`make build`, `make test`, `make run`).
        """,
    ]

    /// `host list`: a heading row per plugin, then its data sets and experiments.
    public static func list(_ plugins: [LoadedPlugin]) -> String {
        if plugins.isEmpty { return "No plugins found.\n" }
        var out = ""
        for loaded in plugins {
            let p = loaded.plugin
            out += "\(p.name) \(p.version) - \(p.summary)\n"
            for d in p.datasets {
                out += "    dataset     \(d.name) (\(d.source.label)): \(d.description)\n"
            }
            for (k, e) in p.experiments.enumerated() {
                let tags = [k == 0 ? "default" : nil, e.evaluate != nil ? "eval" : nil, e.grid.map { "grid of \($0.experiment)" }].compactMap { $0 }
                out += "    experiment  \(e.name)\(tags.isEmpty ? "" : " [" + tags.joined(separator: ", ") + "]"): \(e.summary)\n"
                if !e.metrics.isEmpty { out += "                metrics: " + e.metrics.map(metricLabel).joined(separator: ", ") + "\n" }
            }
        }
        return out
    }

    static func metricLabel(_ m: MetricSpec) -> String {
        let details = [m.unit.isEmpty ? nil : m.unit, m.goal == .neither ? nil : "\(m.goal.rawValue) is better"].compactMap { $0 }
        return m.name + (details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")")
    }

    /// `host help <Plugin>`: every experiment with its options.
    public static func plugin(_ p: any Plugin) -> String {
        var out = "\(p.name) \(p.version) - \(p.summary)\n\n"
        if !p.datasets.isEmpty {
            out += "Data sets:\n"
            for d in p.datasets { out += "  \(d.name) (\(d.source.label)): \(d.description)\n" }
            out += "\n"
        }
        for (k, e) in p.experiments.enumerated() {
            out += experiment(e, plugin: p.name, isDefault: k == 0) + "\n"
        }
        return out
    }

    /// `host help <Plugin> <experiment>`.
    public static func experiment(_ e: Experiment, plugin: String, isDefault: Bool) -> String {
        var out = "host run \(plugin) \(e.name)\(isDefault ? " (the default)" : "") [options]\n  \(e.summary)\n"
        if e.evaluate != nil { out += "  Also: host eval \(plugin) \(e.name) --checkpoint PATH\n" }
        if let grid = e.grid { out += gridText(grid, experiment: e.name, plugin: plugin) }
        if e.options.isEmpty {
            out += "  Options: none\n"
        } else {
            out += "  Options:\n"
            let rows = e.options.map { o -> [String] in
                let flag = o.kind == .flag ? "--\(o.name)" : "--\(o.name) <\(o.typeName)>"
                let def = o.defaultValue.map { "default \($0)" } ?? "optional"
                return [flag, o.allowedDescription, def, o.help]
            }
            out += table(rows, indent: 4)
        }
        if !e.metrics.isEmpty {
            out += "  Metrics:\n"
            out += table(e.metrics.map { [$0.name, $0.unit, $0.goal == .neither ? "" : "\($0.goal.rawValue) is better", $0.help] }, indent: 4)
        }
        return out
    }

    /// What `host help` says of a named grid: how `host sweep` runs its points, and with which
    /// options and seeds.
    static func gridText(_ grid: ExperimentGrid, experiment: String, plugin: String) -> String {
        let axes = grid.axes.map { axis -> String in
            switch axis.values {
            case .fixed(let values): return "--\(axis.option) \(values.joined(separator: ","))"
            case .option(let name): return "--\(axis.option) from --\(name)"
            }
        }
        let seeds = grid.seedsOption.map { "seeds --seed, --seed + 1, ... (--\($0) of them)" } ?? "seed --seed"
        return "  Also: host sweep \(plugin) \(experiment) [options] --out DIR [--parallel N | --slurm ...]\n"
            + "    each run of this named grid as its own `host run \(plugin) \(grid.experiment)` (the same numbers):\n"
            + "    \(axes.joined(separator: ", ")); \(seeds)\n"
    }

    /// Left-aligned columns.
    static func table(_ rows: [[String]], indent: Int) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: columns)
        for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
        return rows.map { row in
            var line = String(repeating: " ", count: indent)
            for (k, cell) in row.enumerated() {
                line += k + 1 < row.count ? cell.padding(toLength: widths[k] + 2, withPad: " ", startingAt: 0) : cell
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line + "\n"
        }.joined()
    }

    /// The final metrics of a run as a small table.
    public static func outcome(_ o: RunOutcome) -> String {
        let seconds = o.seconds < 10 ? String(format: "%.2f s", o.seconds) : String(format: "%.1f s", o.seconds)
        let out = "\(o.plugin) \(o.experiment): \(o.status.rawValue) in \(seconds); run folder \(o.folder)\n"
        if o.finals.isEmpty { return out }
        var rows = [["metric", "value", "unit", "better"]]
        for (name, value) in o.finals {
            let spec = o.metricSpecs.first { $0.name == name }
            rows.append([name, formatNumber(value), spec?.unit ?? "", spec.map { $0.goal == .neither ? "" : $0.goal.rawValue } ?? ""])
        }
        return out + table(rows, indent: 2)
    }
}
