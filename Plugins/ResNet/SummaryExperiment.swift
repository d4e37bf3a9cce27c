import PluginAPI

/// Experiment `summary`: the layer table (output shapes, parameter counts) of the hw3 ResNet,
/// or of both CIFAR-10 ResNet18s (`--model resnet18`: the course's and the standard one).
enum SummaryExperiment {
    static let declaration = Experiment(
        name: "summary",
        summary: "Print a layer table (each layer's output shape and parameter count, and the total): the hw3 ResNet, or both ResNet18s",
        settings: Settings.self,
        metrics: [MetricSpec("parameters", help: "trainable parameters (of the course ResNet18 with --model resnet18)"),
                  MetricSpec("layers", help: "layer calls in the table"),
                  MetricSpec("standard_parameters", help: "trainable parameters of the standard ResNet18 (--model resnet18)")],
        train: run)

    /// Which network, and the hw3 network's shape.
    struct Settings: ExperimentSettings {
        enum Model: String, CaseIterable { case hw3, resnet18 }
        var model = Model.hw3
        var channels = 16
        var activation = HW3ResNet.Activation.relu
        var norm = HW3ResNet.Norm.batch
        var height = 8, width = 8
        static let fields: [SettingField<Settings>] = [
            .choice("model", \.model, help: "hw3: the digits ResNet; resnet18: the course's and the standard ResNet18 on 3 x 32 x 32"),
            .int("channels", \.channels, range: 1...512, help: "channels C of the hw3 network"),
            .choice("act", \.activation, help: "activation (hw3)"),
            .choice("norm", \.norm, help: "BatchNorm2d, or LayerNorm over [C, H, W] (hw3)"),
            .int("height", \.height, range: 2...4096, help: "input image height (hw3)"),
            .int("width", \.width, range: 2...4096, help: "input image width (hw3)"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        var generator = SeededGenerator(seed: context.seed)
        guard settings.model == .hw3 else {
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
        let (height, width) = (settings.height, settings.width)
        let model = HW3ResNet(channels: settings.channels, activation: settings.activation, norm: settings.norm,
                              inputSize: (height, width), generator: &generator)
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
