import Foundation

/// What a training loop counts: its unit, singular for messages ("at epoch 3") and plural for
/// the progress line ("120/200 epochs").
public struct TrainingUnit: Sendable, Equatable {
    /// The unit's name for one ("epoch") and for several ("epochs").
    public var singular: String, plural: String

    /// A unit named `singular` and `plural`: `TrainingUnit("pair", plural: "pairs")`.
    public init(_ singular: String, plural: String) {
        self.singular = singular
        self.plural = plural
    }

    /// Optimizer steps (the default).
    public static let step = TrainingUnit("step", plural: "steps")
    /// Passes over the training set.
    public static let epoch = TrainingUnit("epoch", plural: "epochs")
    /// Mini-batches.
    public static let batch = TrainingUnit("batch", plural: "batches")
}

/// Where a training loop reports: the cancellation flag it checks before every unit, the
/// progress line it updates, and the metrics log its logging points go to. A run's loop
/// watches its `RunContext`; a loop inside a sweep or a test watches less.
public struct TrainingWatch {
    /// True once the loop should stop (Ctrl-C).
    public var isCancelled: () -> Bool
    /// The progress line, or nil for none.
    public var progress: ProgressReporter?
    /// The log that `metrics.csv` is written from, or nil to log nowhere.
    public var metrics: MetricsLog?

    /// A watch that stops the loop once `isCancelled` returns true and reports to `progress` and
    /// `metrics` (nowhere when nil).
    public init(isCancelled: @escaping () -> Bool = { false }, progress: ProgressReporter? = nil, metrics: MetricsLog? = nil) {
        self.isCancelled = isCancelled
        self.progress = progress
        self.metrics = metrics
    }

    /// The run's cancellation, progress line and metrics.
    public init(_ context: RunContext) {
        self.init(isCancelled: { context.isCancelled }, progress: context.progress, metrics: context.metrics)
    }

    /// Never cancelled, shows and logs nothing (tests, inner computations).
    public static var silent: TrainingWatch { TrainingWatch() }
}

/// A logging point of a training loop: the unit just done and the losses since the last one.
public struct TrainingLogPoint: Sendable {
    /// Units done so far, counted from 1 (a resumed loop counts on from where it was).
    public var step: Int
    /// The mean loss over the units since the previous logging point (over those whose step
    /// measured one; NaN when none did).
    public var windowLoss: Double
    /// Losses in that window (`logEvery`, or fewer at the end or when steps measure none).
    public var windowCount: Int
    /// The mean loss over every unit this loop has run (that measured one).
    public var runningLoss: Double
    /// Seconds since the loop started.
    public var seconds: Double
}

/// What a training loop did.
public struct TrainingReport: Sendable {
    /// Units done, counting those of a run it resumed.
    public var completed: Int
    /// Units this loop ran.
    public var ran: Int
    /// Wall time of the loop.
    public var seconds: Double
    /// The user cancelled (Ctrl-C) before the last unit.
    public var cancelled: Bool
    /// The step asked to stop (`TrainingLoop.stop()`), for example on reaching its target.
    public var stopped: Bool
    /// The last loss measured (NaN when none was).
    public var lastLoss: Double
    /// The mean loss over the units this loop ran (NaN when none measured one).
    public var meanLoss: Double

    /// Units per second of wall time.
    public var unitsPerSecond: Double { Double(ran) / max(seconds, 1e-9) }
}

/// The loop every training experiment runs, so that no experiment writes it again: it counts
/// the units (steps, batches or epochs), checks cancellation before each, stops with
/// `PluginError.diverged` when a loss is NaN or infinite, keeps the mean loss over logging
/// windows, writes the values of each logging point to `metrics.csv` and the progress line,
/// calls a checkpoint hook periodically, resumes from a completed count, and times itself.
///
/// The experiment supplies the step; the loop supplies the rest:
///
/// ```swift
/// let loop = TrainingLoop("training", total: settings.steps, logEvery: 10, watch: TrainingWatch(context),
///                         divergenceHint: "lower --lr")
/// let report = try loop.run(step: { _ in
///     optimizer.zeroGrad()
///     let loss = mseLoss(model(x), y)
///     loss.backward()
///     optimizer.step()
///     return Double(loss.item)
/// }, log: { point in [("loss", point.windowLoss)] })
/// ```
public final class TrainingLoop {
    /// The name on the progress line.
    public let phase: String
    /// Units in the whole run (a resumed loop runs the ones not yet done).
    public let total: Int
    /// What the loop counts, for its messages and its progress line.
    public let unit: TrainingUnit
    /// A logging point every this many units, and after the last.
    public let logEvery: Int
    /// The checkpoint hook runs every this many units (and when the loop ends early), if given.
    public var checkpointEvery: Int
    /// What the step's value is, for the divergence message ("the loss became nan at step 3").
    public var lossName: String
    /// The hint of the divergence error ("lower --lr (now 0.5)").
    public var divergenceHint: String
    /// Where the loop reports: its cancellation flag, progress line and metrics log.
    public var watch: TrainingWatch
    private var stopRequested = false

    /// A loop of `total` units; `watch` says where it reports.
    public init(_ phase: String, total: Int, unit: TrainingUnit = .step, logEvery: Int = 1, checkpointEvery: Int = 1,
                watch: TrainingWatch = .silent, lossName: String = "loss", divergenceHint: String) {
        self.phase = phase
        self.total = max(0, total)
        self.unit = unit
        self.logEvery = max(1, logEvery)
        self.checkpointEvery = max(1, checkpointEvery)
        self.watch = watch
        self.lossName = lossName
        self.divergenceHint = divergenceHint
    }

    /// Whether unit `k` ends with a logging point (every `logEvery` units, and the last).
    public func isLoggingPoint(_ k: Int) -> Bool { k % logEvery == 0 || k == total }

    /// Ends the loop after the current unit (call from the step: a target reached). The
    /// unit's loss still counts and its logging point is made.
    public func stop() { stopRequested = true }

    /// Steps timed before the loop decides whether they are short enough (a millisecond each or
    /// less) to keep the worker pool's threads spinning between them (`WorkerPool.keepAwake`).
    static let stepsBeforeKeepingAwake = 16

    /// Runs units `completed + 1 ... total`. `step(k)` does unit k and returns its loss, or nil
    /// where measuring it would cost more than the step (measure at `isLoggingPoint(k)` then).
    /// A step that throws `CancellationError` (an inner loop of its own was cancelled) ends the
    /// loop as cancelled, with unit k not done.
    /// At each logging point `log` returns the values for that row of `metrics.csv` (also shown
    /// on the progress line; none to log nothing); `checkpoint(k)` saves a state to resume from
    /// after unit k. Throws `PluginError.diverged` when a step returns a NaN or infinite loss,
    /// and rethrows what the closures throw.
    @discardableResult
    public func run(from completed: Int = 0, step: (Int) throws -> Double?,
                    log: (TrainingLogPoint) throws -> [(String, Double)] = { _ in [] },
                    checkpoint: (Int) throws -> Void = { _ in }) throws -> TrainingReport {
        stopRequested = false
        let clock = Stopwatch()
        watch.progress?.begin(phase, total: total, unit: unit.plural)
        defer { watch.progress?.end() }
        // The progress line moves at least every 1/500 of the run between logging points.
        let progressStride = max(1, total / 500)
        var report = TrainingReport(completed: completed, ran: 0, seconds: 0, cancelled: false, stopped: false, lastLoss: .nan, meanLoss: .nan)
        var (windowSum, windowCount, runningSum, runningCount) = (0.0, 0, 0.0, 0)
        var lastCheckpoint = completed
        var k = completed
        // Steps of a millisecond or less: the worker pool's threads stay awake between them.
        var awake: WorkerPool.AwakeToken?
        defer { awake?.end() }
        while k < total {
            if watch.isCancelled() { report.cancelled = true; break }
            k += 1
            if k - completed == Self.stepsBeforeKeepingAwake, WorkerPool.shared.threads > 1,
               clock.seconds < Double(Self.stepsBeforeKeepingAwake) * 1e-3 {
                awake = WorkerPool.shared.keepAwake()
            }
            let measured: Double?
            do { measured = try step(k) } catch is CancellationError { report.cancelled = true; break }
            if let loss = measured {
                guard loss.isFinite else {
                    throw PluginError.diverged("the \(lossName) became \(loss) at \(unit.singular) \(k)", hint: divergenceHint)
                }
                report.lastLoss = loss
                windowSum += loss; windowCount += 1; runningSum += loss; runningCount += 1
            }
            report.completed = k
            report.ran += 1
            if stopRequested { report.stopped = true }
            if isLoggingPoint(k) || report.stopped {
                let point = TrainingLogPoint(step: k, windowLoss: windowCount > 0 ? windowSum / Double(windowCount) : .nan, windowCount: windowCount,
                                             runningLoss: runningCount > 0 ? runningSum / Double(runningCount) : .nan, seconds: clock.seconds)
                let values = try log(point)
                if !values.isEmpty, let metrics = watch.metrics {
                    metrics.stepName = unit.singular
                    metrics.log(step: k, values)
                }
                watch.progress?.update(completed: k, values: !values.isEmpty ? values : windowCount > 0 ? [(lossName, point.windowLoss)] : [])
                (windowSum, windowCount) = (0, 0)
            } else if k % progressStride == 0 {
                watch.progress?.update(completed: k, values: windowCount > 0 ? [(lossName, windowSum / Double(windowCount))] : [])
            }
            if k % checkpointEvery == 0 || k == total || report.stopped {
                try checkpoint(k)
                lastCheckpoint = k
            }
            if report.stopped { break }
        }
        if report.cancelled, lastCheckpoint != report.completed { try checkpoint(report.completed) }
        report.seconds = clock.seconds
        report.meanLoss = runningCount > 0 ? runningSum / Double(runningCount) : .nan
        return report
    }
}
