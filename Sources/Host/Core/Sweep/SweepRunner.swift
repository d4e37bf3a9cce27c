import Foundation
import PluginAPI

/// Runs a sweep's points on this machine, `parallel` at a time, each as its own `host run`
/// process, and keeps `sweep.json` in the sweep's folder up to date: the plan, and each point's
/// options, folder and status. A point's status is its run folder's (summary.json), so a killed
/// sweep loses nothing that its runs wrote, and `host sweep status`/`resume` read the same.
public enum SweepRunner {
    /// The sweep's description file in its folder.
    public static let fileName = "sweep.json"

    /// A point's state: its run folder's summary status ("completed", "failed", "interrupted",
    /// "running"); without a summary, "failed" when its `host run` ended (it refused its options,
    /// or could not start: `logs/<point>.exit` holds the exit code), else "pending".
    public static func status(of point: SweepPlan.Point, in folder: String) -> String {
        let summary = (folder as NSString).appendingPathComponent(point.folder + "/summary.json")
        if let data = FileManager.default.contents(atPath: summary),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let status = object["status"] as? String {
            return status
        }
        return FileManager.default.fileExists(atPath: exitFile(point, in: folder)) ? "failed" : "pending"
    }

    /// Removes what an earlier attempt at `point` left (its run folder and exit code), so its
    /// status is "pending" until it runs again.
    static func reset(_ point: SweepPlan.Point, in folder: String) {
        try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(point.folder))
        try? FileManager.default.removeItem(atPath: exitFile(point, in: folder))
    }

    /// Where a point's exit code is kept once its process ends.
    static func exitFile(_ point: SweepPlan.Point, in folder: String) -> String {
        (folder as NSString).appendingPathComponent("logs/\(point.folder).exit")
    }

    /// sweep.json for `plan` in `folder`, each point with its current status.
    public static func description(_ plan: SweepPlan, folder: String) -> JSON {
        .object([
            ("plugin", .string(plan.plugin)),
            ("experiment", plan.experiment.map { .string($0) } ?? .null),
            ("grid", .array(plan.axes.map { .object([("name", .string($0.name)), ("values", .array($0.values.map { .string($0) }))]) })),
            ("seeds", .array(plan.seeds.map { .number(Double($0)) })),
            ("fixed_options", .array(plan.fixed.map { .string($0) })),
            ("parallel", .number(Double(plan.parallel))),
            ("plugin_folders", .array(plan.pluginFolders.map { .string($0) })),
            ("slurm", plan.slurm.map { $0.json } ?? .null),
            ("named_grid", namedGridJSON(plan.namedGrid)),
            ("points", .array(plan.points.map { point in
                .object([("index", .number(Double(point.index))), ("folder", .string(point.folder)),
                         ("options", .object(zip(plan.axes, point.values).map { ($0.name, .string($1)) })),
                         ("seed", .number(Double(point.seed))), ("status", .string(status(of: point, in: folder)))])
            })),
        ])
    }

    /// sweep.json's `named_grid`: the grid experiment and the options it was given, or null.
    static func namedGridJSON(_ grid: SweepPlan.NamedGrid?) -> JSON {
        guard let grid else { return .null }
        return .object([("experiment", .string(grid.name)), ("options", .array(grid.options.map { JSON.string($0) }))])
    }

    /// Reads the plan back from a sweep folder's sweep.json.
    public static func load(folder: String) -> Result<SweepPlan, HostError> {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(HostError("\(folder) holds no \(fileName): it is not a sweep's folder", hint: "give the --out folder of a `host sweep`"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let plugin = object["plugin"] as? String,
              let grid = object["grid"] as? [[String: Any]],
              let seeds = (object["seeds"] as? [NSNumber])?.map(\.uint64Value),
              let fixed = object["fixed_options"] as? [String] else {
            return .failure(HostError("\(path) is damaged (not the JSON `host sweep` writes)", hint: "start the sweep again with `host sweep ... --out` a new folder"))
        }
        var axes: [SweepPlan.Axis] = []
        for entry in grid {
            guard let name = entry["name"] as? String, let values = entry["values"] as? [String] else {
                return .failure(HostError("\(path) is damaged (a grid entry without name or values)", hint: "start the sweep again in a new folder"))
            }
            axes.append(SweepPlan.Axis(name: name, values: values))
        }
        let parallel = (object["parallel"] as? NSNumber)?.intValue ?? 1
        var plan = SweepPlan(plugin: plugin, experiment: object["experiment"] as? String, axes: axes, seeds: seeds, fixed: fixed,
                             parallel: max(1, parallel))
        plan.pluginFolders = object["plugin_folders"] as? [String] ?? []
        plan.slurm = (object["slurm"] as? [String: Any]).map(SlurmSettings.init(json:))
        if let grid = object["named_grid"] as? [String: Any], let name = grid["experiment"] as? String {
            plan.namedGrid = SweepPlan.NamedGrid(name: name, options: grid["options"] as? [String] ?? [])
        }
        return .success(plan)
    }

    /// Writes sweep.json atomically (callers on several threads take turns).
    static func save(_ plan: SweepPlan, folder: String) throws {
        try AtomicFile.write(description(plan, folder: folder).text(indent: 2) + "\n", to: (folder as NSString).appendingPathComponent(fileName))
    }

    /// Runs `points` of `plan` (all of them for a new sweep, the unfinished ones on resume) with
    /// the `host` executable at `executable`; each run's output goes to `logs/<point>.log`.
    /// Returns the points that did not complete.
    public static func run(_ plan: SweepPlan, points: [SweepPlan.Point], folder: String, executable: String, threads: Int,
                           pluginFolders: [String], say: @escaping (String) -> Void) throws -> [SweepPlan.Point] {
        let logs = (folder as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let fileLock = NSLock()
        try save(plan, folder: folder)
        let progress = Progress(total: points.count, say: say)
        let perRun = max(1, threads / max(1, min(plan.parallel, points.count)))
        let group = DispatchGroup()
        for _ in 0..<min(plan.parallel, points.count) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while let next = progress.start() {
                    let point = points[next]
                    let runFolder = (folder as NSString).appendingPathComponent(point.folder)
                    let status = runOne(plan, point, runFolder: runFolder, log: (logs as NSString).appendingPathComponent(point.folder + ".log"),
                                        executable: executable, threads: perRun, pluginFolders: pluginFolders)
                    progress.finish(completed: status == "completed", index: next)
                    fileLock.lock()
                    try? save(plan, folder: folder)
                    fileLock.unlock()
                }
            }
        }
        group.wait()
        try save(plan, folder: folder)
        return progress.failed.sorted().map { points[$0] }
    }

    /// Which point runs next, and the counts the progress line shows; shared by the run threads.
    final class Progress: @unchecked Sendable {
        private let lock = NSLock()
        private let total: Int
        private let say: (String) -> Void
        private var next = 0, running = 0, done = 0
        private(set) var failed: [Int] = []

        init(total: Int, say: @escaping (String) -> Void) {
            self.total = total
            self.say = say
        }

        /// The next point's position in the list, or nil when every one has started.
        func start() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < total else { return nil }
            next += 1; running += 1
            report()
            return next - 1
        }

        /// Records the end of the point at `index`.
        func finish(completed: Bool, index: Int) {
            lock.lock(); defer { lock.unlock() }
            running -= 1; done += 1
            if !completed { failed.append(index) }
            report()
        }

        private func report() { say("sweep: \(done)/\(total) done, \(failed.count) failed, \(running) running") }
    }

    /// One `host run`, waited for; its status from its summary ("failed" when it wrote none).
    static func runOne(_ plan: SweepPlan, _ point: SweepPlan.Point, runFolder: String, log: String, executable: String,
                       threads: Int, pluginFolders: [String]) -> String {
        let sweepFolder = (runFolder as NSString).deletingLastPathComponent
        reset(point, in: sweepFolder)   // a resumed point starts clean
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = plan.runArguments(point, folder: runFolder, threads: threads, pluginFolders: pluginFolders)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = FileHandle(forWritingAtPath: log)
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = output ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        var code: Int32 = 127
        if (try? process.run()) != nil {
            process.waitUntilExit()
            code = process.terminationStatus
        }
        try? output?.close()
        try? AtomicFile.write("\(code)\n", to: exitFile(point, in: sweepFolder))
        return status(of: point, in: sweepFolder)
    }
}
