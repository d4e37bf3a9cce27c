import XCTest
import Foundation
import PluginAPI

/// The training driver: logging windows, divergence, cancellation, stop, checkpoints and resume,
/// and the sweep's shared progress and failure handling.
final class TrainingLoopTests: XCTestCase {
    /// Remembers what a loop reported.
    final class RecordingProgress: ProgressReporter, @unchecked Sendable {
        let lock = NSLock()
        var begun: [(String, Int, String)] = [], updates: [Int] = [], ended = 0
        func begin(_ phase: String, total: Int, unit: String) { lock.lock(); begun.append((phase, total, unit)); lock.unlock() }
        func update(completed: Int, values: [(String, Double)]) { lock.lock(); updates.append(completed); lock.unlock() }
        func end() { lock.lock(); ended += 1; lock.unlock() }
    }

    func testLoggingPointsCarryTheWindowAndRunningMeans() throws {
        let metrics = MetricsLog(), progress = RecordingProgress()
        let loop = TrainingLoop("fit", total: 10, logEvery: 4, watch: TrainingWatch(progress: progress, metrics: metrics), divergenceHint: "h")
        var points: [TrainingLogPoint] = []
        let report = try loop.run(step: { Double($0) }, log: { point in
            points.append(point)
            return [("loss", point.windowLoss), ("mean", point.runningLoss)]
        })
        // Losses 1...10: windows 1-4, 5-8, 9-10.
        XCTAssertEqual(points.map(\.step), [4, 8, 10])
        XCTAssertEqual(points.map(\.windowLoss), [2.5, 6.5, 9.5])
        XCTAssertEqual(points.map(\.windowCount), [4, 4, 2])
        XCTAssertEqual(points.map(\.runningLoss), [2.5, 4.5, 5.5])
        XCTAssertEqual(metrics.rows.map(\.step), [4, 8, 10])
        XCTAssertEqual(metrics.rows.last?.values.map(\.0), ["loss", "mean"])
        XCTAssertTrue((report.completed, report.ran, report.cancelled, report.stopped) == (10, 10, false, false))
        XCTAssertEqual(report.lastLoss, 10)
        XCTAssertEqual(report.meanLoss, 5.5)
        XCTAssertEqual(progress.begun.first?.1, 10)
        XCTAssertEqual(progress.begun.first?.2, "steps")
        XCTAssertEqual(progress.updates.last, 10)
        XCTAssertEqual(progress.ended, 1)
    }

    func testStepsMayMeasureTheirLossOnlyAtLoggingPoints() throws {
        let progress = RecordingProgress()
        let loop = TrainingLoop("solve", total: 7, logEvery: 3, watch: TrainingWatch(progress: progress), lossName: "objective", divergenceHint: "h")
        var measuredAt: [Int] = [], points: [TrainingLogPoint] = []
        let report = try loop.run(step: { k in
            guard loop.isLoggingPoint(k) else { return nil }
            measuredAt.append(k)
            return Double(10 * k)
        }, log: { points.append($0); return [] })
        XCTAssertEqual(measuredAt, [3, 6, 7])
        XCTAssertEqual(points.map(\.windowLoss), [30, 60, 70])
        XCTAssertEqual(points.map(\.windowCount), [1, 1, 1])
        XCTAssertEqual(points.map(\.runningLoss), [30, 45, 160 / 3])
        XCTAssertTrue((report.ran, report.lastLoss) == (7, 70))
        XCTAssertEqual(progress.updates, Array(1...7), "the line moves on the units that measured nothing too")
        XCTAssertThrowsError(try TrainingLoop("solve", total: 4, lossName: "dual objective", divergenceHint: "lower --lr")
            .run(step: { k in k == 2 ? -.infinity : nil })) { error in
            XCTAssertTrue("\(error)".contains("the dual objective became -inf at step 2"), "\(error)")
        }
    }

    func testANonFiniteLossIsADivergenceNamingTheUnit() {
        let progress = RecordingProgress()
        let loop = TrainingLoop("fit", total: 5, unit: .epoch, watch: TrainingWatch(progress: progress), divergenceHint: "lower --lr (now 9)")
        var ran: [Int] = []
        XCTAssertThrowsError(try loop.run(step: { k in ran.append(k); return k == 3 ? .nan : 1 })) { error in
            XCTAssertEqual((error as? PluginError)?.kind, .diverged)
            XCTAssertTrue("\(error)".contains("the loss became nan at epoch 3"), "\(error)")
            XCTAssertEqual((error as? PluginError)?.hint, "lower --lr (now 9)")
        }
        XCTAssertEqual(ran, [1, 2, 3])
        XCTAssertEqual(progress.ended, 1, "the progress line is closed when the loop throws")
    }

    func testCancellationEndsBeforeTheNextUnitAndCheckpointsTheLastDone() throws {
        var cancelled = false
        let loop = TrainingLoop("fit", total: 100, logEvery: 10, checkpointEvery: 5, watch: TrainingWatch(isCancelled: { cancelled }), divergenceHint: "h")
        var checkpoints: [Int] = [], logged: [Int] = []
        let report = try loop.run(step: { k in
            if k == 7 { cancelled = true }
            return 1
        }, log: { logged.append($0.step); return [] }, checkpoint: { checkpoints.append($0) })
        XCTAssertTrue((report.completed, report.ran, report.cancelled) == (7, 7, true))
        XCTAssertEqual(checkpoints, [5, 7], "every 5 units, and the last done when cancelled")
        XCTAssertEqual(logged, [], "no logging point was reached")
    }

    func testAStepThatThrowsCancellationEndsTheLoopWithoutCountingIt() throws {
        let loop = TrainingLoop("epochs", total: 5, unit: .epoch, divergenceHint: "h")
        var checkpoints: [Int] = []
        let report = try loop.run(from: 1, step: { k in
            if k == 4 { throw CancellationError() }
            return 1
        }, checkpoint: { checkpoints.append($0) })
        XCTAssertTrue((report.completed, report.ran, report.cancelled) == (3, 2, true))
        XCTAssertEqual(checkpoints, [2, 3])
    }

    func testStopEndsTheLoopAfterTheCurrentUnitWithALoggingPoint() throws {
        let loop = TrainingLoop("fit", total: 1000, logEvery: 100, divergenceHint: "h")
        var logged: [Int] = []
        let report = try loop.run(step: { k in
            if k == 42 { loop.stop() }
            return 1 / Double(k)
        }, log: { logged.append($0.step); return [] })
        XCTAssertTrue((report.completed, report.stopped, report.cancelled) == (42, true, false))
        XCTAssertEqual(logged, [42])
        XCTAssertEqual(report.lastLoss, 1 / 42.0)
    }

    func testAResumedLoopRunsOnlyTheUnitsNotDone() throws {
        let loop = TrainingLoop("fit", total: 6, logEvery: 2, checkpointEvery: 2, divergenceHint: "h")
        var ran: [Int] = [], checkpoints: [Int] = [], points: [TrainingLogPoint] = []
        let report = try loop.run(from: 3, step: { k in ran.append(k); return Double(k) },
                                  log: { points.append($0); return [] }, checkpoint: { checkpoints.append($0) })
        XCTAssertEqual(ran, [4, 5, 6])
        XCTAssertEqual(checkpoints, [4, 6])
        XCTAssertEqual(points.map(\.step), [4, 6])
        XCTAssertEqual(points.map(\.windowLoss), [4, 5.5], "the first window holds only unit 4")
        XCTAssertEqual(points.last?.runningLoss, 5)
        XCTAssertTrue((report.completed, report.ran) == (6, 3))
        let done = try TrainingLoop("fit", total: 6, divergenceHint: "h").run(from: 6, step: { _ in XCTFail("nothing to run"); return 0 })
        XCTAssertTrue((done.completed, done.ran) == (6, 0))
        XCTAssertTrue(done.lastLoss.isNaN)
    }

    func context(progress: ProgressReporter, messages: @escaping (String) -> Void = { _ in }) -> RunContext {
        RunContext(plugin: "T", experiment: "t", options: OptionValues([:]), seed: 0, threads: 2, outputDirectory: NSTemporaryDirectory(),
                   progress: progress, log: messages)
    }

    func testASweepAddsEveryRunToOneProgressLineAndKeepsGoingPastAFailure() throws {
        let progress = RecordingProgress()
        let lock = NSLock()
        var messages: [String] = []
        let outcomes = try TrainingSweep.run([1, 2, 3, 4], unitsPerRun: 20, unit: .step, context: context(progress: progress) { m in
            lock.lock(); messages.append(m); lock.unlock()
        }, name: { "run \($0)" }) { job, watch -> Double in
            let loop = TrainingLoop("run \(job)", total: 20, logEvery: 5, watch: watch, divergenceHint: "lower --lr")
            return try loop.run(step: { k in job == 3 && k == 8 ? .infinity : Double(job) }).meanLoss
        }
        XCTAssertEqual(outcomes, [1, 2, nil, 4])
        XCTAssertEqual(progress.begun.count, 1, "one line for the sweep, not one per run")
        XCTAssertEqual(progress.begun.first?.1, 80)
        XCTAssertEqual(progress.updates.max(), 67, "three whole runs and seven steps of the failed one")
        XCTAssertEqual(progress.ended, 1)
        XCTAssertEqual(messages.count, 1)
        XCTAssertTrue(messages[0].hasPrefix("sweep: run failed: run 3: ") && messages[0].contains("at step 8"), messages[0])
    }

    func testASweepWhoseRunsAllFailThrowsAndFailFastThrowsTheFirst() {
        let progress = RecordingProgress()
        XCTAssertThrowsError(try TrainingSweep.run([1, 2], unitsPerRun: 1, unit: .step, context: context(progress: progress), name: { "run \($0)" }) {
            (_: Int, _: TrainingWatch) -> Int in throw PluginError.invalidInput("bad", hint: "h")
        }) { error in
            XCTAssertTrue("\(error)".contains("every run failed; the first: run 1"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingSweep.run([1, 2], unitsPerRun: 1, unit: .step, context: context(progress: progress), failFast: true,
                                                   name: { "run \($0)" }) { (job: Int, _: TrainingWatch) -> Int in
            if job == 2 { throw PluginError.diverged("the loss became nan at step 1", hint: "lower --lr") }
            return job
        }) { error in
            XCTAssertEqual((error as? PluginError)?.kind, .diverged)
        }
    }
}
