import Foundation
import PluginAPI

/// The checkpoint of a `cifar-resnet18` run, rewritten after every epoch: `checkpoint/` holds
/// one `.npy` per state-dict tensor (PyTorch names), `momentum/<index>.npy` per SGD buffer, and
/// `state.json` (architecture, scheme, epochs done, step, history). Each epoch's checkpoint
/// is written beside the last and swapped in by renaming, so an interrupted write never
/// leaves a broken one.
enum CIFARCheckpoint {
    static let folder = "checkpoint"

    static func save(_ model: Module, optimizer: SGD, state: CIFARTraining.State, context: RunContext) throws {
        let fm = FileManager.default
        let target = context.artifacts.path(folder), staging = target + ".partial"
        try? fm.removeItem(atPath: staging)
        try fm.createDirectory(atPath: staging + "/momentum", withIntermediateDirectories: true)
        try model.save(to: staging)
        for (index, buffer) in optimizer.momentumBuffers.enumerated() {
            guard let buffer else { continue }
            try NPY.write(NPYArray(shape: [buffer.count], floats: buffer), to: staging + "/momentum/\(index).npy")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: staging + "/state.json"))
        if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
        try fm.moveItem(atPath: staging, toPath: target)
    }

    /// The checkpoint folder `path` names: the folder itself, or a run folder holding one.
    static func resolve(_ path: String) -> String {
        let inner = (path as NSString).appendingPathComponent(folder)
        return FileManager.default.fileExists(atPath: inner + "/state.json") ? inner : path
    }

    static func readState(_ path: String) throws -> CIFARTraining.State {
        let file = (resolve(path) as NSString).appendingPathComponent("state.json")
        let hint = "give the checkpoint folder of a `host run ResNet cifar-resnet18` run (runs/ResNet-cifar-resnet18-.../checkpoint)"
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw PluginError.invalidInput("\(file) is missing", hint: hint)
        }
        do {
            return try JSONDecoder().decode(CIFARTraining.State.self, from: bytes)
        } catch {
            throw PluginError.invalidInput("\(file) is not a cifar-resnet18 state (\(error))", hint: hint)
        }
    }

    /// The network of the checkpoint at `path`, with its weights, and the state.
    static func loadModel(_ path: String) throws -> (Module, CIFARTraining.State) {
        let state = try readState(path)
        guard let architecture = ResNet18.Architecture(rawValue: state.architecture) else {
            throw PluginError.invalidInput("the checkpoint's architecture '\(state.architecture)' is unknown", hint: "architectures: course, standard")
        }
        var generator = SeededGenerator(seed: 0)
        let model = ResNet18.make(architecture, generator: &generator)
        try model.load(from: resolve(path))
        return (model, state)
    }

    /// Restores the SGD momentum buffers saved beside the weights.
    static func loadMomentum(_ path: String, into optimizer: SGD) throws {
        let folder = resolve(path) + "/momentum"
        let buffers = try optimizer.parameters.indices.map { index -> [Float]? in
            let file = folder + "/\(index).npy"
            return FileManager.default.fileExists(atPath: file) ? try NPY.read(file).floats : nil
        }
        try optimizer.loadMomentumBuffers(buffers)
    }
}
