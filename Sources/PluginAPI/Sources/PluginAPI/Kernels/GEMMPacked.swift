/// The packed, blocked path of `GEMM.sgemm` and its 6 x 16 micro-kernel.
extension GEMM {
    static func packed(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool) {
        let packB = UnsafeMutablePointer<Float>.allocate(capacity: kc * (nc + nr))
        let packA = UnsafeMutablePointer<Float>.allocate(capacity: (mc + mr) * kc)
        defer { packB.deallocate(); packA.deallocate() }
        let parallel = m * n * k >= 64 * 64 * 64

        var jc = 0
        while jc < n {
            let ncur = min(nc, n - jc)
            let bPanels = (ncur + nr - 1) / nr
            var pc = 0
            while pc < k {
                let kcur = min(kc, k - pc)
                // B block (kcur x ncur) into NR-wide panels: packB[panel][p][0..<nr].
                let packBPanel: (Int) -> Void = { s in
                    packPanelB(transB: transB, b: b, ldb: ldb, row: pc, col: jc + s * nr, kcur: kcur,
                               width: min(nr, ncur - s * nr), into: packB + s * kcur * nr)
                }
                if parallel { pool.parallelFor(bPanels, packBPanel) } else { for s in 0..<bPanels { packBPanel(s) } }
                let first = pc == 0
                var ic = 0
                while ic < m {
                    let mcur = min(mc, m - ic)
                    let aPanels = (mcur + mr - 1) / mr
                    for r in 0..<aPanels {
                        packPanelA(transA: transA, a: a, lda: lda, row: ic + r * mr, col: pc, kcur: kcur,
                                   height: min(mr, mcur - r * mr), into: packA + r * kcur * mr)
                    }
                    // Macro-kernel: B panels across threads; each thread sweeps all A panels.
                    let macro: (Range<Int>) -> Void = { panels in
                        for s in panels {
                            let width = min(nr, ncur - s * nr)
                            for r in 0..<aPanels {
                                let height = min(mr, mcur - r * mr)
                                kernel6x16(kc: kcur, a: packA + r * kcur * mr, b: packB + s * kcur * nr,
                                           c: c + (ic + r * mr) * ldc + jc + s * nr, ldc: ldc, alpha: alpha,
                                           beta: first ? beta : 1, rows: height, cols: width)
                            }
                        }
                    }
                    if parallel {
                        pool.parallelRanges(bPanels, grain: max(1, (bPanels + 2 * pool.threads - 1) / (2 * pool.threads)), macro)
                    } else {
                        macro(0..<bPanels)
                    }
                    ic += mcur
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
        for p in 0..<kcur {
            let out = dst + p * nr
            for t in 0..<nr {
                out[t] = t < width ? (transB ? b[(col + t) * ldb + row + p] : b[(row + p) * ldb + col + t]) : 0
            }
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
        for _ in 0..<kc {
            let b0 = pb.load(as: V.self)
            let b1 = pb.load(fromByteOffset: 32, as: V.self)
            var x = V(repeating: pa[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = V(repeating: pa[1]); c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = V(repeating: pa[2]); c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = V(repeating: pa[3]); c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = V(repeating: pa[4]); c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = V(repeating: pa[5]); c50.addProduct(x, b0); c51.addProduct(x, b1)
            pa += 6
            pb += 64
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
