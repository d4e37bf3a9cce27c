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
        let line = CombinedProgress(context.progress, phase: "sweep", total: jobs.count * unitsPerRun, unit: unit)
        let results = WorkerPool.shared.runJobs(jobs.count) { index -> Outcome in
            try body(jobs[index], TrainingWatch(isCancelled: { context.isCancelled }, progress: line.part(), metrics: nil))
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

/// One progress line for several training loops, in parallel or one after another: each loop
/// gets a reporter of its own (`part()`), whose phases are ignored and whose completed units
/// are added to the line's.
public final class CombinedProgress: @unchecked Sendable {
    private let target: ProgressReporter
    private let lock = NSLock()
    private var done = 0
    private let total: Int

    /// Begins the phase `phase` of `total` units on `target`.
    public init(_ target: ProgressReporter, phase: String, total: Int, unit: TrainingUnit) {
        self.target = target
        self.total = total
        target.begin(phase, total: total, unit: unit.plural)
    }

    /// A reporter for one loop (give it to the loop's `TrainingWatch`).
    public func part() -> ProgressReporter { Part(self) }

    /// Ends the line's phase.
    public func finish() { target.end() }

    fileprivate func add(_ units: Int) {
        lock.lock(); defer { lock.unlock() }
        done = min(total, done + units)
        target.update(completed: done, values: [])
    }

    private final class Part: ProgressReporter {
        let line: CombinedProgress
        var reported = 0
        init(_ line: CombinedProgress) { self.line = line }
        func begin(_ phase: String, total: Int, unit: String) { reported = 0 }
        func update(completed: Int, values: [(String, Double)]) {
            guard completed > reported else { return }
            line.add(completed - reported)
            reported = completed
        }
        func end() {}
    }
}
