import Foundation
import Formats
import KernelSupport

/// A training step (forward, loss, backward, optimizer update) run through the engine once
/// per input shape and then replayed: the recorded kernels run again on the same buffers,
/// with no tensor allocated and no graph built (as `torch.compile` or a CUDA graph, for the
/// CPU). Each call is, in effect:
///
/// ```swift
/// optimizer.zeroGrad()
/// let value = loss(inputs)            // parts > 1: per part of the batch, as DataParallel
/// value.backward()
/// if value.item.isFinite { optimizer.step() }
/// ```
///
/// and gives the same numbers bit for bit. Use it like the loop it replaces:
///
/// ```swift
/// let step = StepCapture(optimizer, parts: 2) { batch in
///     hingeLoss(network(batch[0]).reshape([batch[1].count]), batch[1])
/// }
/// for _ in 0..<iters {
///     data.sample(into: x, labels: y)
///     let loss = step(x, y)
/// }
/// ```
///
/// The closure must compute the loss from its inputs, the optimizer's parameters and `state`.
/// Any other tensor is refused (its values would be frozen); Swift values the closure uses
/// (numbers, a module's training flag) are fixed at capture, as a CUDA graph fixes them, so
/// keep them constant or out of the closure. New input shapes get their own capture (up to
/// `maxCaptures`); a step that reads values on the host (`item`), or uses an operation that
/// cannot be captured yet, runs eagerly every time, with the same results; `description` says
/// which and why.
public final class StepCapture: CustomStringConvertible {
    /// Input shapes remembered at most (captured, or refused with a reason); calls with further
    /// shapes run eagerly and are only counted.
    public static let maxCaptures = 8

    /// Parts of the batch (the inputs' first dimension) whose passes run on the worker pool's
    /// threads at once, as `DataParallel.backward`; 1 runs the whole batch as one pass. As
    /// there, more than one part needs a loss that is a mean over rows computed row by row (no
    /// batch normalisation, whose statistics and running buffers the parts would share).
    public let parts: Int
    private let optimizer: Optimizer
    private let state: [Tensor]
    private let loss: ([Tensor]) -> Tensor
    private var plans: [[[Int]]: CapturedPlan] = [:]
    private var eagerReasons: [[[Int]]: String] = [:]
    /// Calls whose shapes came after `maxCaptures` others (eager, and not remembered one by one).
    private var pastTheLimit = 0
    /// Calls that replayed a capture, and calls that ran eagerly (captures included).
    public private(set) var replayed = 0, eager = 0

    /// A step of `optimizer` on the mean loss `loss(inputs)`, split into `parts` of the batch.
    /// `state` names the other tensors the step may read and update in place: a model's buffers
    /// (BatchNorm's running statistics: `model.namedBuffers().map(\.1)`), frozen parameters.
    public init(_ optimizer: Optimizer, parts: Int = 1, state: [Tensor] = [], loss: @escaping (_ inputs: [Tensor]) -> Tensor) {
        engineCheck(parts >= 1, "StepCapture needs at least one part, got \(parts)")
        self.optimizer = optimizer
        self.state = state
        self.parts = parts
        self.loss = loss
    }

    /// Runs one step on `inputs` and returns the batch's mean loss; the optimizer steps only
    /// when it is finite.
    @discardableResult
    public func callAsFunction(_ inputs: Tensor...) -> Double { step(inputs) }

    /// `callAsFunction` with the inputs as an array.
    @discardableResult
    public func step(_ inputs: [Tensor]) -> Double {
        let shapes = inputs.map(\.shape)
        let value: Double
        if let plan = plans[shapes] {
            value = plan.replay(inputs, optimizer: optimizer)
            replayed += 1
        } else if eagerReasons[shapes] != nil {
            value = eagerStep(inputs)
            eager += 1
        } else {
            value = capture(inputs, shapes: shapes)
            eager += 1
        }
        if value.isFinite { optimizer.step() }
        return value
    }

    /// How each input shape seen so far runs: replayed (kernels, parts, the tensor memory its
    /// capture allocated, which the replays reuse) or eager (and why).
    public var description: String {
        let captured = plans.sorted { "\($0.key)" < "\($1.key)" }.map { "\($0.key): \($0.value.summary)" }
        let refused = eagerReasons.sorted { "\($0.key)" < "\($1.key)" }.map { "\($0.key): eager, \($0.value)" }
        let beyond = pastTheLimit == 0 ? [] : ["\(pastTheLimit) call\(pastTheLimit == 1 ? "" : "s") with further shapes: eager, more than \(Self.maxCaptures) input shapes"]
        return (captured + refused + beyond).joined(separator: "\n")
    }

    // MARK: eager steps

    /// The batch size of `inputs` (their common first dimension), checked when there are parts.
    private func batchSize(_ inputs: [Tensor]) -> Int {
        guard parts > 1 else { return 1 }
        let batch = inputs.first?.shape.first ?? 0
        engineCheck(batch > 0 && inputs.allSatisfy { $0.rank > 0 && $0.shape[0] == batch },
                    "StepCapture with \(parts) parts splits its inputs' first dimension, which must be the same and non-zero; got shapes \(inputs.map(\.shape))")
        return batch
    }

    private func eagerStep(_ inputs: [Tensor]) -> Double {
        optimizer.zeroGrad()
        if parts > 1 {
            return DataParallel.backward(batch: batchSize(inputs), parts: parts) { rows in loss(inputs.map { $0.rows(rows) }) }
        }
        let value = loss(inputs)
        engineCheck(value.count == 1, "StepCapture: the loss has shape \(value.shape), not one value")
        value.backward()
        return Double(value.item)
    }

    // MARK: capture

    /// Runs the step eagerly while recording it; keeps the recording when it can be replayed.
    private func capture(_ inputs: [Tensor], shapes: [[Int]]) -> Double {
        if plans.count + eagerReasons.count >= Self.maxCaptures {
            pastTheLimit += 1
            return eagerStep(inputs)
        }
        if inputs.contains(where: { $0.requiresGrad }) { return refuse(shapes, "an input requires a gradient", inputs) }
        let batch = batchSize(inputs)
        let rows = parts > 1 ? DataParallel.partRows(batch: batch, parts: parts) : [0..<1]
        let partInputs = rows.map { r in inputs.map { parts > 1 ? $0.rows(r) : $0.copy() } }
        let weights = rows.map { parts > 1 ? Float($0.count) / Float(batch) : 1 }
        optimizer.zeroGrad()
        let recorder = StepRecorder()
        let sinks = parts > 1 ? rows.map { _ in GradientSink() } : []
        var tapes: [[StepRecorder.Instruction]] = [], losses: [Tensor] = []
        recorder.recording {
            for (part, input) in partInputs.enumerated() {
                func pass() {
                    let value = loss(input)
                    engineCheck(value.count == 1, "StepCapture: the loss has shape \(value.shape), not one value")
                    value.backward(parts > 1 ? Tensor(scalar: weights[part]).reshape(value.shape) : nil)
                    losses.append(value.detach())
                }
                if parts > 1 { sinks[part].collecting(pass) } else { pass() }
                tapes.append(recorder.takeInstructions())
            }
            for sink in sinks { sink.addIntoLeaves() }   // DataParallel's sum of the parts' gradients, in part order
            recorder.finish()
        }
        let value = meanLoss(losses, weights)
        if let reason = recorder.refusal ?? foreignTensor(recorder, inputs: partInputs.flatMap { $0 }) {
            return refuse(shapes, reason, nil, value: value)
        }
        plans[shapes] = CapturedPlan(rows: parts > 1 ? rows : nil, inputs: partInputs, tapes: tapes, combine: recorder.takeInstructions(),
                                     losses: losses, weights: weights, gradients: optimizer.parameters.map { $0.storedGrad },
                                     bufferBytes: recorder.made.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.stride })
        return value
    }

    /// A storage the step touched that is neither made by it, nor an input, nor a parameter.
    private func foreignTensor(_ recorder: StepRecorder, inputs: [Tensor]) -> String? {
        var known = Set(recorder.made.keys)
        for tensor in inputs + optimizer.parameters + state { known.insert(ObjectIdentifier(tensor.storage)) }
        guard let foreign = recorder.touched.first(where: { !known.contains($0.key) })?.value else { return nil }
        return "the step reads a tensor of \(foreign.count) values that is neither an input, nor a parameter of the optimizer, nor in `state`; pass it as an input or name it in `state`"
    }

    /// Marks `shapes` eager for good; runs the step eagerly when `inputs` are given, or
    /// returns `value` of the step that already ran.
    private func refuse(_ shapes: [[Int]], _ reason: String, _ inputs: [Tensor]?, value: Double = .nan) -> Double {
        eagerReasons[shapes] = reason
        guard let inputs else { return value }
        return eagerStep(inputs)
    }
}

/// One captured shape: the parts' inputs (filled from the caller's tensors before each
/// replay), their recorded kernels, the kernels summing the parts' gradients, and the tensors
/// that hold the losses and the parameters' gradients afterwards. Every buffer was allocated
/// once, during the capture; a replay allocates nothing.
private final class CapturedPlan {
    let rows: [Range<Int>]?
    let inputs: [[Tensor]]
    let tapes: [[StepRecorder.Instruction]]
    let combine: [StepRecorder.Instruction]
    let losses: [Tensor]
    let weights: [Float]
    let gradients: [Tensor?]
    let bufferBytes: Int

    init(rows: [Range<Int>]?, inputs: [[Tensor]], tapes: [[StepRecorder.Instruction]], combine: [StepRecorder.Instruction],
         losses: [Tensor], weights: [Float], gradients: [Tensor?], bufferBytes: Int) {
        self.rows = rows; self.inputs = inputs; self.tapes = tapes; self.combine = combine
        self.losses = losses; self.weights = weights; self.gradients = gradients; self.bufferBytes = bufferBytes
    }

    var summary: String {
        let kernels = tapes.reduce(combine.count) { $0 + $1.count }
        return "replayed, \(kernels) kernels in \(tapes.count) part\(tapes.count == 1 ? "" : "s"), \((bufferBytes + 1023) / 1024) KB allocated by the capture"
    }

    /// Copies `batch` into the parts' inputs, runs the kernels, gives each parameter its
    /// gradient, and returns the batch's mean loss.
    func replay(_ batch: [Tensor], optimizer: Optimizer) -> Double {
        for (part, partInputs) in inputs.enumerated() {
            for (source, target) in zip(batch, partInputs) {
                let offset = rows.map { $0[part].lowerBound * (source.count / source.shape[0]) } ?? 0
                target.data.update(from: source.data + offset, count: target.count)
            }
        }
        if tapes.count == 1 {
            for instruction in tapes[0] { instruction.run() }
        } else {
            WorkerPool.shared.parallelRanges(tapes.count, grain: 1) { parts in
                for part in parts { for instruction in tapes[part] { instruction.run() } }
            }
        }
        for instruction in combine { instruction.run() }
        for (parameter, gradient) in zip(optimizer.parameters, gradients) { parameter.grad = gradient }
        return meanLoss(losses, weights)
    }
}

/// The batch's mean loss from the parts' mean losses and their shares of the batch, summed in
/// part order as `DataParallel.backward` sums them.
private func meanLoss(_ losses: [Tensor], _ weights: [Float]) -> Double {
    zip(losses, weights).reduce(0.0) { $0 + Double($1.0.item) * Double($1.1) }
}
