import Foundation
import Formats
import Synchronization

/// What a `StepCapture` keeps of a step it ran once: the engine's kernels in the order they
/// ran, each a closure that reads and writes the same storages again, so that replaying the
/// list redoes the step's arithmetic without building tensors or a graph.
///
/// Operations take part through `capturedKernel(_:_:)`: everything an operation computes from
/// values happens inside its kernel closure (decisions on values included, as the {0,1}-input
/// check of `linear`); outside it, an operation only allocates its output and records its
/// backward. Anything else that touches a storage's values while recording (an operation not
/// written this way, `item` or `values` read on the host) refuses the capture, and the step
/// stays eager: nothing that ran outside the list can be missing from a replay.
final class StepRecorder {
    /// One recorded kernel.
    struct Instruction {
        let name: String
        let run: () -> Void
    }

    private(set) var instructions: [Instruction] = []
    /// Why the step cannot be replayed, once something was not recorded.
    private(set) var refusal: String?
    /// Storages allocated while recording (the step's buffers), and every storage whose values
    /// a kernel touched; held here so that their identifiers stay unique.
    private(set) var made: [ObjectIdentifier: TensorStorage] = [:]
    private(set) var touched: [ObjectIdentifier: TensorStorage] = [:]
    /// Kernels running now (an operation's kernel may call another operation: one instruction).
    private var depth = 0
    /// Set by an access outside a kernel until the culprit is named.
    private var unnamedRefusal = false
    /// Kernels recorded since the last operation named itself (through `recorded`).
    private var kernelsSinceOperation = 0

    /// Takes the instructions recorded so far (one part of a step), leaving none.
    func takeInstructions() -> [Instruction] {
        defer { instructions = [] }
        return instructions
    }

    func refuse(_ reason: String) {
        if refusal == nil { refusal = reason }
    }

    /// Runs `body` and records it, unless it runs inside another kernel (which replays it).
    func kernel(_ name: String, _ body: @escaping () -> Void) {
        if depth > 0 { return body() }
        if unnamedRefusal {
            unnamedRefusal = false
            refusal = "the step reads a tensor's values on the host (item, values, a Swift loop over them) before `\(name)`"
        }
        depth += 1
        body()
        depth -= 1
        kernelsSinceOperation += 1
        instructions.append(Instruction(name: name, run: body))
    }

    /// A storage's values were reached.
    func noteAccess(_ storage: TensorStorage) {
        touched[ObjectIdentifier(storage)] = storage
        if depth == 0, refusal == nil { unnamedRefusal = true; refusal = "the step reads a tensor's values on the host" }
    }

    /// A storage was allocated; a zero-filled one outside a kernel gets its fill recorded.
    func noteAllocation(_ storage: TensorStorage, zeroed: Bool) {
        made[ObjectIdentifier(storage)] = storage
        guard zeroed, depth == 0 else { return }
        instructions.append(Instruction(name: "zeros") { storage.base.update(repeating: 0, count: storage.count) })
    }

    /// An operation recorded its autograd node (forward) or ran its backward: when values were
    /// touched since the last kernel with no kernel of its own, this operation did it.
    func noteOperation(_ name: String, backward: Bool = false) {
        if unnamedRefusal, kernelsSinceOperation == 0 {
            unnamedRefusal = false
            refusal = "`\(name)`\(backward ? "'s backward" : "") is not capturable yet"
        }
        kernelsSinceOperation = 0
    }

    /// Ends the recording: names a refusal left unnamed.
    func finish() {
        if unnamedRefusal {
            unnamedRefusal = false
            refusal = "the step reads a tensor's values on the host (item, values, a Swift loop over them)"
        }
    }

    // MARK: the recorder of this thread

    /// Threads recording now: while none is, storage accesses cost one relaxed load.
    static let recordingThreads = Atomic<Int>(0)

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The recorder of this thread, if it is recording.
    static var current: StepRecorder? {
        guard recordingThreads.load(ordering: .relaxed) != 0, let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<StepRecorder>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Runs `body` with this thread's engine operations recorded into `self`.
    func recording<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(Self.key)
        engineCheck(previous == nil, "a step capture cannot record inside another one")
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        Self.recordingThreads.add(1, ordering: .relaxed)
        defer {
            Self.recordingThreads.subtract(1, ordering: .relaxed)
            pthread_setspecific(Self.key, nil)
        }
        return try withExtendedLifetime(self) { try body() }
    }
}

/// Runs an operation's computation, recording it when a step is being captured on this
/// thread. `body` must compute everything it writes from the storages it captures (values
/// read inside it, decisions on values made inside it), so that running it again later does
/// the same work on the new values.
@inline(__always)
func capturedKernel(_ name: String, _ body: @escaping () -> Void) {
    if let recorder = StepRecorder.current { recorder.kernel(name, body) } else { body() }
}
