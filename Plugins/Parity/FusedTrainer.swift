import PluginAPI
import Kernels

/// One SGD-with-momentum step of the two-layer ReLU network on the hinge loss, fused into
/// plain loops over preallocated buffers: the fast path of `train`, checked against the
/// autograd path (`--engine autograd`) by the tests.
///
/// What it exploits: inputs are bits, so W x is the sum of the columns of W where x is 1, and
/// grad W accumulates delta only into those columns; W is kept transposed (d x k, rows padded
/// to a multiple of 32) so each column is a contiguous run of whole SIMD vectors, summed in
/// registers 32 floats at a time (one store per block, not one per column). The batch is
/// split in two fixed halves whose gradients are summed in order, on two threads when there
/// are two: the same numbers either way. Nothing is allocated per step.
/// Shapes: x (B, d) of 0/1, W (k, d) stored as wt (d, kp), b (k), alpha (k), beta (1).
final class FusedTrainer {
    let d: Int, k: Int, kp: Int, batch: Int
    let lr: Float, momentum: Float
    /// Parameters, momentum buffers, and per-half gradients, all kp-padded.
    let wt, b, alpha, vWt, vB, vAlpha: UnsafeMutablePointer<Float>
    let grads: [Half]
    let pre: UnsafeMutablePointer<Float>
    let active: UnsafeMutablePointer<Int32>
    /// Per sample: whether its margin was violated (then its `pre` row holds its delta).
    let violated: UnsafeMutablePointer<Bool>
    var beta: Float, vBeta: Float = 0
    var started = false
    let partner: SpinPartner?

    /// Gradient accumulators of one half of the batch.
    final class Half {
        let wt, b, alpha: UnsafeMutablePointer<Float>
        /// Scratch list of the half's sample indices that feed one column of grad W.
        let samples: UnsafeMutablePointer<Int32>
        var beta: Float = 0, loss: Float = 0
        init(d: Int, kp: Int, batch: Int) {
            wt = .allocate(capacity: d * kp); b = .allocate(capacity: kp); alpha = .allocate(capacity: kp)
            samples = .allocate(capacity: batch)
        }
        deinit { wt.deallocate(); b.deallocate(); alpha.deallocate(); samples.deallocate() }
    }

    init(_ network: TwoLayerReLU, batch: Int, lr: Float, momentum: Float, threads: Int) {
        k = network.hidden.weight.shape[0]; d = network.hidden.weight.shape[1]
        kp = (k + 31) / 32 * 32
        self.batch = batch; self.lr = lr; self.momentum = momentum
        func zeros(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        (wt, b, alpha) = (zeros(d * kp), zeros(kp), zeros(kp))
        (vWt, vB, vAlpha) = (zeros(d * kp), zeros(kp), zeros(kp))
        grads = [Half(d: d, kp: kp, batch: batch), Half(d: d, kp: kp, batch: batch)]
        pre = zeros(batch * kp)
        active = .allocate(capacity: batch * d)
        violated = .allocate(capacity: batch)
        let w = network.hidden.weight.values
        for i in 0..<k { for j in 0..<d { wt[j * kp + i] = w[i * d + j] } }
        if let bias = network.hidden.bias { for (i, value) in bias.values.prefix(k).enumerated() { b[i] = value } }
        for (i, value) in network.output.weight.values.prefix(k).enumerated() { alpha[i] = value }
        beta = network.output.bias?[flat: 0] ?? 0
        partner = threads > 1 && batch >= 2 ? SpinPartner() : nil
    }

    deinit {
        partner?.stop()
        for p in [wt, b, alpha, vWt, vB, vAlpha, pre] { p.deallocate() }
        active.deallocate(); violated.deallocate()
    }

    /// Writes the parameters back into `network` (PyTorch layout).
    func store(into network: TwoLayerReLU) {
        network.hidden.weight.withMutableValues { w in
            for i in 0..<k { for j in 0..<d { w[i * d + j] = wt[j * kp + i] } }
        }
        network.hidden.bias?.withMutableValues { bias in for i in 0..<k { bias[i] = b[i] } }
        network.output.weight.withMutableValues { weight in for i in 0..<k { weight[i] = alpha[i] } }
        network.output.bias?[flat: 0] = beta
    }

    /// One step on x (batch x d bits) and labels y; returns the batch's mean hinge loss.
    func step(x batchInputs: Tensor, y batchLabels: Tensor) -> Float {
        precondition(batchInputs.count == batch * d && batchLabels.count == batch, "the fused step's batch is \(batch) x \(d)")
        batchInputs.withUnsafeMutableBufferPointer { x in
            batchLabels.withUnsafeMutableBufferPointer { y in
                let (x, y) = (UnsafePointer(x.baseAddress.unsafelyUnwrapped), UnsafePointer(y.baseAddress.unsafelyUnwrapped))
                passes(x: x, y: y)
            }
        }
        return finishStep()
    }

    /// Both halves of the batch's forward and backward pass, on two threads when there is a partner.
    private func passes(x: UnsafePointer<Float>, y: UnsafePointer<Float>) {
        let half = batch / 2
        if let partner {
            partner.start { [self] in pass(rows: 0..<half, into: grads[0], x: x, y: y) }
            pass(rows: half..<batch, into: grads[1], x: x, y: y)
            partner.wait()
        } else {
            pass(rows: 0..<half, into: grads[0], x: x, y: y)
            pass(rows: half..<batch, into: grads[1], x: x, y: y)
        }
    }

    /// Sums the halves' gradients, takes the momentum step and returns the mean hinge loss.
    private func finishStep() -> Float {
        let (g0, g1) = (grads[0], grads[1])
        Vector.add(g1.wt, into: g0.wt, count: d * kp)
        Vector.add(g1.b, into: g0.b, count: kp)
        Vector.add(g1.alpha, into: g0.alpha, count: kp)
        update(wt, g0.wt, vWt, count: d * kp)
        update(b, g0.b, vB, count: kp)
        update(alpha, g0.alpha, vAlpha, count: kp)
        let g = g0.beta + g1.beta
        vBeta = started ? momentum * vBeta + g : g
        beta -= lr * (momentum == 0 ? g : vBeta)
        started = true
        return (g0.loss + g1.loss) / Float(batch)
    }

    /// Forward and backward for some rows of the batch, writing their gradient into `grad`.
    private func pass(rows: Range<Int>, into grad: Half, x: UnsafePointer<Float>, y: UnsafePointer<Float>) {
        grad.b.update(repeating: 0, count: kp); grad.alpha.update(repeating: 0, count: kp)
        grad.beta = 0; grad.loss = 0
        let scale = 1 / Float(batch)
        for s in rows {
            // forward: pre = b + sum of W's columns where x is 1; f = beta + alpha . relu(pre)
            let count = Vector.nonzeroIndices(x + s * d, count: d, into: active + s * d)
            let row = pre + s * kp
            Vector.sumColumns(wt, indices: active + s * d, count: count, stride: kp, start: b, into: row, length: kp)
            let f = beta + Vector.reluDot(alpha, row, count: kp)
            // hinge: loss max(0, 1 - f y); d loss / d f = -y / B where the margin is violated
            let margin = 1 - f * y[s]
            grad.loss += max(margin, 0)
            violated[s] = margin > 0
            guard margin > 0 else { continue }
            let df = -y[s] * scale
            grad.beta += df
            Vector.hingeBackward(row, alpha: alpha, df: df, gAlpha: grad.alpha, gB: grad.b, count: kp)
        }
        // grad W: column j is the sum of the deltas of the samples whose input j is 1.
        let samples = grad.samples
        for j in 0..<d {
            let count = Vector.samplesWithInput(j, of: x, inputs: d, rows: rows, where: violated, into: samples)
            Vector.sumColumns(pre, indices: samples, count: count, stride: kp, start: nil, into: grad.wt + j * kp, length: kp)
        }
    }

    /// PyTorch's SGD with momentum (no dampening, no weight decay): v = m v + g (v = g at
    /// first), p -= lr v.
    private func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, count: Int) {
        Optimizers.sgd(parameters: p, gradients: g, buffer: momentum == 0 ? nil : v, count: count, lr: lr, momentum: momentum,
                       dampening: 0, weightDecay: 0, nesterov: false, first: !started)
    }
}

/// The SIMD loops of the fused step live in the runtime's unchecked Kernels module.
typealias Vector = ReLUNetKernels
