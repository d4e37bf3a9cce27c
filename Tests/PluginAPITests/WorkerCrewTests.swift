import Foundation
import PluginAPI
import XCTest

/// The worker pool's persistent threads: every piece of every loop runs exactly once, however
/// loops follow each other, nest, or start from two threads at once, and a dropped pool lets
/// its threads go.
final class WorkerCrewTests: XCTestCase {
    /// Thousands of short loops back to back (the pattern of a training step), with the workers
    /// spinning between them, and loops spaced out so that the workers fall asleep first.
    func testBackToBackAndSpacedLoopsRunEveryPieceOnce() {
        let pool = WorkerPool(threads: 3)
        for round in 0..<3000 {
            let count = 1 + round % 97
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0, count: count)
            pool.parallelRanges(count, grain: 1 + round % 5) { range in
                for i in range { hits[i] += 1 }
            }
            XCTAssertTrue((0..<count).allSatisfy { hits[$0] == 1 }, "round \(round)")
            hits.deallocate()
        }
        for _ in 0..<3 {
            usleep(5_000)
            var sums = [Int](repeating: 0, count: 64)
            sums.withUnsafeMutableBufferPointer { s in
                pool.parallelFor(64) { i in s[i] = i * i }
            }
            XCTAssertEqual(sums, (0..<64).map { $0 * $0 })
        }
    }

    /// A loop inside a loop runs on its caller's thread instead of waiting for busy workers.
    func testNestedLoopsComplete() {
        let pool = WorkerPool(threads: 2)
        let lock = NSLock()
        var total = 0
        pool.parallelFor(8) { _ in
            pool.parallelFor(100) { _ in lock.lock(); total += 1; lock.unlock() }
        }
        XCTAssertEqual(total, 800)
    }

    /// Two threads starting loops on one pool at once: one gets the workers, the other runs its
    /// loop itself; both finish with every piece done once.
    func testLoopsFromTwoThreadsAtOnce() {
        let pool = WorkerPool(threads: 2)
        let lock = NSLock()
        var counts = [0, 0]
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for _ in 0..<500 {
                pool.parallelFor(40) { _ in lock.lock(); counts[caller] += 1; lock.unlock() }
            }
        }
        XCTAssertEqual(counts, [20_000, 20_000])
    }

    /// Pools made and dropped (as tests and per-run settings do) do not leave threads behind.
    func testDroppedPoolsReleaseTheirThreads() throws {
        func threadCount() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        }
        for _ in 0..<5 { WorkerPool(threads: 2).parallelFor(10) { _ in } }
        usleep(100_000)
        let before = try threadCount()
        for _ in 0..<40 { WorkerPool(threads: 3).parallelFor(10) { _ in } }
        var after = try threadCount()
        for _ in 0..<50 where after > before { usleep(20_000); after = try threadCount() }
        XCTAssertLessThanOrEqual(after, before, "threads of dropped pools still running")
    }

    /// With the workers kept awake (`keepAwake`) and more threads than cores, so that some
    /// worker is often not running when a loop starts: every piece still runs once, and no loop
    /// waits for a worker that never joined it.
    func testKeptAwakeWorkersBeyondTheCoresRunEveryPieceOnce() {
        let pool = WorkerPool(threads: WorkerPool.availableCores + 3)
        let awake = pool.keepAwake()
        defer { awake.end() }
        for round in 0..<3000 {
            let count = 1 + round % 61
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in
                pool.parallelRanges(count, grain: 1 + round % 3) { range in for i in range { h[i] += 1 } }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: count), "round \(round)")
        }
    }

    /// A held token keeps the workers spinning (they use processor time while no loop runs);
    /// once it ends they go back to sleep.
    func testKeepAwakeHoldsTheWorkersOnlyWhileHeld() {
        func cpuSeconds() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let pool = WorkerPool(threads: 2)
        let awake = pool.keepAwake()
        pool.parallelFor(8) { _ in }
        var start = cpuSeconds()
        usleep(300_000)
        let held = cpuSeconds() - start
        awake.end()
        awake.end()   // ending twice is harmless
        usleep(50_000)
        start = cpuSeconds()
        usleep(300_000)
        let released = cpuSeconds() - start
        XCTAssertGreaterThan(held, 0.04, "a kept-awake worker spins")
        XCTAssertLessThan(released, 0.03, "released workers sleep")
    }
}
