import Foundation
import Formats
import Kernels
import KernelSupport

/// One training step's forward and backward passes split over parts of the batch that run on
/// the worker pool's threads at once, the way the fused trainers of small networks got their
/// second core (a step of tens of microseconds is too short to split op by op).
///
/// ```swift
/// optimizer.zeroGrad()
/// let loss = DataParallel.backward(batch: 100) { rows in
///     hingeLoss(network(x.rows(rows)).reshape([rows.count]), y.rows(rows))
/// }
/// optimizer.step()
/// ```
///
/// `loss(rows)` must return the *mean* loss over those rows of the batch, computed from those
/// rows alone (no batch normalisation, which couples the rows); each part's gradient is
/// weighted by its share of the batch, so the parameters' gradients are those of the whole
/// batch's mean loss, and the returned loss is that mean. The parts are fixed by the batch size
/// and `parts`, never by the thread count, and their gradients are summed in part order: one
/// thread or several give the same numbers (different from an unsplit step only by float32
/// summation order).
public enum DataParallel {
    /// Runs the passes of the parts 0..<parts of 0..<batch (`parts` at most `batch`), adds the
    /// gradients into each leaf's `grad` as `backward()` does, and returns the batch's mean loss.
    public static func backward(batch: Int, parts: Int = 2, _ loss: (Range<Int>) -> Tensor) -> Double {
        engineCheck(batch > 0 && parts > 0, "DataParallel.backward needs a batch and parts, got batch \(batch), parts \(parts)")
        StepRecorder.current?.refuse("DataParallel.backward cannot run inside a captured step; give StepCapture `parts` instead")
        let ranges = partRows(batch: batch, parts: parts)
        let sinks = ranges.map { _ in GradientSink() }
        var losses = [Double](repeating: 0, count: ranges.count)
        losses.withUnsafeMutableBufferPointer { results in
            WorkerPool.shared.parallelRanges(ranges.count, grain: 1) { pieces in
                for part in pieces {
                    let rows = ranges[part], weight = Float(rows.count) / Float(batch)
                    sinks[part].collecting {
                        let value = loss(rows)
                        engineCheck(value.count == 1, "DataParallel.backward: the loss of rows \(rows) has shape \(value.shape), not one value")
                        results[part] = Double(value.item) * Double(weight)
                        value.backward(Tensor(scalar: weight).reshape(value.shape))
                    }
                }
            }
        }
        for sink in sinks { sink.addIntoLeaves() }
        return losses.reduce(0, +)
    }

    /// The rows of each part of 0..<batch: min(parts, batch) contiguous ranges, in order.
    static func partRows(batch: Int, parts: Int) -> [Range<Int>] {
        let parts = min(parts, batch)
        return (0..<parts).map { part in (part * batch / parts)..<((part + 1) * batch / parts) }
    }
}
