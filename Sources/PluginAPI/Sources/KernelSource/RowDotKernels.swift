import KernelSupport

/// Products of matrices that share a long inner dimension laid along their rows:
/// C_b (rows x columns) (+)= A_b · B_bᵀ, where A_b is `rows` x `length` and B_b is `columns` x
/// `length`, both row-major, for `batch` pairs one after another. The Winograd convolution's
/// kernel gradient is 16 such products (dU_ξ = Z_ξ · V_ξᵀ, the inner dimension being the tiles).
enum RowDotKernels {
    /// See the type. A block of 3 x 3 dot products at a time (nine vector accumulators, six
    /// loads per nine multiply-adds); one pool item per (pair, three rows of C), so each element
    /// is summed by one thread in a fixed order, whatever the thread count.
    static func products(batch: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>, columns: Int,
                         length: Int, accumulate: Bool, into c: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let rowBlocks = (rows + 2) / 3, columnBlocks = (columns + 2) / 3
        let lanes = Wide.scalarCount
        pool.parallelFor(batch * rowBlocks) { item in
            let (pair, block) = (item / rowBlocks, item % rowBlocks)
            let r0 = block * 3, blockRows = Swift.min(3, rows - r0)
            // Rows past the last repeat it; their sums are not stored.
            @inline(__always) func aRow(_ i: Int) -> UnsafePointer<Float> { a + (pair * rows + Swift.min(r0 + i, rows - 1)) * length }
            let (a0, a1, a2) = (aRow(0), aRow(1), aRow(2))
            for cb in 0..<columnBlocks {
                let c0 = cb * 3, blockColumns = Swift.min(3, columns - c0)
                @inline(__always) func bRow(_ j: Int) -> UnsafePointer<Float> { b + (pair * columns + Swift.min(c0 + j, columns - 1)) * length }
                let (b0, b1, b2) = (bRow(0), bRow(1), bRow(2))
                var (s00, s01, s02, s10, s11, s12, s20, s21, s22) = (Wide(), Wide(), Wide(), Wide(), Wide(), Wide(), Wide(), Wide(), Wide())
                // Nine multiply-adds of three rows of A with three rows of B.
                @inline(__always) func step(_ x0: Wide, _ x1: Wide, _ x2: Wide, _ y0: Wide, _ y1: Wide, _ y2: Wide) {
                    madd(&s00, y0, x0); madd(&s01, y0, x1); madd(&s02, y0, x2)
                    madd(&s10, y1, x0); madd(&s11, y1, x1); madd(&s12, y1, x2)
                    madd(&s20, y2, x0); madd(&s21, y2, x1); madd(&s22, y2, x2)
                }
                @inline(__always) func full(_ row: UnsafePointer<Float>, _ t: Int) -> Wide { UnsafeRawPointer(row + t).loadUnaligned(as: Wide.self) }
                var t = 0
                while t + lanes <= length {
                    step(full(b0, t), full(b1, t), full(b2, t), full(a0, t), full(a1, t), full(a2, t))
                    t += lanes
                }
                if t < length {
                    let n = length - t
                    step(partial(b0 + t, n), partial(b1 + t, n), partial(b2 + t, n), partial(a0 + t, n), partial(a1 + t, n), partial(a2 + t, n))
                }
                @inline(__always) func sum(_ i: Int, _ j: Int) -> Float {
                    switch i * 3 + j {
                    case 0: return s00.sum()
                    case 1: return s01.sum()
                    case 2: return s02.sum()
                    case 3: return s10.sum()
                    case 4: return s11.sum()
                    case 5: return s12.sum()
                    case 6: return s20.sum()
                    case 7: return s21.sum()
                    default: return s22.sum()
                    }
                }
                for i in 0..<blockRows {
                    let out = c + (pair * rows + r0 + i) * columns + c0
                    for j in 0..<blockColumns { out[j] = accumulate ? out[j] + sum(i, j) : sum(i, j) }
                }
            }
        }
    }

    /// The first `count` (fewer than the width) lanes from `source`, the rest zero.
    @inline(never)
    static func partial(_ source: UnsafePointer<Float>, _ count: Int) -> Wide {
        var value = Wide()
        for i in 0..<count { value[i] = source[i] }
        return value
    }
}
