import Foundation
import PluginAPI

/// Experiment `conv-bias` (CSCI-GA.2565 HW3 problem 2(b)): why a Conv2d followed by a
/// BatchNorm2d needs no bias. In training mode BatchNorm subtracts each channel's batch mean,
/// and a conv bias b_c adds the same constant to every value of channel c, so it cancels:
/// BN(conv(x) + b) = BN(conv(x)), the gradients reaching x and the weights are the same, and
/// the bias's own gradient is sum over (n, h, w) of dL/dz, which BatchNorm's backward makes 0.
///
/// Measured on random data, with the two edges the argument has: in evaluation mode the
/// running mean has absorbed b(1 - 0.9^k) after k training batches (momentum 0.1), so the
/// outputs differ by gamma b 0.9^k / sqrt(running_var + eps) per channel, shrinking with k; and
/// the hw3 network's LayerNorm over [C, H, W] subtracts one mean over all channels, so a
/// per-channel bias does not cancel there (only its mean over channels does).
enum ConvBiasExperiment {
    static let declaration = Experiment(
        name: "conv-bias",
        summary: "HW3 2(b): a conv bias before BatchNorm2d changes nothing (outputs, gradients, bias gradient 0); before LayerNorm it does",
        settings: Settings.self,
        metrics: [
            MetricSpec("batchnorm_output_difference", goal: .lowerIsBetter, help: "max |BN(conv_b(x)) - BN(conv(x))|, training mode"),
            MetricSpec("batchnorm_input_gradient_difference", goal: .lowerIsBetter, help: "max |dL/dx with bias - without|, relative to max |dL/dx|"),
            MetricSpec("batchnorm_weight_gradient_difference", goal: .lowerIsBetter, help: "max |dL/dW with bias - without|, relative to max |dL/dW|"),
            MetricSpec("batchnorm_bias_gradient", goal: .lowerIsBetter, help: "max |dL/db| relative to max |dL/dW|: zero up to rounding"),
            MetricSpec("eval_difference", help: "max |eval-mode output with bias - without| after --warmup batches"),
            MetricSpec("eval_closed_form_error", goal: .lowerIsBetter, help: "max over k |measured eval difference - gamma b 0.9^k / sqrt(var + eps)|"),
            MetricSpec("layernorm_output_difference", help: "max |LN(conv_b(x)) - LN(conv(x))|: not zero for a per-channel bias"),
            MetricSpec("layernorm_uniform_bias_difference", goal: .lowerIsBetter, help: "the same with one bias for all channels: zero up to rounding"),
        ],
        train: run)

    /// Gradients of L = sum(r * norm(conv(x; W, b))) for a fixed random r.
    struct Pass {
        var output: [Float], inputGradient: [Float], weightGradient: [Float], biasGradient: [Float]
    }

    /// One forward and backward pass through conv (with `bias`, or none) and `normalize`.
    static func pass(_ x: Tensor, weight: Tensor, bias: Tensor?, r: Tensor, normalize: (Tensor) -> Tensor) -> Pass {
        let input = x.copy(), w = weight.copy(), b = bias?.copy()
        input.requiresGrad = true; w.requiresGrad = true; b?.requiresGrad = true
        let y = normalize(conv2d(input, weight: w, bias: b, padding: 1))
        (y * r).sum().backward()
        return Pass(output: y.values, inputGradient: input.grad?.values ?? [], weightGradient: w.grad?.values ?? [], biasGradient: b?.grad?.values ?? [])
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { Swift.max($0, Double(abs($1.0 - $1.1))) }
    }

    static func maxMagnitude(_ a: [Float]) -> Double { a.reduce(0) { Swift.max($0, Double(abs($1))) } }

    /// The convolution, the batch and the warm-up.
    struct Settings: ExperimentSettings {
        var channels = 16, batch = 8, size = 8
        var biasScale: Float = 3
        var warmup = 10
        static let fields: [SettingField<Settings>] = [
            .int("channels", \.channels, range: 1...256, help: "channels C (in and out of the 3x3 convolution)"),
            .int("batch", \.batch, range: 2...256, help: "images N in the batch"),
            .int("size", \.size, range: 3...64, help: "image height and width"),
            .double("bias-scale", \.biasScale, max: 1e3, positive: true, help: "the conv bias b is uniform in [-scale, scale]"),
            .int("warmup", \.warmup, range: 1...1000, help: "training-mode batches k before the evaluation-mode check"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (c, n, size, scale, warmup) = (settings.channels, settings.batch, settings.size, settings.biasScale, settings.warmup)
        var g = SeededGenerator(seed: context.seed)
        let x = Tensor.normal([n, c, size, size], generator: &g), r = Tensor.normal([n, c, size, size], generator: &g)
        let bound = 1 / Float(c * 9).squareRoot()
        let weight = Tensor.uniform([c, c, 3, 3], low: -bound, high: bound, generator: &g)
        let bias = Tensor.uniform([c], low: -scale, high: scale, generator: &g)
        let gamma = Tensor.uniform([c], low: 0.5, high: 1.5, generator: &g), beta = Tensor.normal([c], generator: &g)

        // Training mode: batch statistics.
        func batchNorm(_ z: Tensor) -> Tensor {
            batchNorm2d(z, weight: gamma, bias: beta, runningMean: Tensor.zeros([c]), runningVar: Tensor.ones([c]), training: true, momentum: 0.1, eps: 1e-5)
        }
        let with = pass(x, weight: weight, bias: bias, r: r, normalize: batchNorm)
        let without = pass(x, weight: weight, bias: nil, r: r, normalize: batchNorm)
        let outputDifference = maxDifference(with.output, without.output)
        let inputGradient = maxDifference(with.inputGradient, without.inputGradient) / maxMagnitude(without.inputGradient)
        let weightGradient = maxDifference(with.weightGradient, without.weightGradient) / maxMagnitude(without.weightGradient)
        let biasGradient = maxMagnitude(with.biasGradient) / maxMagnitude(without.weightGradient)
        context.metrics.final("batchnorm_output_difference", outputDifference)
        context.metrics.final("batchnorm_input_gradient_difference", inputGradient)
        context.metrics.final("batchnorm_weight_gradient_difference", weightGradient)
        context.metrics.final("batchnorm_bias_gradient", biasGradient)

        // Evaluation mode after k training batches: the running means differ by b (1 - 0.9^k).
        let gaps = evaluationGaps(x, weight: weight, bias: bias, gamma: gamma, beta: beta, batches: warmup, generator: &g)
        let eval = gaps.last?.measured ?? .nan, closedFormError = gaps.map(\.error).max() ?? .nan
        let steps = gaps.indices.map { Double($0 + 1) }
        let plot = LinePlot(title: "Conv bias before BatchNorm2d: evaluation-mode gap after k training batches", xLabel: "training batches k",
                            yLabel: "max |output with bias - without|",
                            series: [Series("measured", x: steps, y: gaps.map(\.measured), markers: true),
                                     Series("closed form (0.9^k)", x: steps, y: gaps.map(\.closedForm))], logY: true)
        try context.artifacts.write(plot.svg(), to: "eval_gap.svg")
        context.metrics.final("eval_difference", eval)
        context.metrics.final("eval_closed_form_error", closedFormError)

        // LayerNorm over [C, H, W] (the hw3 network's --norm layer).
        let ln = LayerNorm([c, size, size])
        for (parameter, source) in [(ln.weight, Tensor.uniform([c, size, size], low: 0.5, high: 1.5, generator: &g)), (ln.bias, Tensor.normal([c, size, size], generator: &g))] {
            parameter.copy_(source)
        }
        let layerWith = pass(x, weight: weight, bias: bias, r: r) { ln($0) }
        let layerWithout = pass(x, weight: weight, bias: nil, r: r) { ln($0) }
        let uniform = Tensor.full([c], bias.values.reduce(0, +) / Float(c))
        let layerUniform = pass(x, weight: weight, bias: uniform, r: r) { ln($0) }
        let layerDifference = maxDifference(layerWith.output, layerWithout.output)
        let layerUniformDifference = maxDifference(layerUniform.output, layerWithout.output)
        context.metrics.final("layernorm_output_difference", layerDifference)
        context.metrics.final("layernorm_uniform_bias_difference", layerUniformDifference)

        let rows: [[String]] = [
            ["BatchNorm2d, training", "output", formatNumber(outputDifference), "0"],
            ["BatchNorm2d, training", "dL/dx (relative)", formatNumber(inputGradient), "0"],
            ["BatchNorm2d, training", "dL/dW (relative)", formatNumber(weightGradient), "0"],
            ["BatchNorm2d, training", "dL/db (relative to dL/dW)", formatNumber(biasGradient), "0"],
            ["BatchNorm2d, eval after \(warmup) batches", "output", formatNumber(eval), "gamma b 0.9^\(warmup) / sqrt(var + eps), error \(formatNumber(closedFormError))"],
            ["LayerNorm [C, H, W]", "output, per-channel bias", formatNumber(layerDifference), "not 0"],
            ["LayerNorm [C, H, W]", "output, one bias for all channels", formatNumber(layerUniformDifference), "0"],
        ]
        try context.artifacts.writeCSV("conv_bias.csv", header: ["normalization", "quantity", "max difference with bias", "expected"], rows: rows)
        let table = rows.map { $0.joined(separator: " | ") }.joined(separator: "\n")
        context.log("conv-bias: conv 3x3 \(c) -> \(c) on [\(n), \(c), \(size), \(size)], bias uniform in ±\(formatNumber(Double(scale))):\n" + table)
        context.metrics.note("table", table)
    }

    /// Runs `batches` training-mode batches through conv + BatchNorm with and without the bias
    /// (each keeping its own running statistics); after each, compares the evaluation-mode
    /// outputs on `x` with the closed form gamma_c b_c 0.9^k / sqrt(running_var_c + eps).
    /// Returns, per k = 1...batches, the largest measured gap, the largest closed-form gap, and
    /// the largest error of the closed form.
    static func evaluationGaps(_ x: Tensor, weight: Tensor, bias: Tensor, gamma: Tensor, beta: Tensor, batches: Int,
                               generator g: inout SeededGenerator) -> [(measured: Double, closedForm: Double, error: Double)] {
        let c = bias.count
        let (meanWith, varWith) = (Tensor.zeros([c]), Tensor.ones([c]))
        let (meanWithout, varWithout) = (Tensor.zeros([c]), Tensor.ones([c]))
        func normalized(_ b: Tensor?, _ mean: Tensor, _ variance: Tensor, _ input: Tensor, training: Bool) -> Tensor {
            batchNorm2d(conv2d(input, weight: weight, bias: b, padding: 1), weight: gamma, bias: beta,
                        runningMean: mean, runningVar: variance, training: training, momentum: 0.1, eps: 1e-5)
        }
        let plane = x.shape[2] * x.shape[3]
        let (gammas, biases) = (gamma.values, bias.values)
        return noGrad {
            (1...batches).map { k in
                let batch = Tensor.normal(x.shape, generator: &g)
                _ = normalized(bias, meanWith, varWith, batch, training: true)
                _ = normalized(nil, meanWithout, varWithout, batch, training: true)
                let with = normalized(bias, meanWith, varWith, x, training: false).values
                let without = normalized(nil, meanWithout, varWithout, x, training: false).values
                let variances = varWithout.values, decay = pow(0.9, Double(k))
                let expected = (0..<c).map { Double(gammas[$0]) * Double(biases[$0]) * decay / (Double(variances[$0]) + 1e-5).squareRoot() }
                var (measured, error) = (0.0, 0.0)
                for (i, (a, b)) in zip(with, without).enumerated() {
                    measured = Swift.max(measured, Double(abs(a - b)))
                    error = Swift.max(error, abs(Double(a - b) - expected[(i / plane) % c]))
                }
                return (measured, expected.map(abs).max() ?? 0, error)
            }
        }
    }
}
