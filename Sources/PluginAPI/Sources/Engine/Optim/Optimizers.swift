import Foundation
import Formats
import Kernels
import KernelSupport

/// The base of the optimizers: the parameters, the learning rate, `step()` and `zeroGrad()`.
open class Optimizer {
    /// The tensors the optimizer updates, in the order given (the order of its saved state).
    public let parameters: [Tensor]
    /// The learning rate used by the next `step()` (schedules set it).
    public var lr: Float

    /// An optimizer of `parameters` with learning rate `lr`; subclasses override `step()`.
    public init(_ parameters: [Tensor], lr: Float) {
        self.parameters = parameters
        self.lr = lr
    }

    /// Updates every parameter that has a gradient.
    open func step() { engineFailure("\(type(of: self)) does not override step()") }

    /// Clears the gradients (`optimizer.zero_grad()`, set to None).
    public func zeroGrad() { for p in parameters { p.grad = nil } }
}

/// `torch.optim.SGD` with PyTorch's update: g = grad + wd p; b = momentum b + (1 - dampening) g
/// (b = g on the first step); g = g + momentum b if nesterov else b; p -= lr g.
public final class SGD: Optimizer {
    /// The hyper-parameters of PyTorch's SGD, as given (`weightDecay` is L2, added to the gradient).
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    private var buffers: [ObjectIdentifier: [Float]] = [:]

    /// `torch.optim.SGD(parameters, lr, momentum, dampening, weight_decay, nesterov)`. Unlike PyTorch,
    /// it does not reject `nesterov` with zero momentum or a non-zero dampening.
    public init(_ parameters: [Tensor], lr: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum; self.dampening = dampening; self.weightDecay = weightDecay; self.nesterov = nesterov
        super.init(parameters, lr: lr)
    }

    /// Updates every parameter that has a gradient as above; a parameter without one keeps its value
    /// and its momentum buffer. A gradient left as factors (`LowRankGradient`) is applied row by
    /// row from its rows, so its dense matrix is never made; without momentum the step waits on
    /// the weight until its values are next read (`PendingWeightUpdate`). The numbers are the same.
    public override func step() {
        for p in parameters {
            let deferred = p.storedGrad == nil ? p.deferredGradient : nil
            if let deferred, momentum == 0 {
                p.storage.deferUpdate(PendingWeightUpdate(gradient: deferred, lr: lr, weightDecay: weightDecay))
                continue
            }
            guard deferred != nil || p.grad != nil else { continue }
            let key = ObjectIdentifier(p)
            let first = buffers[key] == nil
            var buffer = momentum == 0 ? [] : buffers.removeValue(forKey: key) ?? [Float](repeating: 0, count: p.count)
            buffer.withUnsafeMutableBufferPointer { b in
                let b = momentum == 0 ? nil : b.baseAddress
                func update(offset: Int, gradients: UnsafePointer<Float>, count: Int) {
                    Self.update(parameters: p.data + offset, gradients: gradients, buffer: b.map { $0 + offset }, count: count, lr: lr,
                                momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov, first: first)
                }
                if let deferred {
                    let width = deferred.inFeatures
                    deferred.forEachRow { j, row in update(offset: j * width, gradients: row, count: width) }
                } else if let grad = p.grad {
                    update(offset: 0, gradients: grad.data, count: p.count)
                }
            }
            if momentum != 0 { buffers[key] = buffer }
        }
    }

    /// PyTorch's SGD update of `count` parameters in place, in the CPU's widest kernels:
    /// g = grad + wd p; b = g on the first step, else momentum b + (1 - dampening) g;
    /// p -= lr (nesterov ? g + momentum b : b); without `buffer` (momentum 0) p -= lr g. (A
    /// hand-fused trainer calls the kernel itself: `Optimizers.sgd` in Kernels.)
    package static func update(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, buffer b: UnsafeMutablePointer<Float>?,
                              count: Int, lr: Float, momentum: Float, dampening: Float = 0, weightDecay: Float = 0,
                              nesterov: Bool = false, first: Bool) {
        Optimizers.sgd(parameters: p, gradients: g, buffer: b, count: count, lr: lr, momentum: momentum, dampening: dampening,
                       weightDecay: weightDecay, nesterov: nesterov, first: first)
    }

    /// The momentum buffer of each parameter, in `parameters` order (nil before its first
    /// step): what a checkpoint must keep for training to resume exactly.
    public var momentumBuffers: [[Float]?] { parameters.map { buffers[ObjectIdentifier($0)] } }

    /// Restores buffers saved from `momentumBuffers`. Throws when a count or length differs.
    public func loadMomentumBuffers(_ saved: [[Float]?]) throws {
        guard saved.count == parameters.count else {
            throw PluginError.invalidInput("the saved optimizer state has \(saved.count) buffers, the model \(parameters.count) parameters",
                                           hint: "resume from a checkpoint of the same architecture")
        }
        for (p, buffer) in zip(parameters, saved) {
            guard let buffer else { buffers[ObjectIdentifier(p)] = nil; continue }
            guard buffer.count == p.count else {
                throw PluginError.invalidInput("a saved momentum buffer has \(buffer.count) values, its parameter \(p.count)",
                                               hint: "resume from a checkpoint of the same architecture")
            }
            buffers[ObjectIdentifier(p)] = buffer
        }
    }
}

/// `torch.optim.Adam(lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8)`, computed as PyTorch does:
/// p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
public final class Adam: Optimizer {
    /// The hyper-parameters of PyTorch's Adam: the moments' decay rates (`betas`), the epsilon of the
    /// denominator, and L2 weight decay added to the gradient (not AdamW's decoupled decay).
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    private var moments: [ObjectIdentifier: ([Float], [Float])] = [:]
    private var steps = 0

    /// `torch.optim.Adam(parameters, lr, betas, eps, weight_decay)`.
    public init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8, weightDecay: Float = 0) {
        (beta1, beta2) = betas
        self.eps = eps; self.weightDecay = weightDecay
        super.init(parameters, lr: lr)
    }

    /// PyTorch's Adam update for `count` values, split over the worker pool for large tensors
    /// (each element is independent, so any split gives the same numbers).
    func adamUpdate(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                    count: Int, stepSize: Float, root2: Float) {
        let (b1, b2, wd, eps) = (beta1, beta2, weightDecay, eps)
        func update(_ range: Range<Int>) {
            let i = range.lowerBound
            Adam.update(parameters: p + i, gradients: g + i, firstMoments: m + i, secondMoments: v + i, count: range.count,
                        stepSize: stepSize, root2: root2, beta1: b1, beta2: b2, eps: eps, weightDecay: wd)
        }
        if count < 1 << 16 { update(0..<count) } else { WorkerPool.shared.parallelRanges(count, grain: 1 << 15, update) }
    }

    /// The step size `lr / (1 - beta1^step)` and `sqrt(1 - beta2^step)` of PyTorch's Adam at
    /// `step` (counted from 1).
    public static func corrections(step: Int, lr: Float, beta1: Float, beta2: Float) -> (stepSize: Float, root2: Float) {
        let correction1 = 1 - Foundation.pow(beta1, Float(step)), correction2 = 1 - Foundation.pow(beta2, Float(step))
        return (lr / correction1, correction2.squareRoot())
    }

    /// PyTorch's Adam update of `count` parameters in place, in the CPU's widest kernels, with the
    /// step's `corrections`: g += wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    /// p -= stepSize m / (sqrt(v) / root2 + eps). (A hand-fused trainer calls the kernel itself:
    /// `Optimizers.adam` in Kernels.)
    package static func update(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                              firstMoments m: UnsafeMutablePointer<Float>, secondMoments v: UnsafeMutablePointer<Float>, count: Int,
                              stepSize: Float, root2: Float, beta1 b1: Float, beta2 b2: Float, eps: Float, weightDecay wd: Float) {
        Optimizers.adam(parameters: p, gradients: g, firstMoments: m, secondMoments: v, count: count, stepSize: stepSize, root2: root2,
                        beta1: b1, beta2: b2, eps: eps, weightDecay: wd)
    }

    /// Updates every parameter that has a gradient as above. The bias corrections count this
    /// optimizer's steps, where PyTorch counts each parameter's: the same when every parameter has a
    /// gradient at every step.
    public override func step() {
        steps += 1
        let (stepSize, root2) = Adam.corrections(step: steps, lr: lr, beta1: beta1, beta2: beta2)
        for p in parameters {
            guard let grad = p.grad else { continue }
            let key = ObjectIdentifier(p)
            var (m, v) = moments.removeValue(forKey: key) ?? ([Float](repeating: 0, count: p.count), [Float](repeating: 0, count: p.count))
            let (pd, gd) = (p.data, grad.data)
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    adamUpdate(p: pd, g: gd, m: m.baseAddress.unsafelyUnwrapped, v: v.baseAddress.unsafelyUnwrapped, count: p.count,
                               stepSize: stepSize, root2: root2)
                }
            }
            moments[key] = (m, v)
        }
    }
}

/// Learning-rate schedules: the rate for a step or epoch from the base rate.
public enum LRSchedule {
    /// The base rate at every step.
    case constant
    /// `StepLR(stepSize, gamma)`: multiply by gamma every `stepSize` epochs.
    case step(stepSize: Int, gamma: Float)
    /// `ExponentialLR(gamma)`: multiply by gamma every epoch (or step).
    case exponential(gamma: Float)
    /// Any rule of the progress (epochs, possibly fractional) and the base rate.
    case custom((Double, Float) -> Float)

    /// The rate at `progress` epochs (or steps) for base rate `base`.
    public func rate(at progress: Double, base: Float) -> Float {
        switch self {
        case .constant: return base
        case .step(let size, let gamma): return base * Foundation.pow(gamma, Float(Int(progress) / Swift.max(size, 1)))
        case .exponential(let gamma): return base * Foundation.pow(gamma, Float(progress))
        case .custom(let rule): return rule(progress, base)
        }
    }
}
