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
}
