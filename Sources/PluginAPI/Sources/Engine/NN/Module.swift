import Foundation
import Formats

/// A layer or model, as `torch.nn.Module`: parameters and sub-modules are found by
/// reflection over stored properties, and named as PyTorch names them (`block.conv1.weight`,
/// `running_mean`: Swift's camelCase becomes snake_case), so a state dict maps one to one.
open class Module {
    /// Whether the module is in training mode (`train()`) or evaluation mode (`eval()`).
    public private(set) var training = true

    /// A module in training mode. Subclasses keep their parameters (tensors) and sub-modules as
    /// stored properties, where reflection finds them.
    public init() {}

    /// The forward computation. Subclasses override it.
    open func forward(_ x: Tensor) -> Tensor {
        engineFailure("\(type(of: self)) does not override forward(_:)")
    }

    /// Calls `forward` (and records the call while a `ModelSummary` is being taken).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = forward(x)
        if let recorder = SummaryRecorder.current { recorder.calls.append((self, y.shape)) }
        return y
    }

    /// Property names (Swift spelling) of tensors that are buffers, not parameters: saved in
    /// the state dict but never trained (BatchNorm's running statistics).
    open var bufferNames: Set<String> { [] }

    /// The direct sub-modules with their names. Found by reflection; arrays of modules are
    /// named `name.0`, `name.1`, ...
    open func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = []
        forEachProperty { label, value in
            if let m = value as? Module { out.append((label, m)) }
            if let ms = value as? [Module] { for (i, m) in ms.enumerated() { out.append(("\(label).\(i)", m)) } }
        }
        return out
    }

    /// The module's own tensors (not its children's), split into parameters and buffers.
    func ownTensors() -> (parameters: [(String, Tensor)], buffers: [(String, Tensor)]) {
        var parameters: [(String, Tensor)] = [], buffers: [(String, Tensor)] = []
        let bufferSet = bufferNames
        forEachProperty { label, value in
            guard let t = value as? Tensor else { return }
            if bufferSet.contains(label) { buffers.append((snakeCase(label), t)) } else { parameters.append((snakeCase(label), t)) }
        }
        return (parameters, buffers)
    }

    private func forEachProperty(_ body: (String, Any) -> Void) {
        var mirror: Mirror? = Mirror(reflecting: self)
        var chain: [Mirror] = []
        while let m = mirror { chain.append(m); mirror = m.superclassMirror }
        for m in chain.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
                // Unwrap optionals such as `bias: Tensor?`.
                let value: Any
                let inner = Mirror(reflecting: child.value)
                if inner.displayStyle == .optional {
                    guard let wrapped = inner.children.first?.value else { continue }
                    value = wrapped
                } else {
                    value = child.value
                }
                body(name, value)
            }
        }
    }

    /// Every trainable parameter with its dotted PyTorch name, in declaration order.
    public func namedParameters() -> [(String, Tensor)] {
        collect(prefix: "") { $0.ownTensors().parameters }
    }

    /// Every buffer with its dotted name.
    public func namedBuffers() -> [(String, Tensor)] {
        collect(prefix: "") { $0.ownTensors().buffers }
    }

    /// The parameters alone.
    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    private func collect(prefix: String, _ pick: (Module) -> [(String, Tensor)]) -> [(String, Tensor)] {
        var out = pick(self).map { (prefix + $0.0, $0.1) }
        for (name, child) in namedChildren() { out += child.collect(prefix: prefix + name + ".", pick) }
        return out
    }

    /// Parameters and buffers by name: what `torch.save(model.state_dict())` holds.
    public func stateDict() -> [(String, Tensor)] {
        collect(prefix: "") { let own = $0.ownTensors(); return own.parameters + own.buffers }
    }

    /// Copies values into this module's tensors by name. Every tensor must be present with the
    /// right shape (with `strict: false`, missing ones keep their values, as PyTorch's
    /// `strict=False`); the error names the first that is not.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws {
        let own = stateDict()
        if let unknown = state.keys.sorted().first(where: { key in !own.contains { $0.0 == key } }) {
            throw PluginError.invalidInput("the model has no tensor '\(unknown)'", hint: "its state dict names are " + own.map(\.0).joined(separator: ", "))
        }
        for (name, tensor) in own {
            guard let source = state[name] else {
                // States saved before BatchNorm counted its batches lack the count: it keeps its value.
                if !strict || Self.isBatchCount(name) { continue }
                throw PluginError.invalidInput("the state has no tensor '\(name)'", hint: "it needs every name of the model's state dict: " + stateDict().map(\.0).joined(separator: ", "))
            }
            guard source.shape == tensor.shape else {
                throw PluginError.invalidInput("tensor '\(name)' has shape \(source.shape), the model needs \(tensor.shape)", hint: "the state must come from the same architecture")
            }
            tensor.copy_(source)
        }
    }

    /// Whether `name` is a BatchNorm's batch count, which older saved states lack.
    static func isBatchCount(_ name: String) -> Bool { name == "num_batches_tracked" || name.hasSuffix(".num_batches_tracked") }

    /// Writes the state dict as one `.npy` file per tensor (`<name>.npy`) into `folder`.
    public func save(to folder: String) throws {
        for (name, tensor) in stateDict() {
            try NPY.write(NPYArray(shape: tensor.shape, floats: tensor.values), to: (folder as NSString).appendingPathComponent(name + ".npy"))
        }
    }

    /// Reads a state dict written by `save(to:)` (or by NumPy from a PyTorch state dict).
    /// With `parametersOnly`, buffers (BatchNorm's running statistics) are read when present
    /// and otherwise keep their values: initial weights exported from PyTorch need only the
    /// parameters. The error names the first missing or mis-shaped tensor.
    public func load(from folder: String, parametersOnly: Bool = false) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PluginError.invalidInput("\(folder) is not a folder", hint: "give a folder with one <name>.npy per tensor, such as conv1.weight.npy")
        }
        let buffers = Set(namedBuffers().map(\.0))
        var state: [String: Tensor] = [:]
        for (name, _) in stateDict() {
            let path = (folder as NSString).appendingPathComponent(name + ".npy")
            guard FileManager.default.fileExists(atPath: path) else {
                if (parametersOnly && buffers.contains(name)) || Self.isBatchCount(name) { continue }
                throw PluginError.invalidInput("\(path) is missing", hint: "the folder needs one <name>.npy per \(parametersOnly ? "parameter" : "tensor") of the model: "
                                               + (parametersOnly ? namedParameters() : stateDict()).map(\.0).joined(separator: ", "))
            }
            let array = try NPY.read(path)
            state[name] = Tensor(try array.float32Values(source: path), shape: array.shape)
        }
        try loadStateDict(state, strict: !parametersOnly)
    }

    /// Switches this module and its children to training mode.
    public func train(_ on: Bool = true) {
        training = on
        for (_, child) in namedChildren() { child.train(on) }
    }

    /// Switches to evaluation mode (`model.eval()`).
    public func eval() { train(false) }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }

    /// Total number of trainable values.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }
}

/// `runningMean` -> `running_mean`.
func snakeCase(_ name: String) -> String {
    var out = ""
    for ch in name {
        if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
    }
    return out
}
