import KernelSupport

/// Two unpacked GEMM kernels for the shapes of a linear layer on wide inputs (the CAFE softmax:
/// 36 images of 91,200 pixels, 6 classes), where packing would copy the whole input once more
/// than the product reads it:
/// - `longDot`: C (m x n) = A (m x k) B^T with B stored (n x k), m n small, k long: every entry
///   is a dot product of two contiguous rows; k is cut into blocks so a block of B stays in
///   cache while every row of A passes over it, and the per-block partial sums are added in
///   block order (the same numbers for any thread count).
/// - `fewRows`: C (m x n) = A B with m <= 6 rows and a short k, B (k x n) row-major: each
///   nr-column strip of C (two `Wide` vectors) is held in registers while the k rows of B stream
///   past once.
extension GEMM {
    /// Block of the inner dimension for `longDot`: 6 rows of B (24 KB) stay in L1.
    static let longDotBlock = 1024

    /// Whether `longDot` serves this product.
    static func useLongDot(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) -> Bool {
        !transA && transB && m * n <= 4096 && k >= 2048 && n <= 64
    }

    /// Whether `fewRows` serves this product.
    static func useFewRows(transB: Bool, m: Int, n: Int, k: Int) -> Bool {
        !transB && m <= mr && k <= 256 && n >= 256
    }

    static func longDot(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool) {
        let blocks = (k + longDotBlock - 1) / longDotBlock
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: blocks * m * n)
        defer { partial.deallocate() }
        pool.parallelRanges(blocks, grain: max(1, blocks / 16)) { range in
            for block in range {
                let start = block * longDotBlock, count = Swift.min(longDotBlock, k - start)
                let out = partial + block * m * n
                var i = 0
                while i < m {
                    let rows = Swift.min(2, m - i)
                    var j = 0
                    while j < n {
                        let cols = Swift.min(3, n - j)
                        dotTile(a + i * lda + start, lda: lda, rows: rows, b + j * ldb + start, ldb: ldb, cols: cols, count: count,
                                into: out + i * n + j, ldo: n)
                        j += cols
                    }
                    i += rows
                }
            }
        }
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for block in 0..<blocks { sum += partial[block * m * n + i * n + j] }
                let old = c[i * ldc + j]
                c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * old)
            }
        }
    }

    /// Up to 2 rows of A against up to 3 rows of B over `count` values: six `Wide` accumulators.
    @inline(__always)
    static func dotTile(_ a: UnsafePointer<Float>, lda: Int, rows: Int, _ b: UnsafePointer<Float>, ldb: Int, cols: Int, count: Int,
                        into out: UnsafeMutablePointer<Float>, ldo: Int) {
        typealias V = Wide
        let w = V.scalarCount
        // Missing rows and columns read row 0 again; their sums are not stored.
        let a0 = UnsafeRawPointer(a), a1 = UnsafeRawPointer(a + (rows > 1 ? lda : 0))
        let b0 = UnsafeRawPointer(b), b1 = UnsafeRawPointer(b + (cols > 1 ? ldb : 0)), b2 = UnsafeRawPointer(b + (cols > 2 ? 2 * ldb : 0))
        var (s00, s01, s02, s10, s11, s12) = (V(), V(), V(), V(), V(), V())
        var p = 0
        while p + w <= count {
            let offset = p * 4
            let x0 = a0.loadUnaligned(fromByteOffset: offset, as: V.self), x1 = a1.loadUnaligned(fromByteOffset: offset, as: V.self)
            let y0 = b0.loadUnaligned(fromByteOffset: offset, as: V.self), y1 = b1.loadUnaligned(fromByteOffset: offset, as: V.self)
            let y2 = b2.loadUnaligned(fromByteOffset: offset, as: V.self)
            madd(&s00, x0, y0); madd(&s01, x0, y1); madd(&s02, x0, y2)
            madd(&s10, x1, y0); madd(&s11, x1, y1); madd(&s12, x1, y2)
            p += w
        }
        var sums = [s00.sum(), s01.sum(), s02.sum(), s10.sum(), s11.sum(), s12.sum()]
        let (pa0, pa1) = (a, a + (rows > 1 ? lda : 0))
        let pb = [b, b + (cols > 1 ? ldb : 0), b + (cols > 2 ? 2 * ldb : 0)]
        while p < count {
            for j in 0..<3 { sums[j] += pa0[p] * pb[j][p]; sums[3 + j] += pa1[p] * pb[j][p] }
            p += 1
        }
        for r in 0..<rows { for j in 0..<cols { out[r * ldo + j] = sums[r * 3 + j] } }
    }

    /// (The register tile is written out for `mr` = 6 rows.)
    static func fewRows(transA: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool) {
        typealias V = Wide
        let bytes = 4 * V.scalarCount
        let strips = n / nr
        // A's values scaled by alpha, as [p][i] with the missing rows zero.
        var scaled = [Float](repeating: 0, count: k * mr)
        for p in 0..<k { for i in 0..<m { scaled[p * mr + i] = alpha * (transA ? a[p * lda + i] : a[i * lda + p]) } }
        scaled.withUnsafeBufferPointer { s in
            let s = s.baseAddress.unsafelyUnwrapped
            pool.parallelRanges(strips, grain: max(16, strips / 8)) { range in
                for strip in range {
                    let j = strip * nr
                    var (c00, c01, c10, c11, c20, c21) = (V(), V(), V(), V(), V(), V())
                    var (c30, c31, c40, c41, c50, c51) = (V(), V(), V(), V(), V(), V())
                    for p in 0..<k {
                        let row = UnsafeRawPointer(b + p * ldb + j)
                        let y0 = row.loadUnaligned(as: V.self), y1 = row.loadUnaligned(fromByteOffset: bytes, as: V.self)
                        let ap = s + p * mr
                        var x = V(repeating: ap[0]); madd(&c00, x, y0); madd(&c01, x, y1)
                        x = V(repeating: ap[1]); madd(&c10, x, y0); madd(&c11, x, y1)
                        x = V(repeating: ap[2]); madd(&c20, x, y0); madd(&c21, x, y1)
                        x = V(repeating: ap[3]); madd(&c30, x, y0); madd(&c31, x, y1)
                        x = V(repeating: ap[4]); madd(&c40, x, y0); madd(&c41, x, y1)
                        x = V(repeating: ap[5]); madd(&c50, x, y0); madd(&c51, x, y1)
                    }
                    func store(_ i: Int, _ r0: V, _ r1: V) {
                        guard i < m else { return }
                        let out = UnsafeMutableRawPointer(c + i * ldc + j)
                        var (r0, r1) = (r0, r1)
                        if beta != 0 {
                            r0 += beta * out.loadUnaligned(as: V.self); r1 += beta * out.loadUnaligned(fromByteOffset: bytes, as: V.self)
                        }
                        out.storeBytes(of: r0, as: V.self); out.storeBytes(of: r1, toByteOffset: bytes, as: V.self)
                    }
                    store(0, c00, c01); store(1, c10, c11); store(2, c20, c21)
                    store(3, c30, c31); store(4, c40, c41); store(5, c50, c51)
                }
            }
        }
        // The last n mod nr columns.
        for i in 0..<m {
            for j in strips * nr..<n {
                var sum: Float = 0
                for p in 0..<k { sum += s(scaled, p, i) * b[p * ldb + j] }
                c[i * ldc + j] = sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }

    @inline(__always)
    private static func s(_ scaled: [Float], _ p: Int, _ i: Int) -> Float { scaled[p * mr + i] }
}
