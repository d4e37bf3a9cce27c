import Foundation
import Kernels
import KernelSupport

/// A weight's gradient kept as its two factors, leftᵀ right, instead of a dense matrix: what
/// `linear` leaves for a leaf weight when its batch has at most `maxRows` rows. For the
/// attractor network's full-batch step on one image, the dense gradients of its two 3,072 x
/// 1,024 weights are 25 MB written and read again per step; the factors are one row of each.
///
/// `grad` builds the dense matrix when something reads it (row by row, as `rowGradient`
/// does). `SGD` instead steps each weight row from its gradient row, made in registers
/// (`PendingWeightUpdate`, without momentum) or in a small buffer (`forEachRow`, with
/// momentum), so the dense gradient never reaches memory; the numbers are the same bits
/// either way.
struct LowRankGradient {
    /// Batches of at most this many rows defer their weight gradient.
    static let maxRows = 4
    /// Weights smaller than this take the dense gradient (nothing to save).
    static let minimumWeights = 1 << 16

    /// (rows, out): the gradient of the layer's output.
    let left: Tensor
    /// (rows, in): the layer's input.
    let right: Tensor

    var rows: Int { left.shape[0] }
    var outFeatures: Int { left.shape[1] }
    var inFeatures: Int { right.shape[1] }

    /// Whether `linear`'s backward should leave `weight` a deferred gradient for a batch of
    /// `rows` rows: a leaf with no gradient yet, on a thread whose gradients go to `grad`.
    static func applies(to weight: Tensor, rows: Int) -> Bool {
        rows <= maxRows && weight.rank == 2 && weight.count >= minimumWeights && weight.node == nil
            && weight.storedGrad == nil && weight.deferredGradient == nil && GradientSink.current == nil
            && StepRecorder.current == nil
    }

    /// The factors of gᵀ x, copied (a few rows), so later changes to x do not reach them.
    init(outputGradient g: Tensor, input x: Tensor, rows: Int) {
        left = g.copy().reshape([rows, g.count / rows])
        right = x.copy().reshape([rows, x.count / rows])
    }

    /// Row j of leftᵀ right into `out` (inFeatures values): sum over r of left[r][j] right[r],
    /// accumulated in row order.
    func rowGradient(_ j: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: inFeatures)
        for r in 0..<rows { VectorMath.axpy(left.data[r * outFeatures + j], right.data + r * inFeatures, out, count: inFeatures) }
    }

    /// Calls `body(j, gradient row j)` for every row, rows split over the worker pool; each
    /// call's buffer is reused for the next row of the same range.
    func forEachRow(_ body: (Int, UnsafePointer<Float>) -> Void) {
        let width = inFeatures
        WorkerPool.shared.parallelRanges(outFeatures, grain: max(1, outFeatures / 64)) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { buffer in
                let row = buffer.baseAddress.unsafelyUnwrapped
                for j in range {
                    rowGradient(j, into: row)
                    body(j, row)
                }
            }
        }
    }

    /// The dense (out, in) gradient.
    func materialized() -> Tensor {
        let dense = Tensor(zeros: [outFeatures, inFeatures], zeroed: false)
        let width = inFeatures
        forEachRow { j, row in (dense.data + j * width).update(from: row, count: width) }
        return dense
    }
}

/// An SGD step without momentum, p -= lr (g + wd p), from a low-rank gradient, left on the
/// weight's storage (`TensorStorage.deferUpdate`) until its values are next read. `SGD.step`
/// leaves it there, so that the next forward pass, which reads every row of the weight
/// anyway, applies each row's update just before reading the row (one pass instead of two);
/// any other access applies it whole first. Each row's gradient is made in registers
/// (`Optimizers.sgdLowRank`): the bits of `LowRankGradient.forEachRow` and `Optimizers.sgd`.
struct PendingWeightUpdate {
    let gradient: LowRankGradient
    let lr: Float, weightDecay: Float

    /// Row j of the weight whose values are at `memory`.
    func applyRow(_ j: Int, to memory: UnsafeMutablePointer<Float>) {
        let (width, out) = (gradient.inFeatures, gradient.outFeatures)
        Optimizers.sgdLowRank(parameters: memory + j * width, coefficients: gradient.left.data + j, coefficientStride: out,
                              rows: gradient.right.data, rowStride: width, rank: gradient.rows, count: width, lr: lr, weightDecay: weightDecay)
    }

    /// Every row, split over the worker pool.
    func apply(to memory: UnsafeMutablePointer<Float>) {
        let out = gradient.outFeatures
        WorkerPool.shared.parallelRanges(out, grain: max(1, out / 64)) { range in
            for j in range { applyRow(j, to: memory) }
        }
    }
}
