import KernelSupport

/// Single-precision matrix multiply, row-major: C (m x n) = alpha * op(A) * op(B) + beta * C,
/// where op(A) is m x k (A itself, or A transposed when `transA`) and op(B) is k x n.
///
/// This kernel set's paths (the naive reference the tests compare them with is `GEMM.reference`
/// in the module Kernels, one for all sets): a direct loop for small products where packing
/// costs more than it saves, two unpacked kernels for thin shapes (GEMMThin.swift), and the
/// packed path: blocks of B (kc x nc) and A (mc x kc) are copied into panels the 6 x nr
/// micro-kernel reads sequentially, so it streams from L1/L2 and keeps 12 vector accumulators in
/// registers (the BLIS/GotoBLAS scheme). Each C element is computed by one thread in a fixed
/// order, so results do not depend on the thread count (within one kernel set).
enum GEMM {
    /// The micro-kernel's tile: 6 rows of A by two `Wide` vectors of B (16 columns on AVX2 and
    /// generic, 32 on AVX-512).
    /// (Computed, so they fold to constants where inlined; a `static let` with a computed
    /// initializer would be a lazily initialised global, checked at every use.)
    static let mr = 6
    @inline(__always) static var nr: Int { 2 * Wide.scalarCount }
    /// kc = 512 steps in every set: a packed B panel is 32 KB (16 columns), 64 KB on AVX-512
    /// (32 columns), which streams from L2. Measured on an AMD EPYC (Zen 4) with AVX-512, kc 256
    /// (a 32 KB panel there too) was no faster on square products and slower on 100 x 300 x 300
    /// (its k of 300 took two passes over C).
    @inline(__always) static var kc: Int { 512 }
    static let mc = 144, nc = 2048

    /// The fast matrix multiply (same contract as `GEMM.reference`).
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                      pool: WorkerPool = .shared) {
        guard m > 0, n > 0 else { return }
        if k == 0 || alpha == 0 {
            scale(c, m: m, n: n, ldc: ldc, beta: beta)
            return
        }
        if useLongDot(transA: transA, transB: transB, m: m, n: n, k: k) {
            return longDot(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, pool: pool)
        }
        if useFewRowsDot(transA: transA, transB: transB, m: m, n: n, k: k) {
            return fewRowsDot(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, pool: pool)
        }
        if useFewRowsStream(transA: transA, transB: transB, m: m, n: n, k: k) {
            return fewRowsStream(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, pool: pool)
        }
        if useFewRows(transB: transB, m: m, n: n, k: k) {
            return fewRows(transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, pool: pool)
        }
        // Thin products (a vector on either side, or a short inner dimension) and tiny ones
        // cost more to pack than to compute directly.
        if m * n * k <= 24 * 24 * 24 || m < mr || n < 4 || k < 8 {
            small(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        packed(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
               beta: beta, c: c, ldc: ldc, pool: pool)
    }

    /// Dot product of two contiguous vectors with four `Wide` accumulators (a plain loop
    /// does not vectorise: float addition is not reassociated).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = Wide
        let w = V.scalarCount, bytes = 4 * V.scalarCount
        var (s0, s1, s2, s3) = (V(), V(), V(), V())
        let (rx, ry) = (UnsafeRawPointer(x), UnsafeRawPointer(y))
        var p = 0
        while p + 4 * w <= count {
            madd(&s0, rx.loadUnaligned(fromByteOffset: p * 4, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            madd(&s1, rx.loadUnaligned(fromByteOffset: p * 4 + bytes, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4 + bytes, as: V.self))
            madd(&s2, rx.loadUnaligned(fromByteOffset: p * 4 + 2 * bytes, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4 + 2 * bytes, as: V.self))
            madd(&s3, rx.loadUnaligned(fromByteOffset: p * 4 + 3 * bytes, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4 + 3 * bytes, as: V.self))
            p += 4 * w
        }
        while p + w <= count {
            madd(&s0, rx.loadUnaligned(fromByteOffset: p * 4, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            p += w
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while p < count { sum += x[p] * y[p]; p += 1 }
        return sum
    }

    static func scale(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, beta: Float) {
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
        }
    }

    /// Direct loops for small products: row-times-matrix axpys (contiguous in B and C) when B
    /// is not transposed, dot products when it is.
    static func small(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            let row = c + i * ldc
            if transB {
                for j in 0..<n {
                    let bj = b + j * ldb
                    let sum: Float
                    if transA {
                        var acc: Float = 0
                        for p in 0..<k { acc += a[p * lda + i] * bj[p] }
                        sum = acc
                    } else {
                        sum = dot(a + i * lda, bj, count: k)
                    }
                    row[j] = alpha * sum + (beta == 0 ? 0 : beta * row[j])
                }
            } else {
                if beta == 0 { row.update(repeating: 0, count: n) } else if beta != 1 { for j in 0..<n { row[j] *= beta } }
                for p in 0..<k {
                    let x = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
                    if x == 0 { continue }
                    let bp = b + p * ldb
                    for j in 0..<n { row[j] += x * bp[j] }
                }
            }
        }
    }
}
