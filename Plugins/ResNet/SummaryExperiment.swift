import PluginAPI

/// Experiment `summary`: the layer table (output shapes, parameter counts) of the hw3 ResNet,
/// or of both CIFAR-10 ResNet18s (`--model resnet18`: the course's and the standard one).
enum SummaryExperiment {
    static let declaration = Experiment(
        name: "summary",
        summary: "Print a layer table (each layer's output shape and parameter count, and the total): the hw3 ResNet, or both ResNet18s",
        options: [
            .choice("model", ["hw3", "resnet18"], default: "hw3", help: "hw3: the digits ResNet; resnet18: the course's and the standard ResNet18 on 3 x 32 x 32"),
            .int("channels", default: 16, range: 1...512, help: "channels C of the hw3 network"),
            .choice("act", ["relu", "silu"], default: "relu", help: "activation (hw3)"),
            .choice("norm", ["batch", "layer"], default: "batch", help: "BatchNorm2d, or LayerNorm over [C, H, W] (hw3)"),
            .int("height", default: 8, range: 2...4096, help: "input image height (hw3)"),
            .int("width", default: 8, range: 2...4096, help: "input image width (hw3)"),
        ],
        metrics: [MetricSpec("parameters", help: "trainable parameters (of the course ResNet18 with --model resnet18)"),
                  MetricSpec("layers", help: "layer calls in the table"),
                  MetricSpec("standard_parameters", help: "trainable parameters of the standard ResNet18 (--model resnet18)")],
        train: run)

    static func run(_ context: RunContext) throws {
        let o = context.options
        var generator = SeededGenerator(seed: context.seed)
        guard try o.string("model") == "hw3" else {
            for architecture in ResNet18.Architecture.allCases {
                let model = ResNet18.make(architecture, generator: &generator)
                let summary = table(model, input: [1, 3, 32, 32], title: "ResNet18, \(architecture.rawValue)", file: "summary-\(architecture.rawValue).txt", context: context)
                if architecture == .course {
                    context.metrics.final("parameters", Double(summary.totalParameters))
                    context.metrics.final("layers", Double(summary.rows.count))
                } else {
                    context.metrics.final("standard_parameters", Double(summary.totalParameters))
                }
            }
            return
        }
        let (height, width) = (try o.int("height"), try o.int("width"))
        let model = HW3ResNet(channels: try o.int("channels"), activation: try o.string("act") == "silu" ? .silu : .relu,
                              norm: try o.string("norm") == "layer" ? .layer : .batch, inputSize: (height, width), generator: &generator)
        let summary = table(model, input: [1, 1, height, width], title: nil, file: "summary.txt", context: context)
        context.metrics.final("parameters", Double(summary.totalParameters))
        context.metrics.final("layers", Double(summary.rows.count))
    }

    /// Logs and writes the layer table of `model` for an input of shape `input`.
    static func table(_ model: Module, input: [Int], title: String?, file: String, context: RunContext) -> ModelSummary {
        model.eval()
        let summary = ModelSummary.of(model, input: Tensor.zeros(input))
        let text = (title.map { $0 + "\n" } ?? "") + summary.text()
        context.log(text)
        try? context.artifacts.write(text + "\n", to: file)
        return summary
    }
}
