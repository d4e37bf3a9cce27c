import Foundation

/// A tensor's memory: `count` Float32 values, 64-byte aligned so SIMD loads never straddle a
/// cache line. Tensors share a storage for views such as `reshape`.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` floats, zero-filled when `zeroed`.
    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(64, count * MemoryLayout<Float>.stride)
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            // Out of memory is not recoverable inside a training step; say what was asked for.
            fatalError("out of memory allocating \(bytes) bytes for a tensor")
        }
        base = raw.bindMemory(to: Float.self, capacity: max(16, count))
        if zeroed { base.initialize(repeating: 0, count: count) }
        MemoryStats.allocated(bytes)
    }

    deinit {
        MemoryStats.freed(max(64, count * MemoryLayout<Float>.stride))
        free(base)
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
