import Foundation
import Formats
import Synchronization

/// A tensor's memory: `count` Float32 values, 64-byte aligned so SIMD loads never straddle a
/// cache line. Tensors share a storage for views such as `reshape`.
///
/// A storage can hold an update waiting to be applied (`PendingWeightUpdate`: an SGD step
/// from a low-rank gradient). Every access to `base` applies it first, so nobody sees the
/// values without it; an operation that reads every row anyway takes it instead
/// (`takePendingUpdate`) and applies it row by row on the same pass.
package final class TensorStorage: @unchecked Sendable {
    private let memory: UnsafeMutablePointer<Float>
    package let count: Int
    /// Whether a second tensor (a view) was ever made over this storage; set once, never
    /// cleared, so a tensor whose storage is not shared and that nothing else references may
    /// be handed on without a copy (autograd's leaf gradients). Atomic: views of one storage
    /// (a shared bias reshaped) can be made on several threads at once.
    package var isShared: Bool {
        get { shared.load(ordering: .relaxed) }
        set { shared.store(newValue, ordering: .relaxed) }
    }
    private let shared = Atomic<Bool>(false)
    /// 0: no update waits; 1: `pendingUpdate` waits; 2: a thread is applying it.
    private let updateState = Atomic<Int>(0)
    private var pendingUpdate: PendingWeightUpdate?

    /// Allocates `count` floats, zero-filled when `zeroed`.
    package init(count: Int, zeroed: Bool = true) {
        self.count = count
        let bytes = max(64, count * MemoryLayout<Float>.stride)
        memory = LargeBlockCache.allocate(bytes).bindMemory(to: Float.self, capacity: max(16, count))
        if zeroed { memory.initialize(repeating: 0, count: count) }
        MemoryStats.allocated(bytes)
        StepRecorder.current?.noteAllocation(self, zeroed: zeroed)
    }

    deinit {
        let bytes = max(64, count * MemoryLayout<Float>.stride)
        MemoryStats.freed(bytes)
        LargeBlockCache.release(UnsafeMutableRawPointer(memory), bytes: bytes)
    }

    /// The values, with any waiting update applied. While a step is captured on this thread, the
    /// access is noted (`StepRecorder`).
    package var base: UnsafeMutablePointer<Float> {
        if updateState.load(ordering: .acquiring) != 0 { settlePendingUpdate() }
        if StepRecorder.recordingThreads.load(ordering: .relaxed) != 0 { StepRecorder.current?.noteAccess(self) }
        return memory
    }

    /// Leaves `update` to be applied at the next access (one already waiting is applied first).
    func deferUpdate(_ update: PendingWeightUpdate) {
        settlePendingUpdate()
        pendingUpdate = update
        updateState.store(1, ordering: .releasing)
    }

    /// The waiting update, for a caller that applies it itself to `memory` before anything else
    /// reads it, and then calls `finishTakenUpdate()`; nil (with nothing to finish) when none
    /// waits. Meanwhile other accesses wait.
    func takePendingUpdate() -> (update: PendingWeightUpdate, memory: UnsafeMutablePointer<Float>)? {
        guard updateState.compareExchange(expected: 1, desired: 2, ordering: .acquiringAndReleasing).exchanged else {
            settlePendingUpdate()
            return nil
        }
        guard let update = pendingUpdate else { updateState.store(0, ordering: .releasing); return nil }
        pendingUpdate = nil
        return (update, memory)
    }

    /// Ends what `takePendingUpdate` started.
    func finishTakenUpdate() { updateState.store(0, ordering: .releasing) }

    /// Applies the waiting update, or waits while another thread applies it.
    private func settlePendingUpdate() {
        while true {
            let (exchanged, state) = updateState.compareExchange(expected: 1, desired: 2, ordering: .acquiringAndReleasing)
            if exchanged {
                let update = pendingUpdate
                pendingUpdate = nil
                update?.apply(to: memory)
                updateState.store(0, ordering: .releasing)
                return
            }
            if state == 0 { return }
            sched_yield()
        }
    }
}

/// Keeps freed blocks of 1 MB and more for the next tensor of the same size. glibc hands
/// blocks above 32 MB straight back to the kernel, and trims the heap under smaller ones, so
/// without this every activation of a batch-128 training step is a fresh mapping whose pages
/// the kernel must zero on first touch (a tenth of a ResNet18 step), and so is CAFE's 2.2 MB
/// weight gradient each epoch (a seventh of the epoch). At most `limit` bytes wait here;
/// older sizes are freed first.
enum LargeBlockCache {
    static let threshold = 1 << 20
    static let limit = 1 << 30
    private static let lock = NSLock()
    private nonisolated(unsafe) static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private nonisolated(unsafe) static var order: [Int] = []
    private nonisolated(unsafe) static var cachedBytes = 0

    /// The size a block of `bytes` is kept under: whole 64 KB units.
    static func rounded(_ bytes: Int) -> Int { bytes >= threshold ? (bytes + 65535) & ~65535 : bytes }

    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        let size = rounded(bytes)
        if size >= threshold {
            lock.lock()
            if let block = free[size]?.popLast() {
                cachedBytes -= size
                lock.unlock()
                return block
            }
            lock.unlock()
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size) == 0, let raw else {
            // Out of memory is not recoverable inside a training step; say what was asked for.
            engineFailure("out of memory allocating \(bytes) bytes for a tensor")
        }
        return raw
    }

    static func release(_ block: UnsafeMutableRawPointer, bytes: Int) {
        let size = rounded(bytes)
        guard size >= threshold, size <= limit / 4 else { return Foundation.free(block) }
        lock.lock()
        free[size, default: []].append(block)
        order.removeAll { $0 == size }
        order.append(size)
        cachedBytes += size
        var evicted: [UnsafeMutableRawPointer] = []
        while cachedBytes > limit, let oldest = order.first {
            if let victim = free[oldest]?.popLast() {
                evicted.append(victim)
                cachedBytes -= oldest
            } else {
                order.removeFirst()
            }
        }
        lock.unlock()
        for victim in evicted { Foundation.free(victim) }
    }
}

/// Bytes of tensor memory in use now and at the peak, for the memory checks of training steps.
public enum MemoryStats {
    private static let lock = NSLock()
    private nonisolated(unsafe) static var current = 0
    private nonisolated(unsafe) static var peak = 0

    static func allocated(_ bytes: Int) {
        lock.lock(); current += bytes; if current > peak { peak = current }; lock.unlock()
    }

    static func freed(_ bytes: Int) {
        lock.lock(); current -= bytes; lock.unlock()
    }

    /// Tensor bytes allocated and not yet freed.
    public static var currentBytes: Int { lock.lock(); defer { lock.unlock() }; return current }
    /// The most tensor bytes in use at once since the last `resetPeak()`.
    public static var peakBytes: Int { lock.lock(); defer { lock.unlock() }; return peak }
    /// Starts a new peak measurement from the current use.
    public static func resetPeak() { lock.lock(); peak = current; lock.unlock() }
}
