import Foundation

/// Several trainings of one experiment (points of a grid, seeds) run in parallel on the worker
/// pool with one progress line for all of them; a run that fails is reported and the others go
/// on. Each run gets a `TrainingWatch` to give its `TrainingLoop`: the run's cancellation, and
/// a progress reporter that adds its units to the sweep's line.
///
/// ```swift
/// let jobs = [5, 10, 30].flatMap { d in (0..<3).map { seed in (d: d, seed: seed) } }
/// let outcomes = try TrainingSweep.run(jobs, unitsPerRun: settings.iters, unit: .step, context: context,
///                                      name: { "d = \($0.d) seed \($0.seed)" }) { job, watch in
///     try train(d: job.d, seed: context.seed &+ UInt64(job.seed), watch: watch)
/// }
/// ```
public enum TrainingSweep {
    /// Runs `body(job, watch)` for every job, `context.threads` at a time, and returns each
    /// job's outcome in job order (nil where it failed or was cancelled before it started).
    /// Each failure is logged as "sweep: run failed: NAME: ERROR"; when every run fails, throws
    /// the first failure. With `failFast`, any failure is thrown (the first in job order, once
    /// every run has ended) instead: for runs that are parts of one result.
    public static func run<Job, Outcome>(_ jobs: [Job], unitsPerRun: Int, unit: TrainingUnit, context: RunContext,
                                         failFast: Bool = false, name: (Job) -> String,
                                         _ body: (Job, TrainingWatch) throws -> Outcome) throws -> [Outcome?] {
        let line = SharedProgress(context.progress, total: jobs.count * unitsPerRun, unit: unit.plural)
        let results = WorkerPool.shared.runJobs(jobs.count) { index -> Outcome in
            try body(jobs[index], TrainingWatch(isCancelled: { context.isCancelled }, progress: line.reporter(), metrics: nil))
        }
        line.finish()
        if failFast { for case .failure(let error) in results { throw error } }
        var failures: [String] = []
        for (job, result) in zip(jobs, results) {
            if case .failure(let error) = result { failures.append("\(name(job)): \(error)") }
        }
        for failure in failures { context.log("sweep: run failed: \(failure)") }
        let outcomes = results.map { try? $0.get() }
        if !jobs.isEmpty, outcomes.allSatisfy({ $0 == nil }), !context.isCancelled {
            throw PluginError.failure("every run failed; the first: \(failures.first ?? "none ran")",
                                      hint: "run the experiment alone with the first run's options to see its error")
        }
        return outcomes
    }
}

/// One progress line that several parallel loops add to: each gets a reporter of its own whose
/// `completed` counts go into the shared total.
final class SharedProgress: @unchecked Sendable {
    private let target: ProgressReporter
    private let lock = NSLock()
    private var done = 0
    private let total: Int

    init(_ target: ProgressReporter, total: Int, unit: String) {
        self.target = target
        self.total = total
        target.begin("sweep", total: total, unit: unit)
    }

    /// A reporter for one run: its phases are ignored, its progress added to the line.
    func reporter() -> ProgressReporter { Part(self) }

    func finish() { target.end() }

    fileprivate func add(_ units: Int) {
        lock.lock(); defer { lock.unlock() }
        done = min(total, done + units)
        target.update(completed: done, values: [])
    }

    private final class Part: ProgressReporter {
        let line: SharedProgress
        var reported = 0
        init(_ line: SharedProgress) { self.line = line }
        func begin(_ phase: String, total: Int, unit: String) { reported = 0 }
        func update(completed: Int, values: [(String, Double)]) {
            guard completed > reported else { return }
            line.add(completed - reported)
            reported = completed
        }
        func end() {}
    }
}
