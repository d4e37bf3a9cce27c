import Foundation
import PluginAPI

/// Experiment `exact` (problem 3a): checks that the hand-built network computes parity exactly.
public enum ExactExperiment {
    static let exhaustiveLimit = 10

    public static let declaration = Experiment(
        name: "exact",
        summary: "Check that the hand-set ReLU network of problem 3a gives f(x) = (-1)^(v*.x) exactly",
        settings: Settings.self,
        metrics: [
            MetricSpec("pairs_checked", help: "(v*, x) pairs whose network output was computed"),
            MetricSpec("mismatches", goal: .lowerIsBetter, help: "pairs with f(x) != y"),
            MetricSpec("max_abs_error", goal: .lowerIsBetter, help: "largest |f(x) - y| over the pairs checked"),
            MetricSpec("failing_pairs_all", goal: .lowerIsBetter,
                       help: "pairs of all 4^d with f != y, counted exactly through s = v*.x (f depends on x only through s)"),
        ],
        train: run,
        evaluate: evaluate)

    /// One pair where the network is wrong.
    /// The experiment's options.
    public struct Settings: ExperimentSettings {
        public var d = 30, samples = 10_000, masks = 100
        public var corrected = false
        public init() {}
        public static let fields: [SettingField<Settings>] = [
            .int("d", \.d, range: 1...64, help: "input dimension; d <= \(exhaustiveLimit) checks every (v*, x) pair"),
            .int("samples", \.samples, range: 1...10_000_000, help: "random inputs per mask when d > \(exhaustiveLimit)"),
            .int("masks", \.masks, range: 1...100_000, help: "random masks v* when d > \(exhaustiveLimit) (all-ones and all-zeros are always added)"),
            .flag("corrected", \.corrected, help: "apply the smallest correction (w_i = v* on every unit a bump uses) instead of the construction as stated"),
        ]
    }

    public struct Mismatch {
        public var mask: [Float], input: [Float], output: Float, label: Float
        public var s: Int { zip(mask, input).reduce(0) { $0 + Int($1.0 * $1.1) } }
    }

    /// Counts and the first mismatches of a check.
    public struct Tally {
        public var pairs = 0, mismatches = 0, maxError: Float = 0
        public var examples: [Mismatch] = []

        public init() {}

        public mutating func merge(_ other: Tally) {
            pairs += other.pairs; mismatches += other.mismatches; maxError = max(maxError, other.maxError)
            examples += other.examples.prefix(max(0, 20 - examples.count))
        }
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (d, corrected) = (settings.d, settings.corrected)
        let exhaustive = d <= exhaustiveLimit
        var rng = SeededGenerator(seed: context.seed)
        let masks: [[Float]]
        let inputs: [[Float]]
        if exhaustive {
            masks = (0..<(1 << d)).map { bits(of: $0, d: d) }
            inputs = masks
            context.log("exact: d = \(d), checking all \(masks.count) x \(inputs.count) (v*, x) pairs")
        } else {
            let (m, n) = (settings.masks, settings.samples)
            masks = extremes(d) + (0..<m).map { _ in randomBits(d, &rng) }
            inputs = extremes(d) + (0..<n).map { _ in randomBits(d, &rng) }
            context.log("exact: d = \(d), checking \(masks.count) masks (\(m) random, all-ones, all-zeros) x \(inputs.count) inputs (\(n) random, all-ones, all-zeros)")
        }
        let flatInputs = inputs.flatMap { $0 }
        context.progress.begin("exact d=\(d)", total: masks.count, unit: "masks")
        var tallies = [Tally](repeating: Tally(), count: masks.count)
        let lock = NSLock()
        var done = 0, failing = 0
        WorkerPool.shared.parallelFor(masks.count) { index in
            if context.isCancelled { return }
            let network = ParityNetwork.handBuilt(mask: masks[index], corrected: corrected)
            let tally = check(network, mask: masks[index], inputs: flatInputs, count: inputs.count)
            lock.lock(); tallies[index] = tally; done += 1; failing += tally.mismatches
            let (now, failingNow) = (done, failing); lock.unlock()
            context.progress.update(completed: now, values: [("mismatches", Double(failingNow))])
        }
        var total = Tally()
        for tally in tallies { total.merge(tally) }
        try report(total, d: d, corrected: corrected, context: context)
        let allOnes = ParityNetwork.handBuilt(mask: [Float](repeating: 1, count: d), corrected: corrected)
        try saveCheckpoint(allOnes, mask: [Float](repeating: 1, count: d), to: "network", context: context)
    }

    /// Evaluates the network for `mask` on every input row.
    public static func check(_ network: ParityNetwork, mask: [Float], inputs: [Float], count: Int) -> Tally {
        let outputs = network.forward(inputs, count: count)
        var tally = Tally()
        let d = mask.count
        for row in 0..<count {
            var s = 0
            for j in 0..<d where mask[j] != 0 && inputs[row * d + j] != 0 { s += 1 }
            let label: Float = s % 2 == 0 ? 1 : -1
            let error = abs(outputs[row] - label)
            tally.pairs += 1
            tally.maxError = max(tally.maxError, error)
            if error != 0 {
                tally.mismatches += 1
                if tally.examples.count < 20 {
                    tally.examples.append(Mismatch(mask: mask, input: Array(inputs[row * d..<(row + 1) * d]), output: outputs[row], label: label))
                }
            }
        }
        return tally
    }

    /// Records the metrics, the failing pairs and the reason.
    static func report(_ total: Tally, d: Int, corrected: Bool, context: RunContext) throws {
        context.metrics.final("pairs_checked", Double(total.pairs))
        context.metrics.final("mismatches", Double(total.mismatches))
        context.metrics.final("max_abs_error", Double(total.maxError))
        let analysis = analyseByS(d: d, corrected: corrected)
        context.metrics.final("failing_pairs_all", analysis.failingPairs)
        context.metrics.note("construction", corrected ? "corrected: w_i = v* for every unit a bump uses" : "as stated in problem 3a")
        context.metrics.note("f_by_s", analysis.table)
        if !total.examples.isEmpty {
            let rows = total.examples.map { m in
                [m.mask.map { String(Int($0)) }.joined(), m.input.map { String(Int($0)) }.joined(), String(m.s),
                 formatNumber(Double(m.output)), formatNumber(Double(m.label))]
            }
            try context.artifacts.writeCSV("mismatches.csv", header: ["mask", "x", "s", "f", "y"], rows: rows)
        }
        if total.mismatches > 0 || analysis.failingPairs > 0 {
            let why = explanation(d: d, analysis: analysis)
            context.metrics.note("why", why)
            context.log("exact: \(total.mismatches) of \(total.pairs) pairs checked fail. " + why)
            for m in total.examples.prefix(3) {
                context.log("  fails: v* = \(m.mask.map { String(Int($0)) }.joined()), x = \(m.input.map { String(Int($0)) }.joined()), s = \(m.s): f = \(formatNumber(Double(m.output))), y = \(formatNumber(Double(m.label)))")
            }
            if !corrected { context.log("exact: --corrected applies the smallest fix; the default stays the construction as stated") }
        } else {
            context.log("exact: f(x) = y on all \(total.pairs) pairs checked; over all 4^\(d) pairs (through s = v*.x) none fails")
        }
    }

    /// What f is at each s = v*.x, found by running the network with v* = all ones on the input
    /// with s leading ones (every w_i is v* or 0, so f depends on x only through s), and how
    /// many of all 4^d pairs land on each failing s.
    public struct SAnalysis {
        public var failingS: [Int] = []
        public var valueAtS: [Float] = []
        public var failingPairs: Double = 0
        public var table = ""
    }

    public static func analyseByS(d: Int, corrected: Bool) -> SAnalysis {
        let ones = [Float](repeating: 1, count: d)
        let network = ParityNetwork.handBuilt(mask: ones, corrected: corrected)
        var inputs: [Float] = []
        for s in 0...d { inputs += (0..<d).map { $0 < s ? 1 : 0 } }
        var result = SAnalysis()
        result.valueAtS = network.forward(inputs, count: d + 1)
        var cells: [String] = []
        for s in 0...d {
            let y: Float = s % 2 == 0 ? 1 : -1
            cells.append("s=\(s): \(formatNumber(Double(result.valueAtS[s])))")
            if result.valueAtS[s] != y {
                result.failingS.append(s)
                result.failingPairs += pairsWith(s: s, d: d)
            }
        }
        result.table = cells.joined(separator: ", ")
        return result
    }

    /// The number of (v*, x) in {0,1}^d x {0,1}^d with v*.x = s: sum over |v*| = m >= s of
    /// C(d, m) C(m, s) 2^(d - m).
    public static func pairsWith(s: Int, d: Int) -> Double {
        var total = 0.0
        for m in s...d { total += binomial(d, m) * binomial(m, s) * pow(2, Double(d - m)) }
        return total
    }

    static func binomial(_ n: Int, _ r: Int) -> Double {
        guard r >= 0, r <= n else { return 0 }
        var value = 1.0
        for i in 0..<min(r, n - r) { value = value * Double(n - i) / Double(i + 1) }
        return value.rounded()
    }

    static func explanation(d: Int, analysis: SAnalysis) -> String {
        let lastBump = d / 2
        let needed = 3 * lastBump + 3
        let stated = 3 * d / 2
        var text = "f depends on x only through s = v*.x; f(s) != (-1)^s at s = "
            + analysis.failingS.map { "\($0) (f = \(formatNumber(Double(analysis.valueAtS[$0]))))" }.joined(separator: ", ") + ". "
        if needed > stated {
            text += "The bumps i = 0..\(lastBump) use hidden units 1..\(needed), but the construction sets w_i = v* only for i <= 3d/2 = \(stated), "
                + "so units \(stated + 1)..\(needed) have w = 0 and the bump at s = \(2 * lastBump) is incomplete. "
        }
        text += "Of all 4^\(d) pairs, \(formatNumber(analysis.failingPairs)) \(analysis.failingPairs == 1 ? "reaches" : "reach") a failing s"
        if analysis.failingS == [d] { text += " (only v* = x = all ones reaches s = \(d))" }
        return text + "."
    }

    /// Saves the network (and its mask) as `.npy` files named like a PyTorch state dict.
    static func saveCheckpoint(_ network: ParityNetwork, mask: [Float], to folder: String, context: RunContext) throws {
        let k = network.k, d = network.d
        let files: [(String, NPYArray)] = [
            ("hidden.weight", NPYArray(shape: [k, d], floats: network.weight)),
            ("hidden.bias", NPYArray(shape: [k], floats: network.bias)),
            ("output.weight", NPYArray(shape: [1, k], floats: network.alpha)),
            ("output.bias", NPYArray(shape: [1], floats: [network.beta])),
            ("mask", NPYArray(shape: [d], floats: mask)),
        ]
        for (name, array) in files {
            try context.artifacts.write(Data(NPY.encode(array)), to: "\(folder)/\(name).npy")
        }
    }

    /// `host eval Parity exact --checkpoint FOLDER`: checks a saved network on every input
    /// (d <= 20) or on `--samples` random inputs for the mask saved with it.
    static func evaluate(_ context: RunContext, _ settings: Settings, checkpoint: String) throws {
        func load(_ name: String, _ shape: [Int]?) throws -> NPYArray {
            let array = try NPY.read((checkpoint as NSString).appendingPathComponent("\(name).npy"))
            if let shape, array.shape != shape {
                throw PluginError.invalidInput("\(checkpoint)/\(name).npy has shape \(array.shape), expected \(shape)",
                                               hint: "a Parity checkpoint holds hidden.weight (k, d), hidden.bias (k), output.weight (1, k), output.bias (1) and mask (d)")
            }
            return array
        }
        let weight = try load("hidden.weight", nil)
        guard weight.shape.count == 2, weight.shape[0] > 0, weight.shape[1] > 0, weight.shape[1] <= 64 else {
            throw PluginError.invalidInput("\(checkpoint)/hidden.weight.npy has shape \(weight.shape), expected (k, d) with 1 <= d <= 64",
                                           hint: "point --checkpoint at the network/ folder a Parity exact run wrote")
        }
        let (k, d) = (weight.shape[0], weight.shape[1])
        let values = { (name: String, shape: [Int]?) in try load(name, shape).float32Values(source: "\(checkpoint)/\(name).npy") }
        let network = ParityNetwork(d: d, k: k, weight: try weight.float32Values(source: "\(checkpoint)/hidden.weight.npy"),
                                    bias: try values("hidden.bias", [k]), alpha: try values("output.weight", [1, k]),
                                    beta: try values("output.bias", [1])[0])
        let mask = try values("mask", [d])
        var inputs: [[Float]]
        if d <= 20 {
            inputs = (0..<(1 << d)).map { bits(of: $0, d: d) }
        } else {
            var rng = SeededGenerator(seed: context.seed)
            inputs = extremes(d) + (0..<settings.samples).map { _ in randomBits(d, &rng) }
        }
        context.log("eval: checking the saved network (k = \(k), d = \(d)) on \(inputs.count) inputs for its mask")
        let tally = check(network, mask: mask, inputs: inputs.flatMap { $0 }, count: inputs.count)
        context.metrics.final("pairs_checked", Double(tally.pairs))
        context.metrics.final("mismatches", Double(tally.mismatches))
        context.metrics.final("max_abs_error", Double(tally.maxError))
        for m in tally.examples.prefix(3) {
            context.log("  fails: x = \(m.input.map { String(Int($0)) }.joined()), s = \(m.s): f = \(formatNumber(Double(m.output))), y = \(formatNumber(Double(m.label)))")
        }
    }

    public static func bits(of value: Int, d: Int) -> [Float] { (0..<d).map { Float((value >> $0) & 1) } }
    static func randomBits(_ d: Int, _ rng: inout SeededGenerator) -> [Float] { (0..<d).map { _ in Float(rng.nextBit()) } }
    static func extremes(_ d: Int) -> [[Float]] { [[Float](repeating: 1, count: d), [Float](repeating: 0, count: d)] }
}
