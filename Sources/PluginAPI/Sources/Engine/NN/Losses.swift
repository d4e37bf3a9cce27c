import Foundation
import Formats

/// Softmax, log-softmax and the losses: cross-entropy, MSE, hinge.
extension Tensor {
    /// log(softmax(x)) along `axis`, computed stably as x - max - log(sum(exp(x - max))).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let axis = normalizeAxis(axis, rank: rank)
        let (outer, n, inner) = split(at: axis)
        let out = Tensor(zeros: shape, zeroed: false)
        let (p, o) = (data, out.data)
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
/// `F.cross_entropy(logits, targets)`.
public func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
    engineCheck(logits.rank == 2 && logits.shape[0] == targets.count, "cross-entropy: logits \(logits.shape) for \(targets.count) targets")
    let (n, c) = (logits.shape[0], logits.shape[1])
    let logProbs = noGrad { logits.detach().logSoftmax(axis: 1) }
    var loss = 0.0
    for (i, t) in targets.enumerated() {
        engineCheck(t >= 0 && t < c, "cross-entropy: target \(t) is not a class in 0..<\(c)")
        loss -= Double(logProbs.data[i * c + t])
    }
    return Tensor(scalar: Float(loss / Double(n))).recorded("cross_entropy", [logits]) { g in
        // d/dlogits = (softmax - onehot) / N
        let grad = logProbs.map { Foundation.exp($0) }
        for (i, t) in targets.enumerated() { grad.data[i * c + t] -= 1 }
        let scale = g.item / Float(n)
        for i in 0..<grad.count { grad.data[i] *= scale }
        return [grad]
    }
}

/// Mean squared error, as `F.mse_loss(x, y)`: one pass forward and one backward (the chain
/// (x - y).square().mean() fused; the tests hold it to that chain).
public func mseLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
    engineCheck(x.shape == y.shape, "mse: input \(x.shape) and target \(y.shape) must have the same shape")
    let n = x.count
    var total = 0.0
    for i in 0..<n { let e = Double(x.data[i] - y.data[i]); total += e * e }
    return Tensor(scalar: Float(total / Double(max(n, 1)))).recorded("mse_loss", [x, y]) { g in
        // d/dx = 2 (x - y) g / N, d/dy = its negative.
        let scale = 2 * g.item / Float(max(n, 1))
        let dx = Tensor(zeros: x.shape, zeroed: false)
        for i in 0..<n { dx.data[i] = scale * (x.data[i] - y.data[i]) }
        return [dx, y.requiresGrad ? -dx : nil]
    }
}

/// Mean hinge loss mean(max(0, 1 - x y)) for scores x and labels y of +-1, same shape: one pass
/// forward and one backward (the chain (1 - x y).relu().mean() fused; the tests hold it to
/// that chain).
public func hingeLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
    engineCheck(x.shape == y.shape, "hinge: scores \(x.shape) and labels \(y.shape) must have the same shape (beware (N,1) against (N,))")
    let n = x.count
    var total = 0.0
    for i in 0..<n { let margin = 1 - x.data[i] * y.data[i]; total += margin < 0 ? 0 : Double(margin) }   // NaN stays NaN, as relu
    return Tensor(scalar: Float(total / Double(max(n, 1)))).recorded("hinge_loss", [x, y]) { g in
        // Where the margin is violated (1 - x y > 0): d/dx = -y g / N, d/dy = -x g / N; else 0.
        let scale = -g.item / Float(max(n, 1))
        let dx = Tensor(zeros: x.shape, zeroed: false), dy = y.requiresGrad ? Tensor(zeros: y.shape) : nil
        for i in 0..<n {
            let violated = 1 - x.data[i] * y.data[i] > 0
            dx.data[i] = violated ? scale * y.data[i] : 0
            if let dy, violated { dy.data[i] = scale * x.data[i] }
        }
        return [dx, dy]
    }
}
