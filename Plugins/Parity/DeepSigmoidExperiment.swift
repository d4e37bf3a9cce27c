import Foundation
import PluginAPI

/// Experiment `deep-sigmoid` (problem 3d): the same task with a deeper network of sigmoid
/// units, next to the two-layer ReLU network; per-layer gradient norms at initialisation and
/// during training show the gradients vanishing towards the input.
enum DeepSigmoidExperiment {
    static let declaration = Experiment(
        name: "deep-sigmoid",
        summary: "A deep sigmoid network on parity beside the two-layer ReLU one: loss curves and per-layer gradient norms",
        settings: Settings.self,
        metrics: [
            MetricSpec("final_loss_sigmoid", goal: .lowerIsBetter), MetricSpec("final_loss_relu", goal: .lowerIsBetter),
            MetricSpec("test_accuracy_sigmoid", goal: .higherIsBetter), MetricSpec("test_accuracy_relu", goal: .higherIsBetter),
            MetricSpec("init_grad_ratio_first_to_last", help: "||grad W_1|| / ||grad W_L|| at initialisation, for the sigmoid network"),
            MetricSpec("init_grad_norm_layer{}", help: "||grad W_l|| of layer l at initialisation, for the sigmoid network"),
        ],
        train: run)

    /// `train`'s options with a smaller d and fewer steps, and the depth.
    struct Settings: ExperimentSettings {
        var depth = 4
        var training = TrainExperiment.Settings()
        init() { (training.d, training.iters) = (10, 20_000) }

        static let fields: [SettingField<Settings>] = [.int("depth", \.depth, range: 1...32, help: "hidden sigmoid layers")]
            + SettingField.nested(\.training, TrainExperiment.Settings.fields)
    }

    /// [Linear(d, k), Sigmoid] x depth, then Linear(k, 1).
    static func deepSigmoid(d: Int, width k: Int, depth: Int, generator: inout SeededGenerator) -> Sequential {
        var layers: [Module] = []
        for l in 0..<depth {
            layers.append(Linear(l == 0 ? d : k, k, generator: &generator))
            layers.append(Sigmoid())
        }
        layers.append(Linear(k, 1, generator: &generator))
        return Sequential(layers)
    }

    /// ||grad|| of each weight matrix, input side first.
    static func weightGradNorms(_ model: Module) -> [Double] {
        model.namedParameters().filter { $0.0.hasSuffix("weight") }.map { _, p in
            (p.grad?.values ?? []).reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
    }

    static func run(_ context: RunContext, _ options: Settings) throws {
        let (settings, depth) = (options.training, options.depth)
        let k = settings.widthFactor * settings.d
        context.log("deep-sigmoid: d = \(settings.d), \(depth) sigmoid layers of \(k) units, beside the two-layer ReLU network; \(settings.iters) steps each")
        var norms: [(step: Int, norms: [Double])] = []
        let lock = NSLock()
        let outcomes = try TrainingSweep.run([true, false], unitsPerRun: settings.iters, unit: .step, context: context, failFast: true,
                                             name: { $0 ? "deep sigmoid" : "two-layer ReLU" }) { sigmoid, watch in
            try TrainExperiment.train(
                settings, seed: context.seed,
                model: sigmoid ? { g in deepSigmoid(d: settings.d, width: k, depth: depth, generator: &g) } : nil,
                watch: watch,
                inspect: { step, model in
                    guard sigmoid else { return }
                    let n = weightGradNorms(model)
                    lock.lock(); norms.append((step, n)); lock.unlock()
                })
        }
        guard let sigmoid = outcomes[0], let relu = outcomes[1] else { return }
        let initial = initialNorms(settings: settings, depth: depth, seed: context.seed)
        try report(sigmoid: sigmoid, relu: relu, initial: initial, norms: norms, settings: settings, depth: depth, context: context)
    }

    /// Per-layer gradient norms at initialisation, on one batch, before any update.
    static func initialNorms(settings: TrainExperiment.Settings, depth: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        let data = ParityData(d: settings.d, generator: &generator)
        let model = deepSigmoid(d: settings.d, width: settings.widthFactor * settings.d, depth: depth, generator: &generator)
        let x = Tensor.zeros([settings.batch, settings.d]), y = Tensor.zeros([settings.batch])
        data.sample(into: x, labels: y, generator: &generator)
        hingeLoss(model(x).reshape([settings.batch]), y).backward()
        return weightGradNorms(model)
    }

    static func report(sigmoid: TrainExperiment.Outcome, relu: TrainExperiment.Outcome, initial: [Double],
                       norms: [(step: Int, norms: [Double])], settings: TrainExperiment.Settings, depth: Int, context: RunContext) throws {
        let layers = initial.count
        for (row, (s, r)) in zip(sigmoid.curve, relu.curve).enumerated() {
            var values: [(String, Double)] = [("loss_sigmoid", s.loss), ("loss_relu", r.loss)]
            if row < norms.count { values += norms[row].norms.enumerated().map { ("grad_norm_layer\($0.offset + 1)", $0.element) } }
            context.metrics.log(step: s.step, values)
        }
        context.metrics.final("final_loss_sigmoid", sigmoid.finalLoss)
        context.metrics.final("final_loss_relu", relu.finalLoss)
        context.metrics.final("test_accuracy_sigmoid", sigmoid.testAccuracy)
        context.metrics.final("test_accuracy_relu", relu.testAccuracy)
        for (l, n) in initial.enumerated() { context.metrics.final("init_grad_norm_layer\(l + 1)", n) }
        if let first = initial.first, let last = initial.last, last > 0 { context.metrics.final("init_grad_ratio_first_to_last", first / last) }
        context.log("deep-sigmoid: gradient norms at initialisation, input layer first: " + initial.map { String(format: "%.3e", $0) }.joined(separator: ", "))
        try ParityPlots.lossCurve([("deep sigmoid (\(depth) layers)", sigmoid), ("two-layer ReLU", relu)],
                                  title: "Parity, d = \(settings.d): deep sigmoid against two-layer ReLU", context: context, file: "loss.svg")
        let sorted = norms.sorted { $0.step < $1.step }
        let series = (0..<layers).map { l in
            Series(l == layers - 1 ? "output layer" : "layer \(l + 1)", x: sorted.map { Double($0.step) }, y: sorted.map { $0.norms[l] })
        }
        let plot = LinePlot(title: "Deep sigmoid network: weight-gradient norm per layer", xLabel: "iteration", yLabel: "||grad W||", series: series, logY: true)
        try context.artifacts.write(plot.svg(), to: "gradient_norms.svg")
    }
}
