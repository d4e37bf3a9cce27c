import Foundation
import Formats

/// A model's layer table, as `torchsummary` prints it: every leaf layer in the order the
/// forward pass calls it, with its output shape and parameter count, and the totals.
public struct ModelSummary: Sendable {
    /// One layer call.
    public struct Row: Sendable {
        /// The dotted PyTorch name (`block.conv1`), or the type for an unnamed module.
        public var name: String
        /// The module's type (`Conv2d`).
        public var type: String
        /// The output shape, batch first.
        public var outputShape: [Int]
        /// Parameters of this layer itself (0 when it is called again after its first call).
        public var parameters: Int
    }

    /// The shape of the input the model was run on, batch first.
    public var inputShape: [Int]
    /// The leaf layers' calls, in the order of the forward pass (a layer called twice has two rows).
    public var rows: [Row]
    /// All parameters of the model (each counted once).
    public var totalParameters: Int

    /// Runs `model` on `input` without gradients and records each leaf layer's output.
    public static func of(_ model: Module, input: Tensor) -> ModelSummary {
        var names: [ObjectIdentifier: String] = [:]
        func walk(_ module: Module, _ prefix: String) {
            for (name, child) in module.namedChildren() {
                let full = prefix.isEmpty ? name : prefix + "." + name
                names[ObjectIdentifier(child)] = full
                walk(child, full)
            }
        }
        walk(model, "")
        let recorder = SummaryRecorder()
        SummaryRecorder.current = recorder
        defer { SummaryRecorder.current = nil }
        _ = noGrad { model(input) }
        var counted = Set<ObjectIdentifier>()
        let rows = recorder.calls.compactMap { module, shape -> Row? in
            guard module.namedChildren().isEmpty else { return nil }
            let id = ObjectIdentifier(module)
            let first = counted.insert(id).inserted
            let parameters = first ? module.namedParameters().reduce(0) { $0 + $1.1.count } : 0
            return Row(name: names[id] ?? "\(type(of: module))", type: "\(type(of: module))", outputShape: shape, parameters: parameters)
        }
        return ModelSummary(inputShape: input.shape, rows: rows,
                            totalParameters: model.namedParameters().reduce(0) { $0 + $1.1.count })
    }

    /// The table as aligned text: layer, type, output shape, parameters; then the totals.
    public func text() -> String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        let header = ["layer", "type", "output shape", "parameters"]
        let body = [["input", "", shape(inputShape), ""]] + rows.map { [$0.name, $0.type, shape($0.outputShape), String($0.parameters)] }
        let rows = TextTable.aligned([header] + body, rightAligned: [3]).components(separatedBy: "\n")
        let rule = String(repeating: "-", count: rows.first?.count ?? 0)
        return ([rows[0], rule] + rows.dropFirst() + [rule, "total parameters: \(totalParameters)"]).joined(separator: "\n")
    }
}

/// Collects (module, output shape) for each module call on this thread while a summary runs.
final class SummaryRecorder {
    var calls: [(Module, [Int])] = []

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The recorder of this thread, if a summary is running on it.
    static var current: SummaryRecorder? {
        get { pthread_getspecific(key).map { Unmanaged<SummaryRecorder>.fromOpaque($0).takeUnretainedValue() } }
        set {
            if let old = pthread_getspecific(key) { Unmanaged<SummaryRecorder>.fromOpaque(old).release() }
            pthread_setspecific(key, newValue.map { UnsafeRawPointer(Unmanaged.passRetained($0).toOpaque()) })
        }
    }
}
