import Foundation
import Glibc
import Synchronization

/// The threads behind a `WorkerPool`: persistent workers that spin briefly between jobs, then
/// sleep (the scheme of OpenMP runtimes and OpenBLAS).
///
/// Why not `DispatchQueue.concurrentPerform`: on Linux its worker threads park at once, and
/// waking one costs more than a job of some tens of microseconds (the pool's usual loop in a
/// training step). Measured on an AMD EPYC (Zen 4), 2 cores, two halves of 20 µs of work:
/// 47 µs through Dispatch, 21 µs through this crew, 40 µs on one thread.
///
/// A job is handed to each taking part worker through its own ticket; a worker joins it only
/// while the caller still hands out pieces, and the caller returns only after every worker
/// that joined has left the job (its closure is not escaping). A worker the scheduler runs late
/// (a busy machine) finds the job closed and is not waited for. Pieces are claimed one at a time from a shared counter; the
/// ranges themselves are fixed by the caller, so results do not depend on who ran which.
final class WorkerCrew: @unchecked Sendable {
    /// One worker's mailbox: the number of the last job it was given.
    private final class Ticket: @unchecked Sendable {
        let job = Atomic<Int>(0)
    }

    /// Spins of a waiting thread before it sleeps (each a relaxed load; some 100-200 µs).
    private static let spinsBeforeSleep = 100_000

    private var tickets: [Ticket] = []
    private var jobNumber = 0
    private let nextPiece = Atomic<Int>(0)
    private let departed = Atomic<Int>(0)
    /// Workers that joined the current job, plus `closed` once the caller has run out of
    /// pieces: a worker joins only while the job is open, so a worker the scheduler has not run
    /// yet (a busy machine, or spinning threads beyond the cores) is never waited for; the
    /// caller runs its pieces instead.
    private let joined = Atomic<Int>(WorkerCrew.closed)
    private static let closed = 1 << 40
    private let sleepingWorkers = Atomic<Int>(0)
    private let callerSleeping = Atomic<Bool>(false)
    private let shuttingDown = Atomic<Bool>(false)
    /// While above zero, waiting threads keep spinning instead of sleeping (`WorkerPool.keepAwake`).
    let awakeHolders = Atomic<Int>(0)
    /// Set while a job runs: a parallel loop called from inside one (or from a second thread
    /// meanwhile) runs on its caller's thread instead of waiting for busy workers.
    private let busy = Atomic<Bool>(false)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workerWake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let callerWake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    // The current job, written before its tickets are stored and read only by workers holding one.
    private var body: ((Range<Int>) -> Void)?
    private var count = 0, grain = 1, pieces = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workerWake, nil)
        pthread_cond_init(callerWake, nil)
    }

    deinit {
        pthread_cond_destroy(callerWake); callerWake.deallocate()
        pthread_cond_destroy(workerWake); workerWake.deallocate()
        pthread_mutex_destroy(mutex); mutex.deallocate()
    }

    /// Stops the workers (they hold the crew until they leave their loop).
    func shutDown() {
        shuttingDown.store(true, ordering: .sequentiallyConsistent)
        wakeAll(workerWake)
    }

    /// Wakes every thread waiting on `condition`, under the mutex so none misses it.
    private func wakeAll(_ condition: UnsafeMutablePointer<pthread_cond_t>) {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` over the `pieces` ranges of `0..<count` (each `grain` long, the last
    /// shorter) on the calling thread and up to `helpers` workers. Returns false, having run
    /// nothing, when the crew is already busy.
    func run(count: Int, grain: Int, helpers: Int, _ body: (Range<Int>) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while tickets.count < helpers { startWorker(index: tickets.count) }
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.count = count
            self.grain = grain
            self.pieces = (count + grain - 1) / grain
            nextPiece.store(0, ordering: .relaxed)
            departed.store(0, ordering: .relaxed)
            joined.store(0, ordering: .releasing)
            jobNumber += 1
            for index in 0..<helpers { tickets[index].job.store(jobNumber, ordering: .sequentiallyConsistent) }
            if sleepingWorkers.load(ordering: .sequentiallyConsistent) > 0 { wakeAll(workerWake) }
            runPieces()
            let helped = joined.wrappingAdd(Self.closed, ordering: .acquiringAndReleasing).oldValue
            waitForDeparture(of: helped)
            self.body = nil
        }
        return true
    }

    private func runPieces() {
        while true {
            let piece = nextPiece.wrappingAdd(1, ordering: .relaxed).oldValue
            if piece >= pieces { return }
            let start = piece * grain
            body?(start..<min(count, start + grain))
        }
    }

    private func waitForDeparture(of helpers: Int) {
        var spins = 0
        while departed.load(ordering: .acquiring) < helpers {
            spins += 1
            if spins < Self.spinsBeforeSleep || stayAwake(spins) { continue }
            callerSleeping.store(true, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            while departed.load(ordering: .sequentiallyConsistent) < helpers { pthread_cond_wait(callerWake, mutex) }
            pthread_mutex_unlock(mutex)
            callerSleeping.store(false, ordering: .relaxed)
        }
    }

    /// Whether a thread that has spun `spins` times should go on spinning: while someone keeps
    /// the crew awake, yielding the processor now and then so a busy machine still moves.
    @inline(__always)
    private func stayAwake(_ spins: Int) -> Bool {
        guard awakeHolders.load(ordering: .relaxed) > 0 else { return false }
        if spins & 0xFFFF == 0 { sched_yield() }
        return true
    }

    /// Joins the current job if it is still open; false when the caller has closed it.
    private func join() -> Bool {
        var state = joined.load(ordering: .acquiring)
        while state < Self.closed {
            let (exchanged, now) = joined.compareExchange(expected: state, desired: state + 1, ordering: .acquiring)
            if exchanged { return true }
            state = now
        }
        return false
    }

    private func startWorker(index: Int) {
        let ticket = Ticket()
        tickets.append(ticket)
        let thread = Thread { [self] in workerLoop(ticket) }
        thread.name = "runtime-worker-\(index + 1)"
        thread.start()
    }

    private func workerLoop(_ ticket: Ticket) {
        var done = 0
        while !shuttingDown.load(ordering: .relaxed) {
            var spins = 0
            while ticket.job.load(ordering: .acquiring) == done && !shuttingDown.load(ordering: .relaxed) {
                spins += 1
                if spins < Self.spinsBeforeSleep || stayAwake(spins) { continue }
                pthread_mutex_lock(mutex)
                sleepingWorkers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                while ticket.job.load(ordering: .sequentiallyConsistent) == done && !shuttingDown.load(ordering: .sequentiallyConsistent) {
                    pthread_cond_wait(workerWake, mutex)
                }
                sleepingWorkers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            if shuttingDown.load(ordering: .relaxed) { return }
            done = ticket.job.load(ordering: .acquiring)
            guard join() else { continue }
            runPieces()
            departed.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if callerSleeping.load(ordering: .sequentiallyConsistent) { wakeAll(callerWake) }
        }
    }
}
