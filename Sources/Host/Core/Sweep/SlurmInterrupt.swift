import Foundation
import PluginAPI

/// Ctrl-C while `host sweep --slurm` (or `resume`) waits for its job array. The tasks run on
/// the cluster, not in this process, so stopping the wait does not stop them: on a terminal the
/// user is asked whether to `scancel` them; without one (a script, a pipe) nothing is asked and
/// they keep running. Either way the line printed says what happened and what to type next. A
/// second Ctrl-C exits at once, whatever is under way (the question included).
enum SlurmInterrupt {
    private nonisolated(unsafe) static var count: sig_atomic_t = 0

    /// Whether Ctrl-C (SIGINT) came since `install()`.
    static var requested: Bool { count > 0 }

    /// Catches SIGINT until `uninstall()`: the first is noted for the waiting loop, the second exits.
    static func install() {
        count = 0
        signal(SIGINT, handler)
    }

    /// Gives SIGINT back its default action.
    static func uninstall() { signal(SIGINT, SIG_DFL) }

    private static let handler: @convention(c) (Int32) -> Void = { _ in
        SlurmInterrupt.count += 1
        if SlurmInterrupt.count >= 2 {
            let note: StaticString = "\nhost: stopped; the Slurm jobs are left as they are\n"
            _ = write(2, note.utf8Start, note.utf8CodeUnitCount)
            _exit(ExitCode.interrupted)
        }
    }

    /// Whether the answer to "[y/N]" is yes: `y` or `yes` in any case; anything else, or none
    /// (end of input), is no.
    static func isYes(_ answer: String?) -> Bool {
        guard let word = answer?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return word == "y" || word == "yes"
    }

    /// The tasks of each of `jobIDs` that squeue lists as queued or running, for the jobs with any.
    static func activeJobs(_ jobIDs: [String]) throws -> ActiveSlurmJobs {
        ActiveSlurmJobs(jobs: try jobIDs.compactMap { id in
            let (queued, running) = try SlurmSweep.active(id)
            return queued + running > 0 ? (id, queued + running) : nil
        })
    }

    /// What the Ctrl-C does once the wait has stopped: asks, when `interactive`, whether to
    /// cancel the sweep's queued and running tasks (`ask` shows the question and returns the
    /// answer line); cancels them on yes (`cancel`), recording it in sweep.json; says what
    /// happened. Returns the exit code (130: the sweep did not finish here).
    static func stop(_ plan: SweepPlan, folder: String, interactive: Bool, ask: (String) -> String?, say: (String) -> Void) throws -> Int32 {
        let active = try activeJobs(plan.slurm?.jobIDs ?? [])
        let (jobs, tasks, names) = (active.jobs, active.tasks, active.named)
        guard tasks > 0 else {
            say("sweep: stopped waiting; no task of the sweep is queued or running; `host sweep status \(folder)` shows the runs, `host sweep resume \(folder)` runs the unfinished ones")
            return ExitCode.interrupted
        }
        if interactive, isYes(ask("sweep: cancel the \(tasks) queued/running task\(tasks == 1 ? "" : "s") of \(names) with scancel? [y/N] ")) {
            try cancel(jobs.map(\.id))
            var marked = plan
            marked.slurm?.cancelledJobIDs += jobs.map(\.id).filter { !(plan.slurm?.cancelledJobIDs.contains($0) ?? false) }
            waitUntilEnded(jobs.map(\.id))
            try SweepRunner.save(marked, folder: folder)
            say("sweep: cancelled \(names) with scancel; `host sweep resume \(folder)` submits the runs that did not complete again")
            return ExitCode.interrupted
        }
        say("sweep: stopped waiting; Slurm \(names) keep\(jobs.count == 1 ? "s" : "") running (\(tasks) task\(tasks == 1 ? "" : "s") queued or running); `host sweep status \(folder)` follows them")
        return ExitCode.interrupted
    }

    /// `scancel` of whole job arrays.
    static func cancel(_ jobIDs: [String]) throws {
        let result = try SlurmSweep.command("scancel", jobIDs)
        guard result.status == 0 else {
            throw HostError("scancel \(jobIDs.joined(separator: " ")) failed: \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))",
                            hint: "cancel them yourself with `scancel \(jobIDs.joined(separator: " "))`; `squeue -j \(jobIDs.joined(separator: ","))` lists them",
                            exitCode: ExitCode.failure)
        }
    }

    /// Waits (at most 30 s) until squeue lists no task of `jobIDs`, so that the runs a
    /// cancelled task was in have marked themselves interrupted when sweep.json is written.
    static func waitUntilEnded(_ jobIDs: [String]) {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try? activeJobs(jobIDs))?.jobs.isEmpty == false { Thread.sleep(forTimeInterval: 0.2) }
    }

    /// The question on stderr and one line of stdin as the answer (nil at end of input).
    static func askOnTerminal(_ question: String) -> String? {
        FileHandle.standardError.write(Data(question.utf8))
        return readLine(strippingNewline: true)
    }

    /// Whether stdin is a terminal, where a question can be answered.
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }
}

/// A sweep's Slurm jobs that still have queued or running tasks, and how to name them.
struct ActiveSlurmJobs {
    /// Each job with its queued and running tasks, in the order asked.
    let jobs: [(id: String, tasks: Int)]
    /// The queued and running tasks of all the jobs.
    var tasks: Int { jobs.reduce(0) { $0 + $1.tasks } }
    /// "job 12" or "jobs 12, 13".
    var named: String { (jobs.count == 1 ? "job " : "jobs ") + jobs.map(\.id).joined(separator: ", ") }
    /// "12 13": what `scancel` takes.
    var idList: String { jobs.map(\.id).joined(separator: " ") }
}
