import PluginAPI

/// Experiment `summary`: the layer table of the hw3 ResNet (output shapes, parameter counts).
enum SummaryExperiment {
    static let declaration = Experiment(
        name: "summary",
        summary: "Print the hw3 ResNet's layer table: each layer's output shape and parameter count, and the total",
        options: [
            .int("channels", default: 16, range: 1...512, help: "channels C of the network"),
            .choice("act", ["relu", "silu"], default: "relu", help: "activation"),
            .choice("norm", ["batch", "layer"], default: "batch", help: "BatchNorm2d, or LayerNorm over [C, H, W]"),
            .int("height", default: 8, range: 2...4096, help: "input image height"),
            .int("width", default: 8, range: 2...4096, help: "input image width"),
        ],
        metrics: [MetricSpec("parameters", help: "trainable parameters"), MetricSpec("layers", help: "layer calls in the table")],
        train: run)

    static func run(_ context: RunContext) throws {
        let o = context.options
        let (height, width) = (try o.int("height"), try o.int("width"))
        var generator = SeededGenerator(seed: context.seed)
        let model = HW3ResNet(channels: try o.int("channels"), activation: try o.string("act") == "silu" ? .silu : .relu,
                              norm: try o.string("norm") == "layer" ? .layer : .batch, inputSize: (height, width), generator: &generator)
        model.eval()
        let summary = ModelSummary.of(model, input: Tensor.zeros([1, 1, height, width]))
        context.log(summary.text())
        try context.artifacts.write(summary.text() + "\n", to: "summary.txt")
        context.metrics.final("parameters", Double(summary.totalParameters))
        context.metrics.final("layers", Double(summary.rows.count))
    }
}
