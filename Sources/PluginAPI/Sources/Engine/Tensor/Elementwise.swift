import Formats
import Kernels
import KernelSupport

/// Broadcasting arithmetic: +, -, *, / between tensors and with scalars, with gradients.
enum BinaryOp {
    case add, sub, mul, div

    @inline(__always) func apply(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        }
    }
}

extension Tensor {
    /// The forward kernel of a broadcasting binary op (no autograd).
    static func binaryKernel(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            engineFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = Tensor(zeros: shape, zeroed: false)
        capturedKernel("binary") { binaryKernel(a, b, op, into: out) }
        return out
    }

    /// `binaryKernel`'s loops, into `out` of the broadcast shape.
    private static func binaryKernel(_ a: Tensor, _ b: Tensor, _ op: BinaryOp, into out: Tensor) {
        let shape = out.shape
        let (pa, pb, po) = (a.data, b.data, out.data)
        if a.shape == b.shape {
            WorkerPool.shared.parallelRanges(out.count, grain: 1 << 16) { r in
                switch op {
                case .add: for i in r { po[i] = pa[i] + pb[i] }
                case .sub: for i in r { po[i] = pa[i] - pb[i] }
                case .mul: for i in r { po[i] = pa[i] * pb[i] }
                case .div: for i in r { po[i] = pa[i] / pb[i] }
                }
            }
            return
        }
        let sa = Broadcast.strides(of: a.shape, as: shape), sb = Broadcast.strides(of: b.shape, as: shape)
        forEachBroadcastRun(shape, sa, sb) { o, ia, ib, run, stepA, stepB in
            switch (stepA, stepB) {
            case (1, 1): for j in 0..<run { po[o + j] = op.apply(pa[ia + j], pb[ib + j]) }
            case (1, 0): let y = pb[ib]; for j in 0..<run { po[o + j] = op.apply(pa[ia + j], y) }
            case (0, 1): let x = pa[ia]; for j in 0..<run { po[o + j] = op.apply(x, pb[ib + j]) }
            default: for j in 0..<run { po[o + j] = op.apply(pa[ia + j * stepA], pb[ib + j * stepB]) }
            }
        }
    }

    /// Every element combined with a scalar, `x op s`, into a new tensor (no autograd).
    func scalarKernel(_ op: BinaryOp, _ s: Float) -> Tensor {
        let out = Tensor(zeros: shape, zeroed: false)
        capturedKernel("scalar") { [storage, count, target = out.storage] in
            let (p, o) = (storage.base, target.base)
            switch op {
            case .add: for i in 0..<count { o[i] = p[i] + s }
            case .sub: for i in 0..<count { o[i] = p[i] - s }
            case .mul: for i in 0..<count { o[i] = p[i] * s }
            case .div: for i in 0..<count { o[i] = p[i] / s }
            }
        }
        return out
    }

    /// Applies `f` to every element into a new tensor (no autograd; not capturable).
    @inline(__always)
    func map(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(zeros: shape, zeroed: false)
        let (p, o) = (data, out.data)
        for i in 0..<count { o[i] = f(p[i]) }
        return out
    }

    /// Combines two same-shaped tensors elementwise into a new one (no autograd).
    @inline(__always)
    func zipMap(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        engineCheck(other.count == count, "elementwise: \(shape) and \(other.shape) hold different numbers of values")
        let out = Tensor(zeros: shape, zeroed: false)
        let (p, q, o) = (data, other.data, out.data)
        for i in 0..<count { o[i] = f(p[i], q[i]) }
        return out
    }

    // MARK: operators with gradients

    /// `a + b` elementwise with NumPy/PyTorch broadcasting, with gradients; stops the run when the
    /// shapes do not broadcast.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(a, b, .add).recorded("add", [a, b]) { g in [g.sumTo(a.shape), g.sumTo(b.shape)] }
    }

    /// `a - b` elementwise with broadcasting, with gradients.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(a, b, .sub).recorded("sub", [a, b]) { g in [g.sumTo(a.shape), (-g).sumTo(b.shape)] }
    }

    /// `a * b` elementwise with broadcasting, with gradients.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(a, b, .mul).recorded("mul", [a, b]) { g in
            [a.requiresGrad ? (g * b).sumTo(a.shape) : nil, b.requiresGrad ? (g * a).sumTo(b.shape) : nil]
        }
    }

    /// `a / b` elementwise with broadcasting, with gradients.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binaryKernel(a, b, .div).recorded("div", [a, b]) { g in
            [a.requiresGrad ? (g / b).sumTo(a.shape) : nil,
             b.requiresGrad ? (-(g * a) / (b * b)).sumTo(b.shape) : nil]
        }
    }

    /// `-a`, with gradients.
    public static prefix func - (a: Tensor) -> Tensor {
        a.map { -$0 }.recorded("neg", [a]) { g in [-g] }
    }

    /// `a + s`: the scalar added to every element, with gradients.
    public static func + (a: Tensor, s: Float) -> Tensor { a.scalarKernel(.add, s).recorded("add_scalar", [a]) { g in [g] } }
    /// `s + a`, the same as `a + s`.
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    /// `a - s`: the scalar subtracted from every element, with gradients.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    /// `s - a`: the scalar minus every element, with gradients.
    public static func - (s: Float, a: Tensor) -> Tensor { a.map { s - $0 }.recorded("rsub_scalar", [a]) { g in [-g] } }
    /// `a * s`: every element times the scalar, with gradients.
    public static func * (a: Tensor, s: Float) -> Tensor { a.scalarKernel(.mul, s).recorded("mul_scalar", [a]) { g in [g * s] } }
    /// `s * a`, the same as `a * s`.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    /// `a / s`, computed as `a * (1 / s)` (which can differ from true division in the last bit).
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    /// Elementwise power with a constant exponent.
    public func pow(_ exponent: Float) -> Tensor {
        let x = self
        return map { Foundation.pow($0, exponent) }.recorded("pow", [x]) { g in
            [g * x.map { exponent * Foundation.pow($0, exponent - 1) }]
        }
    }

    /// Elementwise square.
    public func square() -> Tensor {
        let x = self
        return map { $0 * $0 }.recorded("square", [x]) { g in [g * x * 2] }
    }

    /// Elementwise square root.
    public func sqrt() -> Tensor {
        let out = map { $0.squareRoot() }
        return out.recorded("sqrt", [self], savingOutput: { g, y in [g / (y * 2)] })
    }

    /// Elementwise e^x.
    public func exp() -> Tensor {
        let out = map { Foundation.exp($0) }
        return out.recorded("exp", [self], savingOutput: { g, y in [g * y] })
    }

    /// Elementwise natural logarithm.
    public func log() -> Tensor {
        let x = self
        return map { Foundation.log($0) }.recorded("log", [x]) { g in [g / x] }
    }

    /// Elementwise absolute value (gradient 0 at 0, as PyTorch).
    public func abs() -> Tensor {
        let x = self
        return map { Swift.abs($0) }.recorded("abs", [x]) { g in [g * x.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }] }
    }

    /// Elementwise clamp to [low, high]; the gradient passes where the value was inside.
    public func clamp(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        let x = self
        return map { Swift.min(Swift.max($0, low), high) }.recorded("clamp", [x]) { g in
            [g * x.map { $0 >= low && $0 <= high ? 1 : 0 }]
        }
    }
}

import Foundation
