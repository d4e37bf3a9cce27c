import Foundation
import Formats

/// The record of one operation for the backward pass: its inputs and how to turn the gradient
/// of its output into gradients of each input.
final class GradNode {
    let name: String
    let inputs: [Tensor]
    let backward: (Tensor) -> [Tensor?]

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations are recorded for autograd on this thread (PyTorch's grad mode).
public enum GradMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True unless inside `noGrad`. Per thread, so parallel runs do not disturb each other.
    public static var isEnabled: Bool { pthread_getspecific(key) == nil }

    static func set(enabled: Bool) { pthread_setspecific(key, enabled ? nil : UnsafeRawPointer(bitPattern: 1)) }
}

/// Where `backward()` on this thread puts the gradients of leaves: into each leaf's `grad`
/// (none set), or into a `GradientSink` that `DataParallel` sums afterwards, so that
/// backward passes on several threads at once never write the same `grad`.
final class GradientSink {
    /// The leaves in the order their gradients first arrived, and those gradients.
    private(set) var leaves: [Tensor] = []
    private(set) var gradients: [ObjectIdentifier: Tensor] = [:]

    func accumulate(_ gradient: Tensor, into leaf: Tensor) {
        let key = ObjectIdentifier(leaf)
        if let existing = gradients[key] { existing.addInPlace(gradient) } else { gradients[key] = gradient.copy(); leaves.append(leaf) }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Adds each leaf's gradient collected here into its `grad`, in the order they arrived;
    /// a leaf without one takes the sink's tensor itself (nothing else holds it).
    func addIntoLeaves() {
        for leaf in leaves {
            guard let gradient = gradients[ObjectIdentifier(leaf)] else { continue }
            leaf.accumulateGradient(gradient, owned: true)
        }
    }

    /// The sink of this thread, if any.
    static var current: GradientSink? {
        pthread_getspecific(key).map { Unmanaged<GradientSink>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with the leaves' gradients of this thread going to `self`.
    func collecting<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.key, previous) }
        return try withExtendedLifetime(self) { try body() }
    }
}

/// Runs `body` without recording operations (`with torch.no_grad():`).
public func noGrad<T>(_ body: () throws -> T) rethrows -> T {
    let was = GradMode.isEnabled
    GradMode.set(enabled: false)
    defer { GradMode.set(enabled: was) }
    return try body()
}

extension Tensor {
    /// Marks `out` as produced from `inputs` when any of them needs a gradient.
    @discardableResult
    func recorded(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        StepRecorder.current?.noteOperation(name)
        if GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) {
            node = GradNode(name: name, inputs: inputs, backward: backward)
            requiresGrad = true
        }
        return self
    }

    /// Like `recorded`, for derivatives written in terms of the output: the closure gets a
    /// detached alias of it (same storage, no node), so the graph holds no reference cycle
    /// output -> node -> closure -> output that would keep it alive forever.
    @discardableResult
    func recorded(_ name: String, _ inputs: [Tensor], savingOutput backward: @escaping (_ grad: Tensor, _ output: Tensor) -> [Tensor?]) -> Tensor {
        let saved = detach()
        return recorded(name, inputs) { g in backward(g, saved) }
    }

    /// Back-propagates from this tensor: adds d(self)/d(leaf), weighted by `gradient` (ones
    /// for a scalar), into the `grad` of every leaf that requires it.
    public func backward(_ gradient: Tensor? = nil) {
        engineCheck(gradient != nil || count == 1, "backward() without a gradient needs a one-element tensor; this one has shape \(shape)")
        // Topological order by iterative depth-first search over recorded nodes.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): gradient ?? Tensor.full(shape, 1)]
        let sink = GradientSink.current
        noGrad {
            for tensor in order.reversed() {
                guard var g = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                guard let node = tensor.node else {
                    if let sink {
                        sink.accumulate(g, into: tensor)
                    } else {
                        // A gradient no other tensor or closure holds becomes `grad` itself.
                        let owned = isKnownUniquelyReferenced(&g) && !g.storage.isShared
                        tensor.accumulateGradient(g, owned: owned)
                    }
                    continue
                }
                let inputGrads = node.backward(g)
                StepRecorder.current?.noteOperation(node.name, backward: true)
                for (input, inputGrad) in zip(node.inputs, inputGrads) where input.requiresGrad {
                    guard let inputGrad else { continue }
                    engineCheck(inputGrad.shape == input.shape, "\(node.name) backward gave shape \(inputGrad.shape) for an input of shape \(input.shape)")
                    let key = ObjectIdentifier(input)
                    pending[key] = pending[key].map { $0 + inputGrad } ?? inputGrad
                }
            }
        }
    }

    /// Adds `gradient` into `grad`, or makes `grad` of it when there is none: the tensor itself
    /// when the caller owns it (`owned`), else a copy.
    func accumulateGradient(_ gradient: Tensor, owned: Bool) {
        if let existing = grad { existing.addInPlace(gradient) } else { grad = owned ? gradient : gradient.copy() }
    }

    /// Adds `other` into this tensor's values (no autograd).
    func addInPlace(_ other: Tensor) {
        engineCheck(other.count == count, "gradient accumulation: \(other.shape) into \(shape)")
        capturedKernel("add_") { [storage, count] in
            let (d, o) = (storage.base, other.storage.base)
            for i in 0..<count { d[i] += o[i] }
        }
    }
}
