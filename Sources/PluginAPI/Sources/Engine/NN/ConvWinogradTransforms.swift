import Kernels
import KernelSupport

/// The weight transforms of `WinogradConv`, one 3 x 3 kernel at a time: the kernels (G g Gᵀ)
/// and the kernel gradient (Gᵀ dU G). The tile transforms, which run over every pixel, are
/// kernels of each set (KernelSource/WinogradTransforms.swift, called through `WinogradKernels`).
extension WinogradConv {
    /// U[ξ][o][c] = (G g Gᵀ)_ξ for each 3 x 3 kernel g = weight[o, c], packed as
    /// `packedKernelOffset` says (row o, depth c). With `flipped`, the kernels of the input
    /// gradient's convolution: U[ξ][c][o] from weight[o, c] rotated by 180° (row c, depth o).
    /// `u` must be zeroed: the padding rows of the last panel stay zero.
    static func transformKernels(_ weight: UnsafePointer<Float>, outChannels oc: Int, inChannels c: Int, flipped: Bool,
                                 into u: UnsafeMutablePointer<Float>) {
        let pairs = oc * c
        WorkerPool.shared.parallelRanges(pairs, grain: 256) { range in
            for pair in range {
                let (o, ch) = (pair / c, pair % c)
                let g = weight + pair * 9
                @inline(__always) func tap(_ i: Int) -> Float { flipped ? g[8 - i] : g[i] }
                // g Gᵀ: each row of three taps becomes four.
                @inline(__always) func across(_ r: Int) -> (Float, Float, Float, Float) {
                    let (a, b, d) = (tap(3 * r), tap(3 * r + 1), tap(3 * r + 2))
                    return (a, 0.5 * (a + b + d), 0.5 * (a - b + d), d)
                }
                let (t0, t1, t2) = (across(0), across(1), across(2))
                let (row, k, rows, depth) = flipped ? (ch, o, c, oc) : (o, ch, oc, c)
                // Then G ·: column col of the three rows gives ξ = 4 r + col.
                @inline(__always) func down(_ col: Int, _ a: Float, _ b: Float, _ d: Float) {
                    @inline(__always) func at(_ xi: Int) -> Int { packedKernelOffset(xi, row: row, k: k, rows: rows, depth: depth) }
                    u[at(col)] = a
                    u[at(4 + col)] = 0.5 * (a + b + d)
                    u[at(8 + col)] = 0.5 * (a - b + d)
                    u[at(12 + col)] = d
                }
                down(0, t0.0, t1.0, t2.0)
                down(1, t0.1, t1.1, t2.1)
                down(2, t0.2, t1.2, t2.2)
                down(3, t0.3, t1.3, t2.3)
            }
        }
    }

    /// dw[o, c] = Gᵀ dU[·][o][c] G: the adjoint of `transformKernels` (unflipped).
    static func untransformKernelGradient(_ du: UnsafePointer<Float>, outChannels oc: Int, inChannels c: Int, into dw: UnsafeMutablePointer<Float>) {
        let pairs = oc * c
        WorkerPool.shared.parallelRanges(pairs, grain: 256) { range in
            for pair in range {
                // Gᵀ dU: four rows become three, per column.
                @inline(__always) func up(_ col: Int) -> (Float, Float, Float) {
                    let (a, b, d, e) = (du[col * pairs + pair], du[(4 + col) * pairs + pair],
                                        du[(8 + col) * pairs + pair], du[(12 + col) * pairs + pair])
                    return (a + 0.5 * (b + d), 0.5 * (b - d), 0.5 * (b + d) + e)
                }
                let (c0, c1, c2, c3) = (up(0), up(1), up(2), up(3))
                // Then · G: each row of four becomes three taps.
                let g = dw + pair * 9
                @inline(__always) func across(_ r: Int, _ a: Float, _ b: Float, _ d: Float, _ e: Float) {
                    (g[3 * r], g[3 * r + 1], g[3 * r + 2]) = (a + 0.5 * (b + d), 0.5 * (b - d), 0.5 * (b + d) + e)
                }
                across(0, c0.0, c1.0, c2.0, c3.0)
                across(1, c0.1, c1.1, c2.1, c3.1)
                across(2, c0.2, c1.2, c2.2, c3.2)
            }
        }
    }

}
