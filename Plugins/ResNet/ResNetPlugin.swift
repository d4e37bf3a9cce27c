import PluginAPI

/// ResNets for image classification: the hw3 ResNet on digits (CSCI-GA.2565 HW3 problem 2).
public final class ResNetPlugin: Plugin {
    public let name = "ResNet"
    public let version = "0.1.0"
    public let summary = "The hw3 ResNet on 8x8 digits: BatchNorm/LayerNorm x ReLU/SiLU (CSCI-GA.2565 HW3 problem 2)"

    public init() {}

    public var datasets: [DatasetInfo] {
        [DatasetInfo(name: "digits", description: "scikit-learn's load_digits: 1,797 images 8x8, values 0..16, first 180 = validation (or --digits-dir IDX files)",
                     source: .embedded)]
    }

    public var experiments: [Experiment] {
        [DigitsExperiment.declaration, SweepExperiment.declaration, SummaryExperiment.declaration,
         CIFAREmbedExperiment.declaration, CIFARLinearExperiment.declaration,
         CIFARResNet18Experiment.declaration, ThroughputExperiment.declaration]
    }
}
