import Foundation
import Formats
import Kernels
import KernelSupport

/// Elementwise activations, each forward beside its derivative.
extension Tensor {
    /// max(0, x); gradient 1 where x > 0. NaN stays NaN, as in PyTorch, so divergence shows.
    public func relu() -> Tensor {
        let out = Tensor(zeros: shape, zeroed: false)
        capturedKernel("relu") { [storage, count, target = out.storage] in VectorMath.relu(storage.base, into: target.base, count: count) }
        return out.recorded("relu", [self], savingOutput: { g, out in
            engineCheck(g.count == out.count, "relu backward: gradient \(g.shape) for output \(out.shape)")
            let dx = Tensor(zeros: out.shape, zeroed: false)
            capturedKernel("relu_backward") { [g = g.storage, out = out.storage, dx = dx.storage] in
                VectorMath.reluBackward(g.base, out.base, into: dx.base, count: out.count)
            }
            return [dx]
        })
    }

    /// 1 / (1 + e^-x); gradient s (1 - s).
    public func sigmoid() -> Tensor {
        let out = map(sigmoidScalar)
        return out.recorded("sigmoid", [self], savingOutput: { g, out in [g.zipMap(out) { dy, s in dy * s * (1 - s) }] })
    }

    /// x sigmoid(x); gradient s (1 + x (1 - s)).
    /// Eight lanes at a time (`VectorMath`); `siluReference` is the scalar definition.
    public func silu() -> Tensor {
        let x = self
        let out = Tensor(zeros: shape, zeroed: false)
        capturedKernel("silu") { VectorMath.silu(x.data, into: out.data, count: x.count) }
        return out.recorded("silu", [x]) { g in
            let dx = Tensor(zeros: x.shape, zeroed: false)
            capturedKernel("silu_backward") { VectorMath.siluBackward(g.data, x.data, into: dx.data, count: x.count) }
            return [dx]
        }
    }

    /// x sigmoid(x) one element at a time with `Foundation.exp`: the reference for `silu`.
    public func siluReference() -> Tensor { map { $0 * sigmoidScalar($0) } }

    /// tanh(x); gradient 1 - tanh^2.
    public func tanh() -> Tensor {
        let out = map { Foundation.tanh($0) }
        return out.recorded("tanh", [self], savingOutput: { g, out in [g.zipMap(out) { dy, t in dy * (1 - t * t) }] })
    }

    /// erf(x); gradient 2/sqrt(pi) e^(-x^2).
    public func erf() -> Tensor {
        let x = self
        return map { Foundation.erf($0) }.recorded("erf", [x]) { g in
            [g.zipMap(x) { dy, v in dy * 1.1283791670955126 * Foundation.exp(-v * v) }]
        }
    }

    /// sin(x); gradient cos(x).
    public func sin() -> Tensor {
        let x = self
        return map { Foundation.sin($0) }.recorded("sin", [x]) { g in [g.zipMap(x) { dy, v in dy * Foundation.cos(v) }] }
    }

    /// cos(x); gradient -sin(x).
    public func cos() -> Tensor {
        let x = self
        return map { Foundation.cos($0) }.recorded("cos", [x]) { g in [g.zipMap(x) { dy, v in -dy * Foundation.sin(v) }] }
    }
}

