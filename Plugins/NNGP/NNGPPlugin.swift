import PluginAPI

/// Dual activations, NNGP kernels and kernel regression (MIT 6.S088 problem set 3).
public final class NNGPPlugin: Plugin {
    public let name = "NNGP"
    public let version = "0.1.0"
    public let summary = "Dual activations and NNGP kernel regression (MIT 6.S088 problem set 3)"

    public init() {}

    public var datasets: [DatasetInfo] {
        [DatasetInfo(name: "sine-of-sphere", description: "x: N(0, 1) rows normalised to norm 1; y = mean of sin x_i (problem 11)", source: .generated),
         DatasetInfo(name: "user arrays", description: "--x, --y, --x-test, --y-test as .npy", source: .userPath(option: "x")),
         DatasetInfo(name: "digits", description: "scikit-learn's 1,797 digits (challenge): first 180 test, next 180 validation", source: .embedded),
         DatasetInfo(name: "cifar10", description: "CIFAR-10 binary version (cifar-samples, cifar-fc, challenge --data cifar10); `host fetch cifar10` downloads it",
                     source: .userPath(option: "cifar-dir"))]
    }

    public var experiments: [Experiment] { [KernelsExperiment.declaration, DualsExperiment.declaration, WidthExperiment.declaration, ChallengeExperiment.declaration,
                                         CIFARFCExperiment.declaration, CIFARSamplesExperiment.declaration,
                                         GradientExperiment.declaration, DualPropertiesExperiment.declaration, CovarianceExperiment.declaration] }
}
