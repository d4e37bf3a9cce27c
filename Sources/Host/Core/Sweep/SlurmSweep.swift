import Foundation
import PluginAPI

/// A sweep's Slurm options (`--slurm`), kept in sweep.json so that `host sweep resume`
/// submits the same way.
public struct SlurmSettings: Equatable {
    /// `--partition P` (sbatch's), else the cluster's default partition.
    public var partition: String?
    /// `--time T` (sbatch's format, such as 30:00 or 1-00:00:00), else the partition's limit.
    public var time: String?
    /// `--cpus-per-task N`: each task's CPUs, and its run's `--threads`.
    public var cpusPerTask = 1
    /// `--max-running K`: at most K tasks of the array at once (`--array=...%K`), else no limit.
    public var maxRunning: Int?
    /// Whether `host sweep` waits for the array and shows its progress (`--no-wait`: false).
    public var wait = true
    /// The job ids of the arrays submitted so far, the last one current.
    public var jobIDs: [String] = []
    /// The job ids `host sweep` cancelled with scancel when asked to at Ctrl-C.
    public var cancelledJobIDs: [String] = []

    public init() {}

    static let example = "for example `host sweep Parity train --grid d=5,10 --slurm --partition gpu --time 30:00 --max-running 8 --out ~/scratch/sweeps/parity`"

    /// Sets the option `name` from its text; an error when the text does not fit.
    mutating func set(_ name: String, _ text: String) -> HostError? {
        switch name {
        case "partition":
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.,".contains($0)) }) else {
                return HostError("--partition: '\(text)' is not a partition name", hint: "`sinfo` lists the cluster's partitions")
            }
            partition = text
        case "time":
            guard !text.isEmpty, text.allSatisfy({ $0.isNumber || $0 == ":" || $0 == "-" }) else {
                return HostError("--time: '\(text)' is not a Slurm time limit", hint: "minutes, MM:SS, HH:MM:SS or D-HH:MM:SS, for example --time 2:00:00")
            }
            time = text
        case "cpus-per-task":
            guard let n = Int(text), (1...1024).contains(n) else {
                return HostError("--cpus-per-task: '\(text)' is not a whole number in 1...1024", hint: "each run's CPUs, for example --cpus-per-task 4")
            }
            cpusPerTask = n
        default:
            guard let n = Int(text), (1...100_000).contains(n) else {
                return HostError("--max-running: '\(text)' is not a whole number >= 1", hint: "at most this many runs at once, for example --max-running 8")
            }
            maxRunning = n
        }
        return nil
    }

    /// The settings as sweep.json keeps them.
    var json: JSON {
        .object([("partition", partition.map { .string($0) } ?? .null), ("time", time.map { .string($0) } ?? .null),
                 ("cpus_per_task", .number(Double(cpusPerTask))), ("max_running", maxRunning.map { .number(Double($0)) } ?? .null),
                 ("wait", .bool(wait)), ("job_ids", .array(jobIDs.map { .string($0) })),
                 ("cancelled_job_ids", .array(cancelledJobIDs.map { .string($0) }))])
    }

    /// The settings sweep.json kept.
    init(json object: [String: Any]) {
        partition = object["partition"] as? String
        time = object["time"] as? String
        cpusPerTask = (object["cpus_per_task"] as? NSNumber)?.intValue ?? 1
        maxRunning = (object["max_running"] as? NSNumber)?.intValue
        wait = object["wait"] as? Bool ?? true
        jobIDs = object["job_ids"] as? [String] ?? []
        cancelledJobIDs = object["cancelled_job_ids"] as? [String] ?? []
    }
}

/// Runs a sweep's points as one Slurm job array: a batch script in the sweep's folder whose
/// task i runs point i (`host sweep __task DIR i`, which starts `host run` with `--threads`
/// from `SLURM_CPUS_PER_TASK`), submitted with sbatch; then, unless `--no-wait`, progress from
/// the run folders and squeue until no task is queued or running.
public enum SlurmSweep {
    /// Writes the batch script for `indices` and submits it; returns the array's job id.
    static func submit(_ plan: SweepPlan, indices: [Int], folder: String, executable: String) throws -> String {
        guard let settings = plan.slurm else { throw HostError("not a Slurm sweep", hint: "") }
        let scripts = (folder as NSString).appendingPathComponent("slurm")
        try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
        let logs = (folder as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        var lines = ["#!/bin/sh",
                     "# `host sweep` job array: task i runs point i of \(absolute)/sweep.json",
                     "#SBATCH --job-name=host-sweep-\(plan.plugin)",
                     "#SBATCH --array=\(indices.map(String.init).joined(separator: ","))" + (settings.maxRunning.map { "%\($0)" } ?? ""),
                     "#SBATCH --cpus-per-task=\(settings.cpusPerTask)",
                     "#SBATCH --output=\(absolute)/logs/slurm-%A_%a.out"]
        if let partition = settings.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time = settings.time { lines.append("#SBATCH --time=\(time)") }
        lines.append("exec \(shellQuoted(executable)) sweep __task \(shellQuoted(absolute)) \"$SLURM_ARRAY_TASK_ID\"")
        let script = (scripts as NSString).appendingPathComponent("submit-\(settings.jobIDs.count + 1).sh")
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: script)
        let result = try command("sbatch", ["--parsable", script])
        guard result.status == 0, let id = result.output.split(whereSeparator: { $0 == ";" || $0 == "\n" }).first.map(String.init), !id.isEmpty else {
            throw HostError("sbatch refused the sweep's job array: \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))",
                            hint: "check --partition, --time and --cpus-per-task against `sinfo`; the script is \(script)", exitCode: ExitCode.failure)
        }
        return id
    }

    /// The array's tasks that squeue lists as queued or running: (queued, running).
    static func active(_ jobID: String) throws -> (queued: Int, running: Int) {
        let result = try command("squeue", ["-h", "-r", "-j", jobID, "-o", "%T"])
        guard result.status == 0 else { return (0, 0) }   // a job squeue no longer knows is done
        let states = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return (states.filter { ["PENDING", "REQUEUED", "CONFIGURING"].contains($0) }.count,
                states.filter { ["RUNNING", "COMPLETING", "SUSPENDED"].contains($0) }.count)
    }

    /// Waits until no task of `jobID` is queued or running, saying the counts when they change.
    /// Returns false when Ctrl-C stopped the wait (`SlurmInterrupt`), true when the array is done.
    static func wait(_ plan: SweepPlan, points: [SweepPlan.Point], jobID: String, folder: String, say: (String) -> Void) throws -> Bool {
        var last = ""
        var idlePolls = 0
        while true {
            let (queued, running) = try active(jobID)
            // Ctrl-C on a terminal reaches squeue too: a count it could not finish means nothing.
            if SlurmInterrupt.requested { return false }
            let states = points.map { SweepRunner.status(of: $0, in: folder) }
            let done = states.filter { $0 == "completed" }.count
            let line = "sweep (Slurm job \(jobID)): \(done)/\(points.count) completed, \(running) running, \(queued) queued"
            if line != last { say(line); last = line }
            // Done when squeue lists no task of the array: at once when every point's task has
            // ended (its exit file), else after three polls in a row (a cancelled task leaves
            // no exit file; a just-submitted array may not be listed yet).
            let ended = points.allSatisfy { FileManager.default.fileExists(atPath: SweepRunner.exitFile($0, in: folder)) }
            idlePolls = queued + running == 0 ? idlePolls + 1 : 0
            if idlePolls > 0 && (ended || idlePolls >= 3) { return true }
            for _ in 0..<10 where !SlurmInterrupt.requested { Thread.sleep(forTimeInterval: 0.1) }
        }
    }

    /// `host sweep __task DIR INDEX`: one array task. Runs point INDEX as `host run` with the
    /// task's CPUs as threads; exits with the run's status (0 completed, 1 otherwise).
    static func task(_ arguments: [String]) -> Result<Int32, HostError> {
        guard arguments.count == 3, let index = Int(arguments[2]) else {
            return .failure(HostError("`host sweep __task` needs a sweep folder and a point index", hint: "Slurm starts it from the sweep's batch script"))
        }
        let folder = arguments[1]
        return SweepRunner.load(folder: folder).flatMap { plan in
            let points = plan.points
            guard points.indices.contains(index), let executable = HostCommand.executablePath() else {
                return .failure(HostError("\(folder) has no point \(index)", hint: "the sweep.json was changed after submitting"))
            }
            let threads = Int(ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"] ?? "") ?? plan.slurm?.cpusPerTask ?? 1
            let point = points[index]
            let status = SweepRunner.runOne(plan, point, runFolder: (folder as NSString).appendingPathComponent(point.folder),
                                            log: (folder as NSString).appendingPathComponent("logs/\(point.folder).log"), executable: executable,
                                            threads: max(1, threads), pluginFolders: plan.pluginFolders)
            return .success(status == "completed" ? ExitCode.success : ExitCode.failure)
        }
    }

    /// Runs a Slurm command; its exit status, stdout and stderr. Throws when it is not installed.
    static func command(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw HostError("cannot run \(name): \(error.localizedDescription)", hint: "Slurm's commands must be on PATH (a login node of the cluster)", exitCode: ExitCode.failure)
        }
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            throw HostError("\(name) is not installed here", hint: "run the sweep on a login node of a Slurm cluster, or without --slurm", exitCode: ExitCode.failure)
        }
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
