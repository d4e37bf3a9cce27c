import Foundation
import PluginAPI

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
        let (bp, d, hidden, m) = (b.data, d, hidden, m)
        h.withUnsafeMutableBufferPointer { hp in
            z.withUnsafeBufferPointer { zp in
                let (hp, zp) = (hp.baseAddress.unsafelyUnwrapped, zp.baseAddress.unsafelyUnwrapped)
                WorkerPool.shared.parallelRanges(hidden, grain: 64) { range in
                    for j in range { for s in 0..<m { hp[s * hidden + j] = max(0, VectorKernels.dot(bp + j * d, zp + s * d, d)) } }
                }
            }
        }
    }

    /// Pass 1: y = A h and the mean squared error of y against z.
    func mse() -> Double {
        let (ap, d, hidden, m) = (a.data, d, hidden, m)
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
                                let v = VectorKernels.dot(ap + i * hidden, hp + s * hidden, hidden)
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
        let (ap, bp, d, hidden, m, lr) = (a.data, b.data, d, hidden, m, lr)
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
                                    for s in 0..<m { VectorKernels.axpy(yp[s * d + i] - zp[s * d + i], row, g + s * hidden, hidden) }
                                    for s in 0..<m { VectorKernels.axpy(-lr * (yp[s * d + i] - zp[s * d + i]), hp + s * hidden, row, hidden) }
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
                                VectorKernels.axpy(-lr * gp[s * hidden + j], zp + s * d, row, d)
                            }
                            for s in 0..<m { hp[s * hidden + j] = max(0, VectorKernels.dot(row, zp + s * d, d)) }
                        }
                    }
                }
            }
        }
    }
}

/// Eight-lane dot and axpy on contiguous floats.
enum VectorKernels {
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
        typealias V = SIMD8<Float>
        var (s0, s1, s2, s3) = (V(), V(), V(), V())
        let (rx, ry) = (UnsafeRawPointer(x), UnsafeRawPointer(y))
        var p = 0
        while p + 32 <= count {
            s0.addProduct(rx.loadUnaligned(fromByteOffset: p * 4, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            s1.addProduct(rx.loadUnaligned(fromByteOffset: p * 4 + 32, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4 + 32, as: V.self))
            s2.addProduct(rx.loadUnaligned(fromByteOffset: p * 4 + 64, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4 + 64, as: V.self))
            s3.addProduct(rx.loadUnaligned(fromByteOffset: p * 4 + 96, as: V.self), ry.loadUnaligned(fromByteOffset: p * 4 + 96, as: V.self))
            p += 32
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while p < count { sum += x[p] * y[p]; p += 1 }
        return sum
    }

    /// y += a x.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        typealias V = SIMD8<Float>
        let va = V(repeating: a)
        var p = 0
        while p + 8 <= count {
            let out = UnsafeMutableRawPointer(y + p)
            out.storeBytes(of: out.loadUnaligned(as: V.self) + va * UnsafeRawPointer(x + p).loadUnaligned(as: V.self), as: V.self)
            p += 8
        }
        while p < count { y[p] += a * x[p]; p += 1 }
    }
}
