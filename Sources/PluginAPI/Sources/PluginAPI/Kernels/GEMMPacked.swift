/// The packed, blocked path of `GEMM.sgemm` and its 6 x 16 micro-kernel.
extension GEMM {
    static func packed(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool) {
        let parallel = m * n * k >= 1 << 20 && pool.threads > 1
        // All rows of A are packed for a K block at once when that stays small (1 MB), so
        // packing A runs in parallel with packing B; otherwise MC rows at a time.
        let rowsAtOnce = (m + mr - 1) / mr * mr * kc <= 1 << 18 ? m : mc
        let packB = UnsafeMutablePointer<Float>.allocate(capacity: kc * (nc + nr))
        let packA = UnsafeMutablePointer<Float>.allocate(capacity: ((rowsAtOnce + mr - 1) / mr * mr) * kc)
        defer { packB.deallocate(); packA.deallocate() }

        var jc = 0
        while jc < n {
            let ncur = min(nc, n - jc)
            let bPanels = (ncur + nr - 1) / nr
            var pc = 0
            while pc < k {
                let kcur = min(kc, k - pc)
                let first = pc == 0
                var ib = 0
                while ib < m {
                    let rows = min(rowsAtOnce, m - ib)
                    let aPanels = (rows + mr - 1) / mr
                    // Pack B (on the first run of rows only) and this run of A panels together.
                    let withB = ib == 0
                    let packItems = (withB ? bPanels : 0) + aPanels
                    let pack: (Int) -> Void = { item in
                        if withB && item < bPanels {
                            packPanelB(transB: transB, b: b, ldb: ldb, row: pc, col: jc + item * nr, kcur: kcur,
                                       width: min(nr, ncur - item * nr), into: packB + item * kcur * nr)
                        } else {
                            let r = item - (withB ? bPanels : 0)
                            packPanelA(transA: transA, a: a, lda: lda, row: ib + r * mr, col: pc, kcur: kcur,
                                       height: min(mr, rows - r * mr), into: packA + r * kcur * mr)
                        }
                    }
                    if parallel { pool.parallelFor(packItems, pack) } else { for i in 0..<packItems { pack(i) } }
                    // Macro-kernel over tiles of (MC rows of A panels) x (one B panel), split
                    // across threads; each C tile is computed by one thread in a fixed order.
                    let panelsPerGroup = mc / mr
                    let aGroups = (aPanels + panelsPerGroup - 1) / panelsPerGroup
                    let tile: (Int) -> Void = { item in
                        let (group, s) = (item / bPanels, item % bPanels)
                        let width = min(nr, ncur - s * nr)
                        for r in (group * panelsPerGroup)..<min(aPanels, (group + 1) * panelsPerGroup) {
                            kernel6x16(kc: kcur, a: packA + r * kcur * mr, b: packB + s * kcur * nr,
                                       c: c + (ib + r * mr) * ldc + jc + s * nr, ldc: ldc, alpha: alpha,
                                       beta: first ? beta : 1, rows: min(mr, rows - r * mr), cols: width)
                        }
                    }
                    let tiles = aGroups * bPanels
                    if !parallel {
                        for item in 0..<tiles { tile(item) }
                    } else if bPanels >= 8 * pool.threads {
                        // Wide: threads share one block of A (kept in each core's L2) and split
                        // the B panels, so each B panel is read from L3 once per block.
                        for group in 0..<aGroups {
                            pool.parallelRanges(bPanels, grain: max(1, (bPanels + 2 * pool.threads - 1) / (2 * pool.threads))) { range in
                                for s in range { tile(group * bPanels + s) }
                            }
                        }
                    } else {
                        // Narrow: too few B panels to balance, so split (A block x B panel) tiles.
                        pool.parallelRanges(tiles, grain: max(1, (tiles + 2 * pool.threads - 1) / (2 * pool.threads))) { range in
                            for item in range { tile(item) }
                        }
                    }
                    ib += rows
                }
                pc += kcur
            }
            jc += ncur
        }
    }

    @inline(__always)
    static func packPanelB(transB: Bool, b: UnsafePointer<Float>, ldb: Int, row: Int, col: Int, kcur: Int,
                           width: Int, into dst: UnsafeMutablePointer<Float>) {
        if !transB && width == nr {
            for p in 0..<kcur {
                let src = UnsafeRawPointer(b + (row + p) * ldb + col)
                let out = UnsafeMutableRawPointer(dst + p * nr)
                out.storeBytes(of: src.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
            }
            return
        }
        if transB {
            // Rows of B are columns of op(B): read each row sequentially, write with stride NR
            // (the panel is 16 KB and stays in L1).
            for t in 0..<nr {
                if t < width {
                    let src = b + (col + t) * ldb + row
                    for p in 0..<kcur { dst[p * nr + t] = src[p] }
                } else {
                    for p in 0..<kcur { dst[p * nr + t] = 0 }
                }
            }
            return
        }
        for p in 0..<kcur {
            let out = dst + p * nr
            for t in 0..<nr { out[t] = t < width ? b[(row + p) * ldb + col + t] : 0 }
        }
    }

    @inline(__always)
    static func packPanelA(transA: Bool, a: UnsafePointer<Float>, lda: Int, row: Int, col: Int, kcur: Int,
                           height: Int, into dst: UnsafeMutablePointer<Float>) {
        if transA {
            for p in 0..<kcur {
                let src = a + (col + p) * lda + row
                for t in 0..<mr { dst[p * mr + t] = t < height ? src[t] : 0 }
            }
        } else {
            for t in 0..<mr {
                if t < height {
                    let src = a + (row + t) * lda + col
                    for p in 0..<kcur { dst[p * mr + t] = src[p] }
                } else {
                    for p in 0..<kcur { dst[p * mr + t] = 0 }
                }
            }
        }
    }

    /// C[0..<rows, 0..<cols] = alpha * (A panel . B panel) + beta * C. Twelve 8-wide
    /// accumulators (6 rows x 2 vectors) stay in registers; each step broadcasts one A value
    /// per row and does two fused multiply-adds with the two B vectors.
    @inline(__always)
    static func kernel6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                           ldc: Int, alpha: Float, beta: Float, rows: Int, cols: Int) {
        typealias V = SIMD8<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pa = a, pb = UnsafeRawPointer(b)
        @inline(__always) func step(_ pa: UnsafePointer<Float>, _ pb: UnsafeRawPointer) {
            let b0 = pb.load(as: V.self)
            let b1 = pb.load(fromByteOffset: 32, as: V.self)
            var x = V(repeating: pa[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = V(repeating: pa[1]); c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = V(repeating: pa[2]); c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = V(repeating: pa[3]); c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = V(repeating: pa[4]); c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = V(repeating: pa[5]); c50.addProduct(x, b0); c51.addProduct(x, b1)
        }
        // Unrolled by four: fewer loop branches in a loop bound by FMA and load throughput.
        var remaining = kc
        while remaining >= 4 {
            step(pa, pb); step(pa + 6, pb + 64); step(pa + 12, pb + 128); step(pa + 18, pb + 192)
            pa += 24; pb += 256; remaining -= 4
        }
        while remaining > 0 {
            step(pa, pb)
            pa += 6; pb += 64; remaining -= 1
        }
        let accumulators = [(c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)]
        let va = V(repeating: alpha), vb = V(repeating: beta)
        if cols == nr {
            for i in 0..<rows {
                let dst = UnsafeMutableRawPointer(c + i * ldc)
                var lo = accumulators[i].0 * va, hi = accumulators[i].1 * va
                if beta != 0 {
                    lo.addProduct(vb, dst.loadUnaligned(as: V.self))
                    hi.addProduct(vb, dst.loadUnaligned(fromByteOffset: 32, as: V.self))
                }
                dst.storeBytes(of: lo, as: V.self)
                dst.storeBytes(of: hi, toByteOffset: 32, as: V.self)
            }
        } else {
            for i in 0..<rows {
                let row = c + i * ldc
                let (lo, hi) = accumulators[i]
                for j in 0..<cols {
                    let v = alpha * (j < 8 ? lo[j] : hi[j - 8])
                    row[j] = beta == 0 ? v : v + beta * row[j]
                }
            }
        }
    }
}
