import KernelSupport

/// The packed, blocked path of `GEMM.sgemm` and its 6 x nr micro-kernel, written once for any
/// vector width and instantiated with `Wide` (the packed path) and SIMD8 (`panelProduct6x16`).
extension GEMM {
    static func packed(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool) {
        let parallel = m * n * k >= 1 << 20 && pool.threads > 1
        // A not transposed is read in place: the micro-kernel walks six of its rows at once,
        // which stream from L1/L2 as well as a packed panel would, so A is never copied
        // (unless its rows lie 8 KB or more apart: 144 such rows measured slower in place, at
        // 2048 x 2048, than packed). Otherwise A is packed: all of its rows for a K block at
        // once when that stays small (4 MB), so packing A runs in parallel with packing B;
        // else MC rows at a time.
        let directA = !transA && lda < 2048
        let rowsAtOnce = directA || (m + mr - 1) / mr * mr * kc <= 1 << 20 ? m : mc
        let packB = UnsafeMutablePointer<Float>.allocate(capacity: kc * (nc + nr))
        let packA = UnsafeMutablePointer<Float>.allocate(capacity: directA ? 0 : ((rowsAtOnce + mr - 1) / mr * mr) * kc)
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
                    let packedBPanel: (Int) -> Void = { s in
                        packPanelB(transB: transB, b: b, ldb: ldb, row: pc, col: jc + s * nr, kcur: kcur,
                                   width: min(nr, ncur - s * nr), into: packB + s * kcur * nr)
                    }
                    // Macro-kernel over tiles of (MC rows of A panels) x (one B panel); each C
                    // tile is computed by one thread in a fixed order. With few B panels the
                    // threads split tiles, so the blocks of A are made small enough for some
                    // sixteen tiles per thread.
                    let wide = bPanels >= 8 * pool.threads
                    let panelsPerGroup = wide || !parallel ? mc / mr : max(1, min(mc / mr, aPanels * bPanels / (16 * pool.threads)))
                    let aGroups = (aPanels + panelsPerGroup - 1) / panelsPerGroup
                    let tile: (Int) -> Void = { item in
                        let (group, s) = (item / bPanels, item % bPanels)
                        let width = min(nr, ncur - s * nr)
                        let bPanel = packB + s * kcur * nr
                        for r in (group * panelsPerGroup)..<min(aPanels, (group + 1) * panelsPerGroup) {
                            let height = min(mr, rows - r * mr), cTile = c + (ib + r * mr) * ldc + jc + s * nr
                            if directA {
                                kernel(Wide.self, kc: kcur, rowsOfA: a + (ib + r * mr) * lda + pc, rowStride: lda, height: height,
                                           b: bPanel, c: cTile, ldc: ldc, alpha: alpha, beta: first ? beta : 1, cols: width)
                            } else {
                                kernel(Wide.self, kc: kcur, a: packA + r * kcur * mr, b: bPanel, c: cTile, ldc: ldc, alpha: alpha,
                                           beta: first ? beta : 1, rows: height, cols: width)
                            }
                        }
                    }
                    let tiles = aGroups * bPanels
                    let grain = { (count: Int) in max(1, (count + 2 * pool.threads - 1) / (2 * pool.threads)) }
                    if !directA {
                        // Pack B (on the first run of rows only) and this run of A panels together.
                        let withB = ib == 0
                        let packItems = (withB ? bPanels : 0) + aPanels
                        let pack: (Int) -> Void = { item in
                            if withB && item < bPanels { return packedBPanel(item) }
                            let r = item - (withB ? bPanels : 0)
                            packPanelA(transA: transA, a: a, lda: lda, row: ib + r * mr, col: pc, kcur: kcur,
                                       height: min(mr, rows - r * mr), into: packA + r * kcur * mr)
                        }
                        if parallel { pool.parallelFor(packItems, pack) } else { for i in 0..<packItems { pack(i) } }
                    }
                    if !parallel {
                        if directA { for s in 0..<bPanels { packedBPanel(s) } }
                        for item in 0..<tiles { tile(item) }
                    } else if wide {
                        // Wide: each thread takes a run of B panels (packing them itself when A is
                        // read in place) and goes through the blocks of A in order, so the
                        // threads share one block of A at a time in one pass of the pool.
                        pool.parallelRanges(bPanels, grain: grain(bPanels)) { range in
                            if directA { for s in range { packedBPanel(s) } }
                            for group in 0..<aGroups {
                                for s in range { tile(group * bPanels + s) }
                            }
                        }
                    } else {
                        // Narrow: too few B panels to balance, so split (A block x B panel) tiles.
                        if directA { pool.parallelFor(bPanels, packedBPanel) }
                        pool.parallelRanges(tiles, grain: grain(tiles)) { range in
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
            let half = 4 * Wide.scalarCount
            for p in 0..<kcur {
                let src = UnsafeRawPointer(b + (row + p) * ldb + col)
                let out = UnsafeMutableRawPointer(dst + p * nr)
                out.storeBytes(of: src.loadUnaligned(as: Wide.self), as: Wide.self)
                out.storeBytes(of: src.loadUnaligned(fromByteOffset: half, as: Wide.self), toByteOffset: half, as: Wide.self)
            }
            return
        }
        if transB {
            // Rows of B are columns of op(B): read each row sequentially, write with stride NR
            // (the panel, 32 KB or 64 KB on AVX-512, stays in L1/L2).
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

    /// C (6 x 16, rows `ldc` apart) = A panel . B panel over `kc` steps, for callers whose
    /// operands already lie as packed panels of 16 columns do: step p's six values of A at
    /// a[6p ..< 6p + 6], its sixteen of B at b[16p ..< 16p + 16]. Sixteen columns in every
    /// kernel set (the micro-kernel below with 8-lane vectors), whatever `nr` the set packs with.
    static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, ldc: Int) {
        kernel(SIMD8<Float>.self, kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: 1, beta: 0, rows: mr, cols: 16)
    }

    /// The same product, storing only the first `rows` (1...6) rows of C: for the last panel of
    /// a matrix whose height is not a multiple of six (the panel's extra rows are read, never
    /// stored).
    static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int) {
        kernel(SIMD8<Float>.self, kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: 1, beta: 0, rows: Swift.max(0, Swift.min(mr, rows)), cols: 16)
    }

    /// C (rows x 16) = A . B panel, with A as ceil(rows / 6) packed 6-row panels of `kc` steps one
    /// after another (panel r at a + 6 kc r): `panelProduct6x16` down a column of C in one call,
    /// so a caller that goes through the kernel-set dispatch pays for it once per column.
    static func panelProducts6x16(kc: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>,
                                  c: UnsafeMutablePointer<Float>, ldc: Int) {
        var r = 0
        while r * mr < rows {
            kernel(SIMD8<Float>.self, kc: kc, a: a + r * kc * mr, b: b, c: c + r * mr * ldc, ldc: ldc, alpha: 1, beta: 0,
                   rows: Swift.min(mr, rows - r * mr), cols: 16)
            r += 1
        }
    }

    /// C[0..<rows, 0..<cols] = alpha * (A panel . B panel) + beta * C, for panels 2 x V wide.
    /// Twelve V accumulators (6 rows x 2 vectors) stay in registers; each step broadcasts one A
    /// value per row and does two fused multiply-adds with the two B vectors.
    @inline(__always)
    static func kernel<V: SIMD>(_: V.Type, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                ldc: Int, alpha: Float, beta: Float, rows: Int, cols: Int) where V.Scalar == Float {
        kernel(V.self, kc: kc, rows: (a, a + 1, a + 2, a + 3, a + 4, a + 5), stride: mr, b: b, c: c, ldc: ldc,
               alpha: alpha, beta: beta, height: rows, cols: cols)
    }

    /// The same product with A read in place: `height` rows, `rowStride` apart, each walked
    /// contiguously (rows past `height` repeat the last one; their results are not stored).
    @inline(__always)
    static func kernel<V: SIMD>(_: V.Type, kc: Int, rowsOfA a: UnsafePointer<Float>, rowStride: Int, height: Int, b: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float, cols: Int) where V.Scalar == Float {
        let row = { (i: Int) in a + min(i, height - 1) * rowStride }
        kernel(V.self, kc: kc, rows: (row(0), row(1), row(2), row(3), row(4), row(5)), stride: 1, b: b, c: c, ldc: ldc,
               alpha: alpha, beta: beta, height: height, cols: cols)
    }

    /// The micro-kernel proper: A's six rows are read at `rows.i[p * stride]`, B's panel is
    /// 2 V wide (`width` floats a step). Always inlined, so each vector type gets its own copy.
    @inline(__always)
    static func kernel<V: SIMD>(_: V.Type, kc: Int, rows a: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                          UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                                stride: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                ldc: Int, alpha: Float, beta: Float, height rows: Int, cols: Int) where V.Scalar == Float {
        let lanes = V.scalarCount, width = 2 * V.scalarCount, bytes = 4 * V.scalarCount
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var o = 0, pb = UnsafeRawPointer(b)
        @inline(__always) func step(_ o: Int, _ pb: UnsafeRawPointer) {
            let b0 = pb.loadUnaligned(as: V.self)
            let b1 = pb.loadUnaligned(fromByteOffset: bytes, as: V.self)
            var x = V(repeating: a.0[o]); madd(&c00, x, b0); madd(&c01, x, b1)
            x = V(repeating: a.1[o]); madd(&c10, x, b0); madd(&c11, x, b1)
            x = V(repeating: a.2[o]); madd(&c20, x, b0); madd(&c21, x, b1)
            x = V(repeating: a.3[o]); madd(&c30, x, b0); madd(&c31, x, b1)
            x = V(repeating: a.4[o]); madd(&c40, x, b0); madd(&c41, x, b1)
            x = V(repeating: a.5[o]); madd(&c50, x, b0); madd(&c51, x, b1)
        }
        // Unrolled by four: fewer loop branches in a loop bound by FMA and load throughput.
        var remaining = kc
        while remaining >= 4 {
            step(o, pb); step(o + stride, pb + 2 * bytes); step(o + 2 * stride, pb + 4 * bytes); step(o + 3 * stride, pb + 6 * bytes)
            o += 4 * stride; pb += 8 * bytes; remaining -= 4
        }
        while remaining > 0 {
            step(o, pb)
            o += stride; pb += 2 * bytes; remaining -= 1
        }
        // Row by row through a local function: an array of the accumulators here would be
        // allocated and freed on the heap at every call (it measured 6% of a convolution).
        let va = V(repeating: alpha), vb = V(repeating: beta)
        @inline(__always) func store(_ i: Int, _ lo: V, _ hi: V) {
            guard i < rows else { return }
            if cols == width {
                let dst = UnsafeMutableRawPointer(c + i * ldc)
                var lo = lo * va, hi = hi * va
                if beta != 0 {
                    madd(&lo, vb, dst.loadUnaligned(as: V.self))
                    madd(&hi, vb, dst.loadUnaligned(fromByteOffset: bytes, as: V.self))
                }
                dst.storeBytes(of: lo, as: V.self)
                dst.storeBytes(of: hi, toByteOffset: bytes, as: V.self)
            } else {
                let row = c + i * ldc
                for j in 0..<cols {
                    let v = alpha * (j < lanes ? lo[j] : hi[j - lanes])
                    row[j] = beta == 0 ? v : v + beta * row[j]
                }
            }
        }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21)
        store(3, c30, c31); store(4, c40, c41); store(5, c50, c51)
    }
}
