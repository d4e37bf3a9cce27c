import Formats
import Kernels
import KernelSupport

/// Batch normalisation over (N, H, W) per channel and layer normalisation over trailing
/// dimensions, with gradients.

/// `F.batch_norm` for NCHW input. Training: normalises with the batch mean and biased
/// variance and updates `runningMean`/`runningVar` in place with `momentum` and the unbiased
/// variance. Evaluation: normalises with the running statistics.
public func batchNorm2d(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    let (n, c) = (x.shape[0], x.shape[1])
    let hw = x.count / Swift.max(n * c, 1)
    let m = n * hw
    // The batch's statistics, from the forward kernel to the backward kernel.
    let statistics = Tensor(zeros: [2, c], zeroed: false)
    let out = Tensor(zeros: x.shape, zeroed: false)
    capturedKernel("batch_norm") {
        let (mean, invStd) = (statistics.data, statistics.data + c)
        forEachChannel(c, elements: x.count) { ch in
            if training {
                var s = 0.0, ss = 0.0
                for img in 0..<n {
                    let p = x.data + (img * c + ch) * hw
                    for q in 0..<hw { s += Double(p[q]) }
                }
                let mu = s / Double(m)
                for img in 0..<n {
                    let p = x.data + (img * c + ch) * hw
                    for q in 0..<hw { let d = Double(p[q]) - mu; ss += d * d }
                }
                let variance = ss / Double(m)
                mean[ch] = Float(mu)
                invStd[ch] = Float(1 / (variance + Double(eps)).squareRoot())
                if let runningMean, let runningVar {
                    let unbiased = m > 1 ? ss / Double(m - 1) : variance
                    runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * Float(mu)
                    runningVar.data[ch] = (1 - momentum) * runningVar.data[ch] + momentum * Float(unbiased)
                }
            } else {
                guard let runningMean, let runningVar else { engineFailure("batch_norm in evaluation mode needs running statistics") }
                mean[ch] = runningMean.data[ch]
                invStd[ch] = 1 / (runningVar.data[ch] + eps).squareRoot()
            }
        }
        forEachChannel(c, elements: x.count) { ch in
            for img in 0..<n {
                let (scale, shift) = ((weight?.data[ch] ?? 1) * invStd[ch], bias?.data[ch] ?? 0)
                let (p, o) = (x.data + (img * c + ch) * hw, out.data + (img * c + ch) * hw)
                let mu = mean[ch]
                for q in 0..<hw { o[q] = (p[q] - mu) * scale + shift }
            }
        }
    }
    let inputs = [x] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
    return out.recorded("batch_norm", inputs) { g in
        let dx = Tensor(zeros: x.shape, zeroed: false)
        let dw = Tensor(zeros: [c]), db = Tensor(zeros: [c])
        capturedKernel("batch_norm_backward") {
            let (mean, invStd) = (statistics.data, statistics.data + c)
            forEachChannel(c, elements: x.count) { ch in
                var sumG = 0.0, sumGX = 0.0
                for img in 0..<n {
                    let (p, gp) = (x.data + (img * c + ch) * hw, g.data + (img * c + ch) * hw)
                    for q in 0..<hw { sumG += Double(gp[q]); sumGX += Double(gp[q]) * Double((p[q] - mean[ch]) * invStd[ch]) }
                }
                dw.data[ch] = Float(sumGX); db.data[ch] = Float(sumG)
                let gamma = weight?.data[ch] ?? 1
                for img in 0..<n {
                    let (p, gp, d) = (x.data + (img * c + ch) * hw, g.data + (img * c + ch) * hw, dx.data + (img * c + ch) * hw)
                    if training {
                        // dx = gamma invstd (g - mean(g) - xhat mean(g xhat))
                        let (mg, mgx) = (Float(sumG / Double(m)), Float(sumGX / Double(m)))
                        for q in 0..<hw { let xhat = (p[q] - mean[ch]) * invStd[ch]; d[q] = gamma * invStd[ch] * (gp[q] - mg - xhat * mgx) }
                    } else {
                        for q in 0..<hw { d[q] = gamma * invStd[ch] * gp[q] }
                    }
                }
            }
        }
        var grads: [Tensor?] = [dx]
        if let weight { grads.append(weight.requiresGrad ? dw : nil) }
        if let bias { grads.append(bias.requiresGrad ? db : nil) }
        return grads
    }
}

/// `F.layer_norm(x, normalized_shape, weight, bias, eps)`: normalises over the trailing
/// dimensions whose sizes multiply to `weight.count` (or `normalizedCount` without affine).
public func layerNorm(_ x: Tensor, normalizedCount d: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
    engineCheck(x.count % d == 0, "layer_norm: \(x.shape) does not end in \(d) normalised values")
    let rows = x.count / d
    // Each row's statistics, from the forward kernel to the backward kernel.
    let statistics = Tensor(zeros: [2, rows], zeroed: false)
    let out = Tensor(zeros: x.shape, zeroed: false)
    let scale = weight ?? Tensor.ones([d]), shift = bias ?? Tensor.zeros([d])
    capturedKernel("layer_norm") {
        let (w, b, mean, invStd) = (scale.data, shift.data, statistics.data, statistics.data + rows)
        for r in 0..<rows {
            let p = x.data + r * d
            let mu = sumInDouble(p, d) / Double(d)
            var ss = 0.0
            for q in 0..<d { let v = Double(p[q]) - mu; ss += v * v }
            let (m, inv) = (Float(mu), Float(1 / (ss / Double(d) + Double(eps)).squareRoot()))
            mean[r] = m; invStd[r] = inv
            let o = out.data + r * d
            for q in 0..<d { o[q] = (p[q] - m) * inv * w[q] + b[q] }
        }
    }
    let inputs = [x] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
    return out.recorded("layer_norm", inputs) { g in
        let dx = Tensor(zeros: x.shape, zeroed: false)
        let dw = Tensor(zeros: [d]), db = Tensor(zeros: [d])
        let rowBuffers = Tensor(zeros: [2, d], zeroed: false)
        capturedKernel("layer_norm_backward") {
            let (dwp, dbp, w) = (dw.data, db.data, scale.data)
            let (mean, invStd, xhat, gh) = (statistics.data, statistics.data + rows, rowBuffers.data, rowBuffers.data + d)
            for r in 0..<rows {
                let (p, gp, o) = (x.data + r * d, g.data + r * d, dx.data + r * d)
                let (m, inv) = (mean[r], invStd[r])
                for q in 0..<d {
                    xhat[q] = (p[q] - m) * inv
                    dwp[q] += gp[q] * xhat[q]
                    dbp[q] += gp[q]
                    gh[q] = gp[q] * w[q]
                }
                var sumGH = 0.0, sumGHX = 0.0
                for q in 0..<d { sumGH += Double(gh[q]); sumGHX += Double(gh[q] * xhat[q]) }
                let (mg, mgx) = (Float(sumGH / Double(d)), Float(sumGHX / Double(d)))
                for q in 0..<d { o[q] = inv * (gh[q] - mg - xhat[q] * mgx) }
            }
        }
        var grads: [Tensor?] = [dx]
        if let weight { grads.append(weight.requiresGrad ? Tensor(shape: weight.shape, storage: dw.storage) : nil) }
        if let bias { grads.append(bias.requiresGrad ? Tensor(shape: bias.shape, storage: db.storage) : nil) }
        return grads
    }
}

/// The sum of `count` floats accumulated in Double (as the reductions do), in four lanes.
@inline(__always)
func sumInDouble(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    var q = 0
    while q + 4 <= count {
        s0 += Double(p[q]); s1 += Double(p[q + 1]); s2 += Double(p[q + 2]); s3 += Double(p[q + 3])
        q += 4
    }
    while q < count { s0 += Double(p[q]); q += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// Runs `body` for every channel, on the worker pool when the tensor is large enough to pay
/// for it. Channels are independent, so the numbers do not depend on the thread count.
private func forEachChannel(_ channels: Int, elements: Int, _ body: (Int) -> Void) {
    if elements >= 1 << 16 { WorkerPool.shared.parallelFor(channels, body) } else { for ch in 0..<channels { body(ch) } }
}
