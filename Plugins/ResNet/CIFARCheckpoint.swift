import Foundation
import PluginAPI

/// The checkpoint of a `cifar-resnet18` run, rewritten after every epoch: `checkpoint/` holds
/// one `.npy` per state-dict tensor (PyTorch names), `momentum/<index>.npy` per SGD buffer,
/// `state.json` (architecture, scheme, epochs done, step, history) and `complete.json`. Each
/// epoch's copy replaces the last as `CheckpointFolders` does it, so a crash at any instant
/// leaves a complete one (`checkpoint/`, or during the swap `checkpoint.previous/` or
/// `checkpoint.partial/`), and `locate` finds it.
enum CIFARCheckpoint {
    static let folder = "checkpoint"

    static func save(_ model: Module, optimizer: SGD, state: CIFARTraining.State, context: RunContext,
                     after: (CheckpointFolders.Step) throws -> Void = { _ in }) throws {
        try CheckpointFolders(parent: context.artifacts.folder, name: folder).replace(epochs: state.completedEpochs, write: { staging in
            try model.save(to: staging)
            for (index, buffer) in optimizer.momentumBuffers.enumerated() {
                guard let buffer else { continue }
                try NPY.write(NPYArray(shape: [buffer.count], floats: buffer), to: staging + "/momentum/\(index).npy")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(state), to: staging + "/state.json")
        }, after: after)
        context.artifacts.record(folder + "/")
    }

    /// A checkpoint found for `--resume` or `--checkpoint`: its folder and, when it is not the
    /// installed `checkpoint/`, why this copy was taken.
    struct Located {
        var path: String
        var note: String?
    }

    /// The complete checkpoint that `path` names: a run folder or its `checkpoint/` (the
    /// newest complete copy among `checkpoint/`, `checkpoint.previous/`, `checkpoint.partial/`),
    /// or any folder holding a complete copy (or, from before `complete.json`, a `state.json`).
    static func locate(_ path: String) throws -> Located {
        let hint = "give the run folder of a `host run ResNet cifar-resnet18` run, or its checkpoint/ folder"
        let names = [folder, folder + ".previous", folder + ".partial"]
        let last = (path as NSString).lastPathComponent
        let parent = names.contains(last) ? (path as NSString).deletingLastPathComponent : path
        let copies = CheckpointFolders(parent: parent.isEmpty ? "." : parent, name: folder)
        if !names.contains(last), CheckpointFolders.completedEpochs(path) != nil || isLegacy(path) {
            return Located(path: path, note: nil)
        }
        if let (found, epochs) = copies.latest() {
            let note = found == copies.current ? nil
                : "\(copies.current) is missing or incomplete (the run stopped while replacing it); using the complete copy \(found) (after epoch \(epochs))"
            return Located(path: found, note: note)
        }
        if isLegacy(copies.current) { return Located(path: copies.current, note: nil) }
        if FileManager.default.fileExists(atPath: copies.current) || FileManager.default.fileExists(atPath: copies.previous)
            || FileManager.default.fileExists(atPath: copies.staging) {
            throw PluginError.invalidInput("\(parent) holds no complete checkpoint (\(names.joined(separator: "/, "))/ are all missing or incomplete)", hint: hint)
        }
        throw PluginError.invalidInput("\(path) holds no checkpoint (no \(folder)/state.json)", hint: hint)
    }

    /// A checkpoint written before `complete.json` existed: state.json and no marker.
    static func isLegacy(_ path: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: path + "/state.json") && !fm.fileExists(atPath: (path as NSString).appendingPathComponent(CheckpointFolders.marker))
    }

    static func readState(_ path: String) throws -> CIFARTraining.State {
        let file = (path as NSString).appendingPathComponent("state.json")
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

    /// The network of the checkpoint folder `path` (as `locate` gives it), with its weights, and the state.
    static func loadModel(_ path: String) throws -> (Module, CIFARTraining.State) {
        let state = try readState(path)
        guard let architecture = ResNet18.Architecture(rawValue: state.architecture) else {
            throw PluginError.invalidInput("the checkpoint's architecture '\(state.architecture)' is unknown", hint: "architectures: course, standard")
        }
        var generator = SeededGenerator(seed: 0)
        let model = ResNet18.make(architecture, generator: &generator)
        try model.load(from: path)
        return (model, state)
    }

    /// Restores the SGD momentum buffers saved beside the weights.
    static func loadMomentum(_ path: String, into optimizer: SGD) throws {
        let folder = path + "/momentum"
        let buffers = try optimizer.parameters.indices.map { index -> [Float]? in
            let file = folder + "/\(index).npy"
            return FileManager.default.fileExists(atPath: file) ? try NPY.read(file).float32Values(source: file) : nil
        }
        try optimizer.loadMomentumBuffers(buffers)
    }
}
