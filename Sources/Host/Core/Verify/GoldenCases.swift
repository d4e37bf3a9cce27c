import Foundation
import PluginAPI

/// Runs PyTorch golden cases (a folder with `cases.json` and `.npy` files, the format of
/// `Tests/Fixtures/golden/README.md`) through the engine and compares every output and
/// gradient. Used by the tests and by `host verify-ops DIR`.
public enum GoldenCases {
    /// The comparison of one array.
    public struct Comparison {
        public var key: String
        public var maxAbsError: Float
        public var maxRelError: Float
        public var passed: Bool
        /// The worst few mismatches: index, ours, PyTorch's.
        public var worst: [(Int, Float, Float)]
    }

    /// The outcome of one case.
    public struct CaseResult {
        public var name: String
        public var op: String
        public var comparisons: [Comparison]
        /// Set when the case could not be run (unknown op, missing file, bad params).
        public var error: String?
        /// Set when the case was not run here, and why (a model only a plugin builds).
        public var skipped: String? = nil
        public var passed: Bool { error == nil && skipped == nil && !comparisons.isEmpty && comparisons.allSatisfy(\.passed) }
        public var maxAbsError: Float { comparisons.map(\.maxAbsError).max() ?? .nan }
        public var maxRelError: Float { comparisons.map(\.maxRelError).max() ?? .nan }
    }

    /// Tolerances: |ours - theirs| <= atol + rtol |theirs|. Forward values of float32
    /// PyTorch meet ~1e-5 relative against float64; gradients ~1e-4 (golden README).
    public static let forward = (atol: Float(1e-5), rtol: Float(1e-4))
    public static let gradient = (atol: Float(1e-4), rtol: Float(1e-3))

    /// Builds the network a `model` case names, from the case (its params and inputs), with
    /// freshly initialised parameters that the case then replaces.
    public typealias ModelBuilder = (GoldenCase) throws -> Module

    /// The plugin that defines each network the golden cases name, for the skip message.
    public static let modelOwners = ["hw3_resnet": "ResNet"]

    /// Runs every case in `folder`. `model` cases run when `models` builds the network they
    /// name (the networks live in their plugins: ResNet's tests pass the hw3 ResNet), and are
    /// skipped otherwise. Throws only when `cases.json` itself cannot be read.
    public static func run(folder: String, models: [String: ModelBuilder] = [:]) throws -> [CaseResult] {
        let path = (folder as NSString).appendingPathComponent("cases.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.invalidInput("cannot read \(path)", hint: "give a folder holding cases.json and its .npy files")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let cases = root["cases"] as? [[String: Any]] else {
            throw PluginError.invalidInput("\(path) is not a golden case file: no \"cases\" list", hint: "see the golden README for the format")
        }
        return cases.enumerated().map { index, json in
            let name = json["name"] as? String ?? "case \(index)"
            let op = json["op"] as? String ?? "?"
            do {
                let golden = try GoldenCase(json: json, folder: folder, name: name)
                if op == "model", let model = golden.params["model"] as? String, models[model] == nil {
                    let owner = modelOwners[model].map { "the \($0) plugin's tests (\($0)Tests) check it" } ?? "no builder was given"
                    return CaseResult(name: name, op: op, comparisons: [], skipped: "the network '\(model)' lives in its plugin: \(owner)")
                }
                return CaseResult(name: name, op: op, comparisons: try GoldenOps.evaluate(golden, models: models))
            } catch let error as PluginError {
                return CaseResult(name: name, op: op, comparisons: [], error: error.message)
            } catch {
                return CaseResult(name: name, op: op, comparisons: [], error: "\(error)")
            }
        }
    }

    /// Compares `ours` against `theirs` elementwise.
    public static func compare(_ key: String, _ ours: Tensor, _ theirs: Tensor, tolerance: (atol: Float, rtol: Float)) -> Comparison {
        guard ours.count == theirs.count else {
            return Comparison(key: key + " (shape \(ours.shape) vs \(theirs.shape))", maxAbsError: .infinity, maxRelError: .infinity, passed: false, worst: [])
        }
        var maxAbs: Float = 0, maxRel: Float = 0, passed = true
        var errors: [(Int, Float, Float, Float)] = []
        for (i, (a, b)) in zip(ours.values, theirs.values).enumerated() {
            let diff = Swift.abs(a - b)
            if !(diff <= tolerance.atol + tolerance.rtol * Swift.abs(b)) { passed = false; errors.append((i, a, b, diff)) }
            if diff.isNaN { maxAbs = .nan } else { maxAbs = Swift.max(maxAbs, diff) }
            if b != 0 { maxRel = Swift.max(maxRel, diff / Swift.abs(b)) }
        }
        let worst = errors.sorted { $0.3 > $1.3 }.prefix(3).map { ($0.0, $0.1, $0.2) }
        return Comparison(key: key, maxAbsError: maxAbs, maxRelError: maxRel, passed: passed, worst: Array(worst))
    }
}

/// One case read from `cases.json`: its params and its arrays loaded from `.npy`.
/// One case of `cases.json` with its arrays read.
public struct GoldenCase {
    public let name: String
    public let op: String
    public let params: [String: Any]
    public let inputs: [String: Tensor]
    public let outputs: [String: Tensor]
    public let grads: [String: Tensor]

    init(json: [String: Any], folder: String, name: String) throws {
        self.name = name
        guard let op = json["op"] as? String else { throw PluginError.invalidInput("case \(name) has no op", hint: "every case names its op") }
        self.op = op
        params = json["params"] as? [String: Any] ?? [:]
        func load(_ section: String) throws -> [String: Tensor] {
            guard let entries = json[section] as? [String: Any] else { return [:] }
            var out: [String: Tensor] = [:]
            for (key, value) in entries {
                guard let entry = value as? [String: Any], let file = entry["file"] as? String else {
                    throw PluginError.invalidInput("case \(name): \(section).\(key) has no file", hint: "entries are {\"file\": ..., \"shape\": [...]}")
                }
                let array = try NPY.read((folder as NSString).appendingPathComponent(file))
                out[key] = Tensor(array.floats, shape: array.shape)
            }
            return out
        }
        inputs = try load("inputs")
        outputs = try load("outputs")
        grads = try load("grads")
    }

    /// The input array `key`, or an error naming the case.
    public func input(_ key: String) throws -> Tensor {
        guard let t = inputs[key] else { throw PluginError.invalidInput("case \(name) has no input '\(key)'", hint: "the \(op) op needs it") }
        return t
    }

    func output(_ key: String) throws -> Tensor {
        guard let t = outputs[key] else { throw PluginError.invalidInput("case \(name) has no output '\(key)'", hint: "the \(op) op needs it") }
        return t
    }

    /// The integer param `key` (or `value` when absent), or an error naming the case.
    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        if let v = params[key] as? Int { return v }
        if let v = params[key] as? Double { return Int(v) }
        if let value { return value }
        throw PluginError.invalidInput("case \(name) lacks the param '\(key)'", hint: "the \(op) op needs it")
    }

    func double(_ key: String, default value: Double) -> Double { (params[key] as? Double) ?? (params[key] as? Int).map(Double.init) ?? value }
    /// The boolean param `key`, or `value` when absent.
    public func bool(_ key: String, default value: Bool) -> Bool { params[key] as? Bool ?? value }
}
