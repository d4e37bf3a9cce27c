import Foundation
import PluginAPI
import Kernels

/// Full-batch gradient descent for f(x) = A relu(B x) on a few images, fused so that each step
/// passes over the weights a few times only (the work is memory-bound: A and B are 12.6 MB each):
/// 1. A pass, read only: y = A h, the residual delta = y - z and the MSE (to stop before stepping).
/// 2. A pass, read and write: g += delta_i A_i (with A before its update), A_i -= lr delta_i h.
/// 3. B pass, read and write: B_j -= lr (g_j [h_j > 0]) z, then the next step's h_j = relu(B_j z)
///    while the row is in cache.
/// The same numbers as the autograd loop (`AttractorExperiment.fit`) up to float rounding; the
/// tests check one against the other.
final class FusedAttractorTrainer {
    let a: Tensor, b: Tensor          // A (3072 x hidden), B (hidden x 3072), PyTorch layout
    let z: [Float]                    // the m images, row by row
    let m: Int, d: Int, hidden: Int
    var h: [Float], y: [Float]
    let lr: Float

    init(_ net: Sequential, images z: Tensor, lr: Float) {
        b = (net.layers[0] as? Linear)?.weight ?? Tensor.zeros([1, 1])
        a = (net.layers[2] as? Linear)?.weight ?? Tensor.zeros([1, 1])
        (m, d, hidden) = (z.shape[0], z.shape[1], b.shape[0])
        self.z = z.values
        self.lr = lr
        h = [Float](repeating: 0, count: m * hidden)
        y = [Float](repeating: 0, count: m * d)
        computeHidden()
    }

    /// h = relu(B z) for every image.
    func computeHidden() {
        b.withUnsafeMutableBufferPointer { computeHidden(bp: $0.baseAddress.unsafelyUnwrapped) }
    }

    private func computeHidden(bp: UnsafeMutablePointer<Float>) {
        let (d, hidden, m) = (d, hidden, m)
        h.withUnsafeMutableBufferPointer { hp in
            z.withUnsafeBufferPointer { zp in
                let (hp, zp) = (hp.baseAddress.unsafelyUnwrapped, zp.baseAddress.unsafelyUnwrapped)
                WorkerPool.shared.parallelRanges(hidden, grain: 64) { range in
                    for j in range { for s in 0..<m { hp[s * hidden + j] = max(0, VectorMath.dot(bp + j * d, zp + s * d, count: d)) } }
                }
            }
        }
    }

    /// Pass 1: y = A h and the mean squared error of y against z.
    func mse() -> Double {
        a.withUnsafeMutableBufferPointer { mse(ap: $0.baseAddress.unsafelyUnwrapped) }
    }

    private func mse(ap: UnsafeMutablePointer<Float>) -> Double {
        let (d, hidden, m) = (d, hidden, m)
        var total = 0.0
        let lock = NSLock()
        h.withUnsafeBufferPointer { hp in
            y.withUnsafeMutableBufferPointer { yp in
                z.withUnsafeBufferPointer { zp in
                    let (hp, yp, zp) = (hp.baseAddress.unsafelyUnwrapped, yp.baseAddress.unsafelyUnwrapped, zp.baseAddress.unsafelyUnwrapped)
                    WorkerPool.shared.parallelRanges(d, grain: 256) { range in
                        var part = 0.0
                        for i in range {
                            for s in 0..<m {
                                let v = VectorMath.dot(ap + i * hidden, hp + s * hidden, count: hidden)
                                yp[s * d + i] = v
                                part += Double((v - zp[s * d + i]) * (v - zp[s * d + i]))
                            }
                        }
                        lock.lock(); total += part; lock.unlock()
                    }
                }
            }
        }
        return total / Double(m * d)
    }

    /// Passes 2 and 3: one gradient step on 1/2 ||A relu(B z) - z||^2 from the y of `mse()`.
    func step() {
        a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in step(ap: ap.baseAddress.unsafelyUnwrapped, bp: bp.baseAddress.unsafelyUnwrapped) }
        }
    }

    private func step(ap: UnsafeMutablePointer<Float>, bp: UnsafeMutablePointer<Float>) {
        let (d, hidden, m, lr) = (d, hidden, m, lr)
        // g = delta A, accumulated per fixed block of rows and summed in block order.
        let blockRows = 256, blocks = (d + blockRows - 1) / blockRows
        var partial = [Float](repeating: 0, count: blocks * m * hidden)
        h.withUnsafeBufferPointer { hp in
            y.withUnsafeBufferPointer { yp in
                z.withUnsafeBufferPointer { zp in
                    partial.withUnsafeMutableBufferPointer { gp in
                        let (hp, yp, zp, gp) = (hp.baseAddress.unsafelyUnwrapped, yp.baseAddress.unsafelyUnwrapped, zp.baseAddress.unsafelyUnwrapped, gp.baseAddress.unsafelyUnwrapped)
                        WorkerPool.shared.parallelRanges(blocks, grain: 1) { range in
                            for block in range {
                                let g = gp + block * m * hidden
                                for i in block * blockRows..<min(d, (block + 1) * blockRows) {
                                    let row = ap + i * hidden
                                    for s in 0..<m { VectorMath.axpy(yp[s * d + i] - zp[s * d + i], row, g + s * hidden, count: hidden) }
                                    for s in 0..<m { VectorMath.axpy(-lr * (yp[s * d + i] - zp[s * d + i]), hp + s * hidden, row, count: hidden) }
                                }
                            }
                        }
                    }
                }
            }
        }
        var g = [Float](repeating: 0, count: m * hidden)
        for block in 0..<blocks { for k in 0..<m * hidden { g[k] += partial[block * m * hidden + k] } }
        h.withUnsafeMutableBufferPointer { hp in
            z.withUnsafeBufferPointer { zp in
                g.withUnsafeBufferPointer { gp in
                    let (hp, zp, gp) = (hp.baseAddress.unsafelyUnwrapped, zp.baseAddress.unsafelyUnwrapped, gp.baseAddress.unsafelyUnwrapped)
                    WorkerPool.shared.parallelRanges(hidden, grain: 64) { range in
                        for j in range {
                            let row = bp + j * d
                            for s in 0..<m where hp[s * hidden + j] > 0 {
                                VectorMath.axpy(-lr * gp[s * hidden + j], zp + s * d, row, count: d)
                            }
                            for s in 0..<m { hp[s * hidden + j] = max(0, VectorMath.dot(row, zp + s * d, count: d)) }
                        }
                    }
                }
            }
        }
    }
}
