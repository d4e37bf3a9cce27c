import Foundation
import Synchronization

/// A second thread that waits for work by spinning, for loops whose steps are too short
/// (tens of microseconds) for a Dispatch wake-up. Lives only as long as the training loop
/// that owns it; `stop()` ends the thread.
final class SpinPartner: @unchecked Sendable {
    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var work: () -> Void = {}
    private var generation = 0

    init() {
        let thread = Thread { [self] in self.loop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func loop() {
        var seen = 0
        while true {
            var spins = 0
            while posted.load(ordering: .acquiring) == seen {
                if stopping.load(ordering: .relaxed) { return }
                spins += 1
                if spins > 20_000 { sched_yield(); spins = 0 }   // idle for long: let others run
            }
            seen += 1
            work()
            finished.store(seen, ordering: .releasing)
        }
    }

    /// Starts `body` on the partner thread.
    func start(_ body: @escaping () -> Void) {
        work = body
        generation += 1
        posted.store(generation, ordering: .releasing)
    }

    /// Waits until the body given to `start` has returned.
    func wait() {
        var spins = 0
        while finished.load(ordering: .acquiring) != generation {
            spins += 1
            if spins > 20_000 { sched_yield(); spins = 0 }
        }
    }

    /// Ends the partner thread (after the current work, if any).
    func stop() { stopping.store(true, ordering: .relaxed) }
}
