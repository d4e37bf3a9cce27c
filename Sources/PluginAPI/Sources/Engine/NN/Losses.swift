import Foundation
import Formats

/// Softmax, log-softmax and the losses: cross-entropy, MSE, hinge.
extension Tensor {
    /// log(softmax(x)) along `axis`, computed stably as x - max - log(sum(exp(x - max))).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let axis = normalizeAxis(axis, rank: rank)
        let (outer, n, inner) = split(at: axis)
        let out = Tensor(zeros: shape, zeroed: false)
        capturedKernel("log_softmax") { [storage, target = out.storage] in
            let (p, o) = (storage.base, target.base)
            for i in 0..<outer {
                for j in 0..<inner {
                    let at = { (k: Int) in (i * n + k) * inner + j }
                    var m = -Float.infinity
                    for k in 0..<n { m = Swift.max(m, p[at(k)]) }
                    var s = 0.0
                    for k in 0..<n { s += Double(Foundation.exp(p[at(k)] - m)) }
                    let logSum = m + Float(Foundation.log(s))
                    for k in 0..<n { o[at(k)] = p[at(k)] - logSum }
                }
            }
        }
        return out.recorded("log_softmax", [self], savingOutput: { g, saved in
            // dx = g - softmax * sum(g) along the axis.
            let o = saved.data
            let grad = Tensor(zeros: saved.shape, zeroed: false)
            for i in 0..<outer {
                for j in 0..<inner {
                    let at = { (k: Int) in (i * n + k) * inner + j }
                    var s: Float = 0
                    for k in 0..<n { s += g.data[at(k)] }
                    for k in 0..<n { grad.data[at(k)] = g.data[at(k)] - Foundation.exp(o[at(k)]) * s }
                }
            }
            return [grad]
        })
    }

    /// softmax(x) along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { logSoftmax(axis: axis).exp() }
}

/// The share of rows of `logits` (N, C) whose largest entry is at the target class.
public func accuracy(_ logits: Tensor, targets: [Int]) -> Double {
    guard !targets.isEmpty else { return .nan }
    return Double(zip(logits.argmax(axis: 1), targets).filter { $0 == $1 }.count) / Double(targets.count)
}

/// Mean cross-entropy of logits (N, C) against integer class targets, as
/// `F.cross_entropy(logits, targets)`. Inside a captured step the targets would be fixed at
/// capture, so there it refuses the capture: give them as a tensor (`targets: Tensor`).
public func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
    engineCheck(logits.rank == 2 && logits.shape[0] == targets.count, "cross-entropy: logits \(logits.shape) for \(targets.count) targets")
    let c = logits.shape[1]
    for t in targets { engineCheck(t >= 0 && t < c, "cross-entropy: target \(t) is not a class in 0..<\(c)") }
    StepRecorder.current?.refuse("crossEntropy(targets: [Int]) would keep the targets of the captured batch; pass them as a tensor input")
    return crossEntropy(logits, targets: Tensor(targets.map { Float($0) }, shape: [targets.count]))
}

/// Mean cross-entropy of logits (N, C) against the class indices in `targets` (N), stored as
/// whole numbers in Float (`F.cross_entropy(logits, y)` with y a tensor of indices): the form
/// a captured step can take its targets in, as an input read at every replay.
public func crossEntropy(_ logits: Tensor, targets: Tensor) -> Tensor {
    engineCheck(logits.rank == 2 && targets.count == logits.shape[0], "cross-entropy: logits \(logits.shape) for targets \(targets.shape)")
    let (n, c) = (logits.shape[0], logits.shape[1])
    let logProbs = noGrad { logits.detach().logSoftmax(axis: 1) }
    let out = Tensor(zeros: [], zeroed: false)
    capturedKernel("cross_entropy") {
        let (p, t) = (logProbs.data, targets.data)
        var loss = 0.0
        for i in 0..<n { loss -= Double(p[i * c + classIndex(t[i], classes: c)]) }
        out.data[0] = Float(loss / Double(n))
    }
    return out.recorded("cross_entropy", [logits]) { g in
        // d/dlogits = (softmax - onehot) / N
        let grad = Tensor(zeros: logProbs.shape, zeroed: false)
        capturedKernel("cross_entropy_backward") {
            let (p, t, d) = (logProbs.data, targets.data, grad.data)
            for i in 0..<grad.count { d[i] = Foundation.exp(p[i]) }
            for i in 0..<n { d[i * c + classIndex(t[i], classes: c)] -= 1 }
            let scale = g.data[0] / Float(n)
            for i in 0..<grad.count { d[i] *= scale }
        }
        return [grad]
    }
}

/// A class index held as a Float, checked to be a whole number in 0..<classes.
private func classIndex(_ value: Float, classes: Int) -> Int {
    engineCheck(value >= 0 && value < Float(classes) && value.rounded() == value, "cross-entropy: target \(value) is not a class in 0..<\(classes)")
    return Int(value)
}

/// Mean squared error, as `F.mse_loss(x, y)`: one pass forward and one backward (the chain
/// (x - y).square().mean() fused; the tests hold it to that chain).
public func mseLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
    engineCheck(x.shape == y.shape, "mse: input \(x.shape) and target \(y.shape) must have the same shape")
    let n = x.count
    let out = Tensor(zeros: [], zeroed: false)
    capturedKernel("mse_loss") { [x = x.storage, y = y.storage, target = out.storage] in
        let (xp, yp) = (x.base, y.base)
        var total = 0.0
        for i in 0..<n { let e = Double(xp[i] - yp[i]); total += e * e }
        target.base[0] = Float(total / Double(max(n, 1)))
    }
    return out.recorded("mse_loss", [x, y]) { g in
        // d/dx = 2 (x - y) g / N, d/dy = its negative.
        let dx = Tensor(zeros: x.shape, zeroed: false)
        capturedKernel("mse_loss_backward") { [x = x.storage, y = y.storage, g = g.storage, dx = dx.storage] in
            let (xp, yp, d) = (x.base, y.base, dx.base)
            let scale = 2 * g.base[0] / Float(max(n, 1))
            for i in 0..<n { d[i] = scale * (xp[i] - yp[i]) }
        }
        return [dx, y.requiresGrad ? dx * -1 : nil]
    }
}

/// Mean hinge loss mean(max(0, 1 - x y)) for scores x and labels y of +-1, same shape: one pass
/// forward and one backward (the chain (1 - x y).relu().mean() fused; the tests hold it to
/// that chain).
public func hingeLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
    engineCheck(x.shape == y.shape, "hinge: scores \(x.shape) and labels \(y.shape) must have the same shape (beware (N,1) against (N,))")
    let n = x.count
    let out = Tensor(zeros: [], zeroed: false)
    capturedKernel("hinge_loss") { [x = x.storage, y = y.storage, target = out.storage] in
        let (xp, yp) = (x.base, y.base)
        var total = 0.0
        for i in 0..<n { let margin = 1 - xp[i] * yp[i]; total += margin < 0 ? 0 : Double(margin) }   // NaN stays NaN, as relu
        target.base[0] = Float(total / Double(max(n, 1)))
    }
    return out.recorded("hinge_loss", [x, y]) { g in
        // Where the margin is violated (1 - x y > 0): d/dx = -y g / N, d/dy = -x g / N; else 0.
        let dx = Tensor(zeros: x.shape, zeroed: false), dy = y.requiresGrad ? Tensor(zeros: y.shape) : nil
        capturedKernel("hinge_loss_backward") { [x = x.storage, y = y.storage, g = g.storage, dx = dx.storage, dy = dy?.storage] in
            let (xp, yp, dxp, dyp) = (x.base, y.base, dx.base, dy?.base)
            let scale = -g.base[0] / Float(max(n, 1))
            for i in 0..<n {
                let violated = 1 - xp[i] * yp[i] > 0
                dxp[i] = violated ? scale * yp[i] : 0
                if let dyp, violated { dyp[i] = scale * xp[i] }
            }
        }
        return [dx, dy]
    }
}
