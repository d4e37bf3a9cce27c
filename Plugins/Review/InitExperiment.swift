import Foundation
import PluginAPI

/// Experiment `init`: variance preservation, symmetry, and initialisations of a deep CNN.
public enum InitExperiment {
    static let declaration = Experiment(
        name: "init",
        summary: "Initialisation: W (m x d), E||Wx||^2 = ||x||^2 with N(0, 1/m) (identity), N(0, 2/m) (ReLU), and not with fan-in 1/d; E[(w^T x)^2] = ||x||^2/m per row; symmetric units of sum_j v_j sigma(<w_j, x>) stay equal; a deep CNN on digits (ReLU/sigmoid x Xavier/He/zero)",
        settings: Settings.self,
        metrics: [
            MetricSpec("max_norm_z", goal: .lowerIsBetter, help: "largest |E||f(Wx)||^2 / ||x||^2 - 1| in standard errors, the text's N(0, 1/m) and N(0, 2/m)"),
            MetricSpec("max_row_z", goal: .lowerIsBetter, help: "largest distance in standard errors of m E[f(w^T x)^2] / ||x||^2 from 1, and (identity) of CS446 4(d)'s two sums from 1 and 0"),
            MetricSpec("min_fan_in_z", goal: .higherIsBetter, help: "smallest |E||f(Wx)||^2 / ||x||^2 - 1| in standard errors with fan-in N(0, 1/d), N(0, 2/d), over shapes with d != m"),
            MetricSpec("symmetric_difference", goal: .lowerIsBetter, help: "largest |v_p - v_q|, |w_p - w_q| after gradient descent from w_p = w_q, v_p = v_q (every activation and loss)"),
            MetricSpec("random_difference", help: "the smallest of the same from random initialisations"),
            MetricSpec("relu_he_accuracy", goal: .higherIsBetter), MetricSpec("relu_zero_accuracy"), MetricSpec("sigmoid_xavier_accuracy"),
        ],
        train: run)

    /// The experiment's options. `shapes` stays text ("16x64,64x16"), read by `shapes(_:)`.
    struct Settings: ExperimentSettings {
        var draws = 400
        var shapes = "16x64,64x16,256x32"
        var iterations = 600, evalEvery = 25
        var lr: Float = 0.05
        static let fields: [SettingField<Settings>] = [
            .int("draws", \.draws, range: 10...1_000_000, help: "Monte Carlo draws of W per shape and variance"),
            .string("shapes", \.shapes, help: "part 1: W's shapes m x d (m outputs, d inputs; d != m tells N(0, 1/m) from fan-in N(0, 1/d))"),
            .int("iterations", \.iterations, range: 1...100_000, help: "training iterations of each CNN (part 3)"),
            .int("eval-every", \.evalEvery, range: 1...10_000, help: "validation accuracy every this many iterations"),
            .double("lr", \.lr, max: 10, positive: true, help: "SGD learning rate of the CNNs (momentum 0.9)"),
        ]
    }

    /// Part 3's network: five 3x3 convolutions of 16 channels (padding 1), then average pooling
    /// and a linear layer; biases zero, weights by `scheme`.
    final class DeepCNN: Module {
        let convs: [Conv2d]
        let fc: Linear
        let sigmoid: Bool

        init(sigmoid: Bool, scheme: String, generator g: inout SeededGenerator) {
            convs = (0..<5).map { Conv2d(inChannels: $0 == 0 ? 1 : 16, outChannels: 16, kernelSize: 3, padding: 1, generator: &g) }
            fc = Linear(16, 10, generator: &g)
            self.sigmoid = sigmoid
            super.init()
            for layer in convs.map({ ($0.weight, $0.bias) }) + [(fc.weight, fc.bias)] {
                switch scheme {
                case "xavier": Init.xavierUniform(layer.0, generator: &g)
                case "he": Init.kaimingNormal(layer.0, generator: &g)
                default: Init.zeros(layer.0)
                }
                if let bias = layer.1 { Init.zeros(bias) }
            }
        }

        override func namedChildren() -> [(String, Module)] { convs.enumerated().map { ("convs.\($0.offset)", $0.element as Module) } + [("fc", fc)] }

        override func forward(_ x: Tensor) -> Tensor {
            var h = x
            for conv in convs { h = sigmoid ? conv(h).sigmoid() : conv(h).relu() }
            return fc(h.mean(axes: [2, 3]))
        }
    }

    /// Part 1's table: for each shape m x d, one x ~ N(0, I_d) and, for the identity and ReLU, W with
    /// the text's variance (1/m, 2/m) and, where d != m, with fan-in's (1/d, 2/d), which gives m/d.
    static func normsPart(_ context: RunContext, shapes: [(m: Int, d: Int)], draws: Int, generator g: inout SeededGenerator) throws {
        func pm(_ e: Estimate, _ scale: Double = 1) -> String { String(format: "%.4f ± %.4f", e.mean * scale, e.standardError * scale) }
        func z(_ v: Double) -> String { String(format: "%.1f", v) }
        var lines = [["m", "d", "f", "W entries", "E||f(Wx)||^2/||x||^2", "s.e. from 1", "row: E[f(w^T x)^2]", "||x||^2/m", "s.e. off",
                      "4(d),(e): m E[sum w_i^2 x_i^2]/||x||^2", "m E[sum_{i!=j} w_i w_j x_i x_j]/||x||^2"]]
        var rows: [[String]] = []
        var worst = (norm: 0.0, row: 0.0), fanIn = Double.infinity
        for (m, d) in shapes {
            let x = (0..<d).map { _ in g.nextNormal() }
            let norm = x.reduce(0) { $0 + $1 * $1 }
            for relu in [false, true] {
                let gain = relu ? 2 : 1
                for fan in d == m ? ["m"] : ["m", "d"] {
                    let variance = Double(gain) / Double(fan == "m" ? m : d), entries = "N(0, \(gain)/\(fan))"
                    let s = normStatistics(x: x, m: m, entryVariance: variance, relu: relu, draws: draws, generator: &g)
                    let sums = relu ? ["-", "-"] : [pm(s.squares) + " (" + z(s.squares.z(1)) + ")", pm(s.cross) + " (" + z(s.cross.z(0)) + ")"]
                    if fan == "m" {
                        worst.norm = max(worst.norm, s.total.z(1))
                        worst.row = max(worst.row, s.row.z(1), relu ? 0 : s.squares.z(1), relu ? 0 : s.cross.z(0))
                    } else {
                        fanIn = min(fanIn, s.total.z(1))
                    }
                    let activation = relu ? "ReLU" : "identity"
                    lines.append([String(m), String(d), activation, entries, pm(s.total), z(s.total.z(1)), pm(s.row, norm / Double(m)),
                                  String(format: "%.4f", norm / Double(m)), z(s.row.z(1))] + sums)
                    rows.append([String(m), String(d), activation, entries, "\(variance)", "\(norm)", "\(s.total.mean)", "\(s.total.standardError)",
                                 "\(s.row.mean * norm / Double(m))", "\(s.row.standardError * norm / Double(m))", "\(norm / Double(m))",
                                 ] + (relu ? ["", "", "", ""] : ["\(s.squares.mean)", "\(s.squares.standardError)", "\(s.cross.mean)", "\(s.cross.standardError)"]))
                }
            }
        }
        let table = TextTable.aligned(lines)
        context.log("init: \(draws) draws of W (m x d) per row, x ~ N(0, I_d) fixed per shape; mean ± standard error, (distance from the text's value in standard errors):\n" + table)
        context.metrics.note("norms", table)
        context.metrics.final("max_norm_z", worst.norm)
        context.metrics.final("max_row_z", worst.row)
        if fanIn.isFinite {
            context.metrics.final("min_fan_in_z", fanIn)
            context.log(String(format: "init: the text's N(0, 1/m), N(0, 2/m) within %.1f standard errors of 1 (per row within %.1f); fan-in N(0, 1/d), N(0, 2/d) gives m/d, at least %.1f standard errors from 1",
                               worst.norm, worst.row, fanIn))
        } else {
            context.log("init: every shape has d = m, where N(0, 1/d) is N(0, 1/m): use --shapes with d != m to tell them apart")
        }
        try context.artifacts.writeCSV("norms.csv", header: ["m", "d", "activation", "entries", "entry_variance", "x_norm_squared", "ratio_mean", "ratio_standard_error",
                                                             "row_mean_square", "row_standard_error", "row_closed_form", "squares_ratio_mean", "squares_ratio_standard_error",
                                                             "cross_ratio_mean", "cross_ratio_standard_error"], rows: rows)
    }

    /// Part 2's table: units p, q of the text's network (m 6, d 8, no biases) after 500 gradient
    /// steps on one example, from equal and from random values, for each activation and loss; and,
    /// as the text's remark, the mean risk over 64 examples.
    static func symmetryPart(_ context: RunContext, generator g: inout SeededGenerator) throws {
        var lines = [["sigma", "loss", "examples", "from w_p = w_q, v_p = v_q", "from random values"]]
        var symmetric = 0.0, random = Double.infinity, rows: [[String]] = []
        let cases = InitGradients.Activation.allCases.flatMap { a in InitGradients.Loss.allCases.map { (a, $0, 1) } } + [(.relu, .squared, 64)]
        for (a, l, n) in cases {
            let s = unitDifference(symmetric: true, activation: a, loss: l, examples: n, generator: &g)
            let r = unitDifference(symmetric: false, activation: a, loss: l, examples: n, generator: &g)
            symmetric = max(symmetric, s.isNaN ? .infinity : s); random = min(random, r)
            lines.append([a.rawValue, l.rawValue, n == 1 ? "1 (the text)" : "\(n) (mean risk)", formatNumber(s, expected: 0), formatNumber(r)])
            rows.append([a.rawValue, l.rawValue, String(n), "\(s)", "\(r)"])
        }
        context.metrics.final("symmetric_difference", symmetric)
        context.metrics.final("random_difference", random)
        let table = TextTable.aligned(lines)
        context.log("init: f = sum_j v_j sigma(<w_j, x>), m 6, d 8, no biases; largest |v_p - v_q|, |w_p - w_q| after 500 gradient steps (lr 0.05) on R = l(f(x), y):\n" + table)
        context.metrics.note("symmetry", table)
        try context.artifacts.writeCSV("symmetry.csv", header: ["activation", "loss", "examples", "symmetric_difference", "random_difference"],
                                       rows: rows)
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        var g = SeededGenerator(seed: context.seed)
        try normsPart(context, shapes: try shapes(settings.shapes), draws: settings.draws, generator: &g)
        try symmetryPart(context, generator: &g)

        // Part 3: the deep CNN on digits, six initialisations.
        let data = try DigitsDataset.embedded()
        let (validation, train) = (data.slice(0..<180), data.slice(180..<data.count))
        let (iterations, every, lr) = (settings.iterations, settings.evalEvery, settings.lr)
        let configs = [(false, "xavier"), (false, "he"), (false, "zero"), (true, "xavier"), (true, "he"), (true, "zero")]
        var series: [Series] = [], finals: [[String]] = []
        for (index, (sigmoid, scheme)) in configs.enumerated() {
            var cg = SeededGenerator(seed: context.seed, stream: UInt64(index + 1))
            let net = DeepCNN(sigmoid: sigmoid, scheme: scheme, generator: &cg)
            let optimizer = SGD(net.parameters(), lr: lr, momentum: 0.9)
            var curve: [(Double, Double)] = []
            func validate(_ step: Int) {
                let logits = noGrad { net(validation.batch(0..<validation.count) / 16) }
                curve.append((Double(step), accuracy(logits, targets: validation.labels)))
            }
            validate(0)
            let loop = TrainingLoop("init: deep CNN \(index + 1)/\(configs.count)", total: iterations, unit: TrainingUnit("iteration", plural: "iterations"),
                                    logEvery: every, watch: TrainingWatch(context),
                                    lossName: "loss of the \(sigmoid ? "sigmoid" : "ReLU") CNN with \(scheme) initialisation",
                                    divergenceHint: "lower --lr (now \(formatNumber(Double(lr))))")
            let report = try loop.run(step: { step in
                let start = ((step - 1) * 32) % (train.count - 32)
                optimizer.zeroGrad()
                let loss = crossEntropy(net(train.batch(start..<start + 32) / 16), targets: Array(train.labels[start..<start + 32]))
                let value = Double(loss.item)
                if value.isFinite { loss.backward(); optimizer.step() }
                return value
            }, log: { point in
                validate(point.step)
                return []
            })
            let name = "\(sigmoid ? "sigmoid" : "ReLU"), \(scheme)"
            series.append(Series(name, x: curve.map(\.0), y: curve.map(\.1), markers: true, dashed: sigmoid))
            let final = curve.last?.1 ?? .nan
            finals.append([name, formatNumber(final)])
            context.log(String(format: "init: deep CNN %@: validation accuracy %.4f after %d iterations", name, final, report.completed))
            switch (sigmoid, scheme) {
            case (false, "he"): context.metrics.final("relu_he_accuracy", final)
            case (false, "zero"): context.metrics.final("relu_zero_accuracy", final)
            case (true, "xavier"): context.metrics.final("sigmoid_xavier_accuracy", final)
            default: break
            }
            if report.cancelled { break }
        }
        try context.artifacts.writeCSV("cnn.csv", header: ["network", "validation_accuracy"], rows: finals)
        let plot = LinePlot(title: "Deep CNN on digits: validation accuracy by activation and initialisation", xLabel: "iteration",
                            yLabel: "validation accuracy", series: series)
        try context.artifacts.write(plot.svg(), to: "cnn.svg")
    }
}
