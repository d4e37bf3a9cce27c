import PluginAPI

/// ResNets for image classification: the hw3 ResNet on digits (CSCI-GA.2565 HW3 problem 2)
/// and CIFAR-10 baselines and ResNet18s (CS189 HW7 problem 4).
public final class ResNetPlugin: Plugin {
    public let name = "ResNet"
    public let version = "0.1.0"
    public let summary = "The hw3 ResNet on 8x8 digits (CSCI-GA.2565 HW3 p2); CIFAR-10 PCA/CCA, least squares and ResNet18 (CS189 HW7 p4)"

    public init() {}

    public var datasets: [DatasetInfo] {
        [DatasetInfo(name: "digits", description: "scikit-learn's load_digits: 1,797 images 8x8, values 0..16, first 180 = validation (or --digits-dir IDX files)",
                     source: .embedded),
         DatasetInfo(name: "cifar10", description: "CIFAR-10 binary version, 50,000 training and 10,000 test images 32x32x3; `host fetch cifar10` downloads it",
                     source: .userPath(option: "cifar-dir"))]
    }

    public var experiments: [Experiment] {
        [DigitsExperiment.declaration, SweepExperiment.declaration, SummaryExperiment.declaration, ConvBiasExperiment.declaration,
         CIFAREmbedExperiment.declaration, CIFARLinearExperiment.declaration,
         CIFARResNet18Experiment.declaration, LRSchemesExperiment.declaration, ThroughputExperiment.declaration]
    }
}
