import Foundation
import PluginAPI

/// `host sweep PLUGIN [EXPERIMENT] --grid NAME=V1,V2 ... [--seeds LIST|A..B] --out DIR [--parallel N]`,
/// `host sweep status DIR` and `host sweep resume DIR`.
enum SweepCommand {
    static func run(_ arguments: [String], globals: GlobalOptions) -> Result<Int32, HostError> {
        switch arguments.first {
        case "__task"?:
            return SlurmSweep.task(arguments)
        case "status"?:
            return folderArgument(arguments, verb: "status").flatMap { status(folder: $0, json: globals.json) }
        case "resume"?:
            // A Slurm sweep resumed waits for its tasks unless told --no-wait again.
            let noWait = arguments.contains("--no-wait")
            return folderArgument(arguments.filter { $0 != "--no-wait" }, verb: "resume").flatMap { folder in
                SweepRunner.load(folder: folder).flatMap { loaded in
                    var plan = loaded
                    plan.slurm?.wait = !noWait
                    let unfinished = plan.points.filter { SweepRunner.status(of: $0, in: folder) != "completed" }
                    if unfinished.isEmpty {
                        if !globals.quiet { say("sweep: every run in \(folder) is completed; nothing to resume") }
                        return .success(ExitCode.success)
                    }
                    if let refusal = stillQueued(plan, folder: folder) { return .failure(refusal) }
                    if !globals.quiet { say("sweep: resuming \(unfinished.count) of \(plan.points.count) runs in \(folder)") }
                    return execute(plan, points: unfinished, folder: folder, globals: globals)
                }
            }
        case let plugin? where !plugin.hasPrefix("-"):
            var tokens = Array(arguments.dropFirst())
            var experiment: String?
            if let first = tokens.first, !first.hasPrefix("-") { experiment = first; tokens.removeFirst() }
            guard let folder = globals.out else {
                return .failure(HostError("`host sweep` needs --out DIR, the folder of its runs", hint: SweepPlan.example))
            }
            if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(SweepRunner.fileName)) {
                return .failure(HostError("\(folder) already holds a sweep", hint: "`host sweep resume \(folder)` finishes it, `host sweep status \(folder)` shows it; or choose another --out"))
            }
            return plan(plugin: plugin, experiment: experiment, tokens: tokens, globals: globals).flatMap { parsed in
                var plan = parsed
                plan.pluginFolders = globals.pluginFolders
                let how = plan.slurm == nil ? "\(plan.parallel) at a time" : "as a Slurm job array"
                let grid = plan.namedGrid.map { " (the named grid \(plan.plugin) \($0.name))" } ?? ""
                if !globals.quiet { say("sweep: \(plan.points.count) runs of \(plan.plugin) \(plan.experiment ?? "(default experiment)")\(grid) into \(folder), \(how)") }
                return execute(plan, points: plan.points, folder: folder, globals: globals)
            }
        default:
            return .failure(HostError("`host sweep` needs a plugin, or status/resume and a sweep's folder", hint: SweepPlan.example))
        }
    }

    /// Why a Slurm sweep cannot be resumed yet: tasks of its arrays still queued or running
    /// (after Ctrl-C left them so, or --no-wait) would run their points a second time.
    static func stillQueued(_ plan: SweepPlan, folder: String) -> HostError? {
        guard let ids = plan.slurm?.jobIDs, !ids.isEmpty else { return nil }
        do {
            let active = try SlurmInterrupt.activeJobs(ids)
            guard !active.jobs.isEmpty else { return nil }
            let tasks = active.tasks
            return HostError("\(tasks) task\(tasks == 1 ? "" : "s") of the sweep's Slurm \(active.named) \(tasks == 1 ? "is" : "are") still queued or running",
                             hint: "wait for them (`host sweep status \(folder)`), or cancel them with `scancel \(active.idList)`, then resume")
        } catch let error as HostError {
            return error
        } catch {
            return HostError("cannot ask squeue about the sweep's jobs: \(error)", hint: "resume it on a login node of the cluster", exitCode: ExitCode.failure)
        }
    }

    static func say(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    static func folderArgument(_ arguments: [String], verb: String) -> Result<String, HostError> {
        guard arguments.count == 2 else {
            return .failure(HostError("`host sweep \(verb)` needs one sweep folder", hint: "for example `host sweep \(verb) sweeps/parity`"))
        }
        return .success(arguments[1])
    }

    /// The plan of a new sweep, checked before anything runs: `--grid` and `--seeds` for an
    /// experiment, or the points of a named grid expanded from its own options by the plugin's
    /// declaration (`NamedGridSweep`).
    static func plan(plugin: String, experiment: String?, tokens: [String], globals: GlobalOptions) -> Result<SweepPlan, HostError> {
        SweepPlan.parse(plugin: plugin, experiment: experiment, tokens: tokens, defaultSeed: globals.seed, experimentOptionsOnly: true).flatMap { loose in
            HostCommand.choose(plugin, in: HostCommand.discover(globals)) {
                PluginDescriber.describe($0, grid: experiment, tokens: loose.fixed, seed: globals.seed)
            }.flatMap { description in
                if let grid = description.grid { return NamedGridSweep.plan(loose, grid: grid, description: description) }
                return SweepPlan.parse(plugin: plugin, experiment: experiment, tokens: tokens, defaultSeed: globals.seed)
                    .flatMap { plan in check(plan, description: description).map { plan } }
            }
        }
    }

    /// Refuses, before anything runs, an experiment that is not there and a grid axis the
    /// experiment does not declare (each run checks the values, as `host run` does).
    static func check(_ plan: SweepPlan, description: PluginDescriber.Description) -> Result<Void, HostError> {
        let experiments = PluginDescriber.experiments(description)
        let names = experiments.compactMap { $0["name"] as? String }
        guard let chosen = plan.experiment.map({ name in experiments.first { $0["name"] as? String == name } }) ?? experiments.first else {
            return .failure(HostError("\(plan.plugin) has no experiment '\(plan.experiment ?? "")'", hint: "its experiments: \(names.joined(separator: ", "))"))
        }
        let options = (chosen["options"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        for axis in plan.axes where !options.contains(axis.name) {
            return .failure(HostError("--grid \(axis.name): \(plan.plugin) \(chosen["name"] as? String ?? "") has no option --\(axis.name)",
                                      hint: "its options: " + options.map { "--" + $0 }.joined(separator: ", ")))
        }
        return .success(())
    }

    static func execute(_ plan: SweepPlan, points: [SweepPlan.Point], folder: String, globals: GlobalOptions) -> Result<Int32, HostError> {
        guard let executable = HostCommand.executablePath() else {
            return .failure(HostError("cannot find the host executable to start the runs", hint: "run host by its path"))
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let failed: [SweepPlan.Point]
            if plan.slurm != nil {
                switch try slurm(plan, points: points, folder: folder, executable: executable, globals: globals) {
                case .submitted: return .success(ExitCode.success)
                case .interrupted(let code): return .success(code)
                case .finished(let slurmFailed): failed = slurmFailed
                }
            } else {
                failed = try SweepRunner.run(plan, points: points, folder: folder, executable: executable, threads: globals.threads,
                                             pluginFolders: plan.pluginFolders, say: { if !globals.quiet { say($0) } })
            }
            if globals.json { print(SweepRunner.description(plan, folder: folder).text(indent: 2)) }
            guard failed.isEmpty else {
                let list = failed.prefix(5).map { "\($0.folder) (\(SweepRunner.status(of: $0, in: folder)); log: logs/\($0.folder).log)" }.joined(separator: ", ")
                return .failure(HostError("\(failed.count) of \(points.count) runs did not complete: \(list)\(failed.count > 5 ? ", ..." : "")",
                                          hint: "see their logs in \(folder)/logs; `host sweep resume \(folder)` runs them again", exitCode: ExitCode.failure))
            }
            if !globals.quiet { say("sweep: all \(points.count) runs completed in \(folder); compare them with `host report \(folder)`") }
            return .success(ExitCode.success)
        } catch let error as HostError {
            return .failure(error)
        } catch {
            return .failure(HostError("cannot write the sweep into \(folder): \(error.localizedDescription)", hint: "check that the folder is writable, or choose another --out",
                                      exitCode: ExitCode.failure))
        }
    }

    /// How a Slurm submission ended here.
    enum SlurmOutcome {
        /// Submitted with --no-wait.
        case submitted
        /// Waited for: the points that did not complete.
        case finished([SweepPlan.Point])
        /// Ctrl-C stopped the wait (`SlurmInterrupt`): the exit code.
        case interrupted(Int32)
    }

    /// Submits `points` as one job array and, unless --no-wait, waits for it (Ctrl-C asks
    /// whether to cancel it, see `SlurmInterrupt`).
    static func slurm(_ plan: SweepPlan, points: [SweepPlan.Point], folder: String, executable: String,
                      globals: GlobalOptions) throws -> SlurmOutcome {
        var plan = plan
        // Ctrl-C from here on stops the wait and asks about the tasks, even one that comes
        // before the array is known to have been submitted.
        let waits = plan.slurm?.wait ?? true
        if waits { SlurmInterrupt.install() }
        defer { if waits { SlurmInterrupt.uninstall() } }
        for point in points { SweepRunner.reset(point, in: folder) }   // queued tasks show as pending
        try SweepRunner.save(plan, folder: folder)
        let id = try SlurmSweep.submit(plan, indices: points.map(\.index), folder: folder, executable: executable)
        plan.slurm?.jobIDs.append(id)
        try SweepRunner.save(plan, folder: folder)
        if !globals.quiet { say("sweep: submitted Slurm job array \(id) (\(points.count) tasks); task logs in \(folder)/logs") }
        guard waits else {
            if !globals.quiet { say("sweep: not waiting; `host sweep status \(folder)` shows the runs, `squeue -j \(id)` the tasks") }
            return .submitted
        }
        guard try SlurmSweep.wait(plan, points: points, jobID: id, folder: folder, say: { if !globals.quiet { say($0) } }) else {
            return .interrupted(try SlurmInterrupt.stop(plan, folder: folder, interactive: SlurmInterrupt.stdinIsTerminal,
                                                        ask: SlurmInterrupt.askOnTerminal, say: say))
        }
        try SweepRunner.save(plan, folder: folder)
        return .finished(points.filter { SweepRunner.status(of: $0, in: folder) != "completed" })
    }

    /// A table of the points and their states (or sweep.json's object with --json).
    static func status(folder: String, json: Bool) -> Result<Int32, HostError> {
        SweepRunner.load(folder: folder).map { plan in
            if json {
                print(SweepRunner.description(plan, folder: folder).text(indent: 2))
                return ExitCode.success
            }
            let points = plan.points
            let states = points.map { SweepRunner.status(of: $0, in: folder) }
            let header = ["run"] + plan.axes.map { "--" + $0.name } + ["--seed", "status"]
            let rows = zip(points, states).map { point, state in [point.folder] + point.values + [String(point.seed), state] }
            print(TextTable.aligned([header] + rows))
            let counts = Dictionary(grouping: states, by: { $0 }).map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
            print("\(plan.plugin) \(plan.experiment ?? "")\(NamedGridSweep.label(plan).map { " (\($0))" } ?? ""): \(points.count) runs: \(counts)")
            if let ids = plan.slurm?.jobIDs, let last = ids.last {
                let cancelled = plan.slurm?.cancelledJobIDs ?? []
                print("Slurm job array\(ids.count > 1 ? "s" : "") \(ids.joined(separator: ", ")) (`squeue -j \(last)` shows the tasks still queued or running)"
                      + (cancelled.isEmpty ? "" : "; cancelled at Ctrl-C: \(cancelled.joined(separator: ", "))"))
            }
            return ExitCode.success
        }
    }
}
