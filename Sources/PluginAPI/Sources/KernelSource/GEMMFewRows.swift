import KernelSupport

/// Two GEMM paths for products of a few rows (m <= 4: a linear layer on one or a few inputs,
/// such as the attractor network's full-batch step on one or two images), where the packed
/// kernel's six-row tiles would be mostly empty and `small` runs on one thread and reads B
/// once per row of A:
/// - `fewRowsDot`: C (m x n) = A (m x k) B^T with B stored (n x k): each B row is dotted with
///   every A row (two at a time) while it is in cache, the rows split over the pool. Every
///   entry is one dot product, so any thread count gives the same numbers.
/// - `fewRowsStream`: C (m x n) = A (m x k) B with B (k x n) row-major: B's rows stream past
///   once, in fixed blocks of `fewRowsBlock` rows, each block summing into partial rows of its
///   own; the partials are added in block order (the same numbers for any thread count).
extension GEMM {
    /// Rows of B per block of `fewRowsStream`.
    static let fewRowsBlock = 128

    /// Whether `fewRowsDot` serves this product.
    static func useFewRowsDot(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) -> Bool {
        !transA && transB && m <= 4 && n >= 16 && k >= 256
    }

    /// Whether `fewRowsStream` serves this product.
    static func useFewRowsStream(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) -> Bool {
        !transA && !transB && m <= 4 && n >= 64 && k >= 4 * fewRowsBlock
    }

    /// C = alpha A Bᵀ + beta C through `fewRowsDot` when that is the path `sgemm` takes for
    /// this shape, calling `beforeRow(j)` just before B's row j is first read (from the thread
    /// that then reads it): false, having done nothing, for other shapes.
    static func fewRowsDotTransposed(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool, beforeRow: (Int) -> Void) -> Bool {
        guard k > 0, !useLongDot(transA: false, transB: true, m: m, n: n, k: k), useFewRowsDot(transA: false, transB: true, m: m, n: n, k: k)
        else { return false }
        fewRowsDot(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, pool: pool, beforeRow: beforeRow)
        return true
    }

    static func fewRowsDot(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool, beforeRow: (Int) -> Void = { _ in }) {
        func store(_ sum: Float, _ i: Int, _ j: Int) {
            let out = c + i * ldc + j
            out.pointee = alpha * sum + (beta == 0 ? 0 : beta * out.pointee)
        }
        pool.parallelRanges(n, grain: max(1, n / 64)) { range in
            for j in range {
                beforeRow(j)
                let row = b + j * ldb
                var i = 0
                while i + 1 < m {
                    let (first, second) = dotPair(a + i * lda, a + (i + 1) * lda, row, count: k)
                    store(first, i, j); store(second, i + 1, j)
                    i += 2
                }
                if i < m { store(dot(a + i * lda, row, count: k), i, j) }
            }
        }
    }

    /// The dot products of x0 and x1 with y (`count` values each), y loaded once for both:
    /// two `Wide` accumulators per product.
    @inline(__always)
    static func dotPair(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> (Float, Float) {
        typealias V = Wide
        let w = V.scalarCount
        let (rx0, rx1, ry) = (UnsafeRawPointer(x0), UnsafeRawPointer(x1), UnsafeRawPointer(y))
        var (s0, s1, t0, t1) = (V(), V(), V(), V())
        var p = 0
        while p + 2 * w <= count {
            let (at, next) = (p * 4, (p + w) * 4)
            let y0 = ry.loadUnaligned(fromByteOffset: at, as: V.self), y1 = ry.loadUnaligned(fromByteOffset: next, as: V.self)
            madd(&s0, rx0.loadUnaligned(fromByteOffset: at, as: V.self), y0); madd(&s1, rx0.loadUnaligned(fromByteOffset: next, as: V.self), y1)
            madd(&t0, rx1.loadUnaligned(fromByteOffset: at, as: V.self), y0); madd(&t1, rx1.loadUnaligned(fromByteOffset: next, as: V.self), y1)
            p += 2 * w
        }
        var (first, second) = ((s0 + s1).sum(), (t0 + t1).sum())
        while p < count {
            first += x0[p] * y[p]; second += x1[p] * y[p]
            p += 1
        }
        return (first, second)
    }

    static func fewRowsStream(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool) {
        let blocks = (k + fewRowsBlock - 1) / fewRowsBlock
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: blocks * m * n)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: blocks * m * n)
        pool.parallelRanges(blocks, grain: 1) { range in
            for block in range {
                let out = partial + block * m * n
                for p in block * fewRowsBlock..<Swift.min(k, (block + 1) * fewRowsBlock) {
                    for i in 0..<m {
                        let x = a[i * lda + p]
                        if x != 0 { VectorMath.axpy(x, b + p * ldb, out + i * n, count: n) }
                    }
                }
            }
        }
        scale(c, m: m, n: n, ldc: ldc, beta: beta)
        for i in 0..<m {
            for block in 0..<blocks { VectorMath.axpy(alpha, partial + (block * m + i) * n, c + i * ldc, count: n) }
        }
    }
}
