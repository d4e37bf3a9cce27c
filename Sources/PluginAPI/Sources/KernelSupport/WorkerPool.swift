import Foundation
import Synchronization

/// The runtime's worker pool: splits a loop over the calling thread and up to `threads - 1`
/// persistent workers (`WorkerCrew`), which spin briefly between loops so that the short loops
/// of a training step are worth splitting.
///
/// Work is split into contiguous ranges whose boundaries depend on the count and on the
/// *grain* the caller gives, never on the thread count, so a kernel that reduces per range
/// gets the same numbers with 1 thread or 16.
public final class WorkerPool: @unchecked Sendable {
    /// The pool every kernel uses; the host sizes it from `--threads`.
    public static let shared = WorkerPool()

    /// How many threads loops may use (at least 1).
    public var threads: Int {
        get { _threads }
        set { _threads = max(1, newValue) }
    }
    private var _threads: Int

    private let crew = WorkerCrew()

    public init(threads: Int = WorkerPool.availableCores) {
        _threads = max(1, threads)
    }

    deinit { crew.shutDown() }

    /// The number of cores this process may run on.
    public static var availableCores: Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Calls `body` for each contiguous range of `0..<count`, each at most `grain` long, on up
    /// to `threads` threads. Ranges are the same for any thread count.
    public func parallelRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let grain = max(1, grain)
        let pieces = (count + grain - 1) / grain
        let workers = min(threads, pieces)
        // One worker, or a loop started inside another (or beside it, from a second thread,
        // while the crew is busy): the ranges run here, in order.
        if workers > 1, crew.run(count: count, grain: grain, helpers: workers - 1, body) { return }
        var start = 0
        while start < count { body(start..<min(count, start + grain)); start += grain }
    }

    /// Keeps the workers spinning between loops, instead of going to sleep after some 100 µs,
    /// until the returned token's `end()` (or its release): for microsecond-scale work such as
    /// the steps of a small network, where waking a sleeping thread costs more than the loop it
    /// would share. Spinning holds the workers' cores, so keep it to the loop that needs it.
    public func keepAwake() -> AwakeToken { AwakeToken(crew) }

    /// A hold on the workers' spinning (`keepAwake`); ends once, at `end()` or when released.
    public final class AwakeToken: @unchecked Sendable {
        private let crew: WorkerCrew
        private var held = true

        fileprivate init(_ crew: WorkerCrew) {
            self.crew = crew
            crew.awakeHolders.wrappingAdd(1, ordering: .relaxed)
        }

        /// Lets the workers sleep again (when no other token holds them).
        public func end() {
            guard held else { return }
            held = false
            crew.awakeHolders.wrappingSubtract(1, ordering: .relaxed)
        }

        deinit { end() }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, in parallel.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let grain = max(1, (count + 4 * threads - 1) / (4 * threads))
        parallelRanges(count, grain: grain) { range in for i in range { body(i) } }
    }
}
