import Kernels
import KernelSupport

/// Scoped access to a tensor's values, for code that reads or writes many of them in place: the
/// values are lent to a closure as a `Span` (read) or `MutableSpan` (write), bounds-checked and
/// without a copy, and cannot outlive it.
///
/// ```swift
/// let total = x.withValues { v in (0..<v.count).reduce(0.0) { $0 + Double(v[$1]) } }
/// y.withMutableValues { v in for i in v.indices { v[i] = max(0, v[i]) } }
/// ```
extension Tensor {
    /// Calls `body` with the values (row-major) to read.
    public func withValues<R>(_ body: (Span<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: count).span)
    }

    /// Calls `body` with the values (row-major) to change in place. Autograd does not see the
    /// change (as `torch.no_grad()` writes to `.data`): use it on leaves, parameters and inputs.
    public func withMutableValues<R>(_ body: (inout MutableSpan<Float>) throws -> R) rethrows -> R {
        var span = UnsafeMutableBufferPointer(start: storage.base, count: count).mutableSpan
        return try body(&span)
    }

    /// Calls `body` with the values' memory, valid only inside it: for hand-written kernels that
    /// need pointers (SIMD loads, the BLAS-style `GEMM` calls). Prefer `withValues` and
    /// `withMutableValues`, which check every index.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.base, count: count))
    }
}
