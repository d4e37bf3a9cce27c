import Foundation
import PluginAPI

/// Experiment `init`: variance preservation, symmetry, and initialisations of a deep CNN.
public enum InitExperiment {
    static let declaration = Experiment(
        name: "init",
        summary: "Initialisation: E||Wx||^2 = ||x||^2 (1/m, identity; 2/m, ReLU), symmetric units stay equal, and a deep CNN on digits (ReLU/sigmoid x Xavier/He/zero)",
        options: [
            .int("draws", default: 400, range: 10...1_000_000, help: "Monte Carlo draws of W per width"),
            .string("widths", default: "16,64,256", help: "widths m for part 1"),
            .int("iterations", default: 600, range: 1...100_000, help: "training iterations of each CNN (part 3)"),
            .int("eval-every", default: 25, range: 1...10_000, help: "validation accuracy every this many iterations"),
            .double("lr", default: 0.05, max: 10, positive: true, help: "SGD learning rate of the CNNs (momentum 0.9)"),
        ],
        metrics: [
            MetricSpec("max_norm_z", goal: .lowerIsBetter, help: "largest |E||f(Wx)||^2 / ||x||^2 - 1| in standard errors, part 1"),
            MetricSpec("symmetric_difference", goal: .lowerIsBetter, help: "largest difference between units p and q after training from equal values"),
            MetricSpec("random_difference", help: "the same from a random initialisation"),
            MetricSpec("relu_he_accuracy", goal: .higherIsBetter), MetricSpec("relu_zero_accuracy"), MetricSpec("sigmoid_xavier_accuracy"),
        ],
        train: run)

    /// Part 1: the mean and standard error of ||f(W x)||^2 / ||x||^2 with W (m x m) of i.i.d.
    /// N(0, variance / m) entries.
    public static func normRatio(m: Int, variance: Double, relu: Bool, draws: Int, generator g: inout SeededGenerator) -> (mean: Double, standardError: Double) {
        let x = (0..<m).map { _ in g.nextNormal() }
        let norm = x.reduce(0) { $0 + $1 * $1 }, std = (variance / Double(m)).squareRoot()
        var sum = 0.0, squares = 0.0
        for _ in 0..<draws {
            var total = 0.0
            for _ in 0..<m {
                var v = 0.0
                for k in 0..<m { v += std * g.nextNormal() * x[k] }
                if relu { v = max(v, 0) }
                total += v * v
            }
            let r = total / norm
            sum += r; squares += r * r
        }
        let mean = sum / Double(draws)
        return (mean, (max(squares / Double(draws) - mean * mean, 0) / Double(draws - 1)).squareRoot())
    }

    /// Part 2: a two-layer ReLU network trained by gradient descent on random data; the largest
    /// difference between hidden units 0 and 1 (their weights and output weights) at the end.
    public static func unitDifference(symmetric: Bool, steps: Int = 500, generator g: inout SeededGenerator) throws -> Double {
        let network = Sequential(Linear(8, 6, generator: &g), ReLU(), Linear(6, 1, generator: &g))
        guard let hidden = network.layers[0] as? Linear, let output = network.layers[2] as? Linear else { return .nan }
        if symmetric {
            for j in 0..<8 { hidden.weight.data[8 + j] = hidden.weight.data[j] }
            hidden.bias?.data[1] = hidden.bias?.data[0] ?? 0
            output.weight.data[1] = output.weight.data[0]
        }
        let x = Tensor.normal([64, 8], generator: &g), y = Tensor.normal([64, 1], generator: &g)
        let optimizer = SGD(network.parameters(), lr: 0.05)
        for _ in 0..<steps {
            optimizer.zeroGrad()
            mseLoss(network(x), y).backward()
            optimizer.step()
        }
        var difference = abs(output.weight.data[1] - output.weight.data[0])
        for j in 0..<8 { difference = max(difference, abs(hidden.weight.data[8 + j] - hidden.weight.data[j])) }
        return Double(difference)
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

    static func run(_ context: RunContext) throws {
        let o = context.options
        var g = SeededGenerator(seed: context.seed)
        let draws = try o.int("draws")
        let widths = try o.string("widths").split(separator: ",").map { part -> Int in
            guard let m = Int(part.trimmingCharacters(in: .whitespaces)), (1...4096).contains(m) else {
                throw PluginError.invalidInput("--widths: '\(part)' is not a width in 1...4096", hint: "for example --widths 16,64,256")
            }
            return m
        }
        var worstZ = 0.0, rows: [[String]] = []
        for m in widths {
            for (relu, variance) in [(false, 1.0), (true, 2.0)] {
                let r = normRatio(m: m, variance: variance, relu: relu, draws: draws, generator: &g)
                worstZ = max(worstZ, abs(r.mean - 1) / max(r.standardError, 1e-300))
                rows.append([String(m), relu ? "ReLU, N(0, 2/m)" : "identity, N(0, 1/m)", formatNumber(r.mean), formatNumber(r.standardError)])
                context.log(String(format: "init: m = %d, %@: E||f(Wx)||^2 / ||x||^2 = %.4f ± %.4f (expected 1)", m, relu ? "ReLU, N(0, 2/m)" : "identity, N(0, 1/m)", r.mean, r.standardError))
            }
        }
        context.metrics.final("max_norm_z", worstZ)
        try context.artifacts.writeCSV("norms.csv", header: ["m", "activation and variance", "ratio_mean", "ratio_standard_error"], rows: rows)
        let symmetric = try unitDifference(symmetric: true, generator: &g), random = try unitDifference(symmetric: false, generator: &g)
        context.metrics.final("symmetric_difference", symmetric)
        context.metrics.final("random_difference", random)
        context.log("init: hidden units 0 and 1 after 500 gradient steps: \(formatNumber(symmetric, expected: 0)) from equal values, \(formatNumber(random)) from random ones")

        // Part 3: the deep CNN on digits, six initialisations.
        let data = try DigitsDataset.embedded()
        let (validation, train) = (data.slice(0..<180), data.slice(180..<data.count))
        let iterations = try o.int("iterations"), every = try o.int("eval-every"), lr = Float(try o.double("lr"))
        let configs = [(false, "xavier"), (false, "he"), (false, "zero"), (true, "xavier"), (true, "he"), (true, "zero")]
        context.progress.begin("init: deep CNNs", total: configs.count * iterations, unit: "iterations")
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
            for step in 1...iterations {
                if context.isCancelled { break }
                let start = ((step - 1) * 32) % (train.count - 32)
                optimizer.zeroGrad()
                let loss = crossEntropy(net(train.batch(start..<start + 32) / 16), targets: Array(train.labels[start..<start + 32]))
                guard loss.item.isFinite else { throw PluginError.diverged("the \(sigmoid ? "sigmoid" : "ReLU") CNN with \(scheme) initialisation diverged", hint: "lower --lr") }
                loss.backward()
                optimizer.step()
                if step % every == 0 || step == iterations { validate(step) }
                context.progress.update(completed: index * iterations + step, values: [])
            }
            let name = "\(sigmoid ? "sigmoid" : "ReLU"), \(scheme)"
            series.append(Series(name, x: curve.map(\.0), y: curve.map(\.1), markers: true, dashed: sigmoid))
            let final = curve.last?.1 ?? .nan
            finals.append([name, formatNumber(final)])
            context.log(String(format: "init: deep CNN %@: validation accuracy %.4f after %d iterations", name, final, iterations))
            switch (sigmoid, scheme) {
            case (false, "he"): context.metrics.final("relu_he_accuracy", final)
            case (false, "zero"): context.metrics.final("relu_zero_accuracy", final)
            case (true, "xavier"): context.metrics.final("sigmoid_xavier_accuracy", final)
            default: break
            }
        }
        context.progress.end()
        try context.artifacts.writeCSV("cnn.csv", header: ["network", "validation_accuracy"], rows: finals)
        let plot = LinePlot(title: "Deep CNN on digits: validation accuracy by activation and initialisation", xLabel: "iteration",
                            yLabel: "validation accuracy", series: series)
        try context.artifacts.write(plot.svg(), to: "cnn.svg")
    }
}
