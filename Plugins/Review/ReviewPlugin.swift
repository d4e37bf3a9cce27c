import PluginAPI

/// The review sheet's exercises and the initialisation questions (CSCI-GA.2565 HW3 problem 1,
/// CS446 HW2 problem 4), measured. Also the example of how an assignment is added: a folder
/// `Plugins/Review` with this class, its experiments, and `Entry/Entry.swift`; the name in
/// `pluginNames` in Package.swift.
public final class ReviewPlugin: Plugin {
    public let name = "Review"
    public let version = "0.1.0"
    public let summary = "Review sheet, measured: instance noise, convolution, CNN shapes, dilation, KL fits, initialisation and its gradients, leakage, GAN gradients, linear networks"

    public init() {}

    public var datasets: [DatasetInfo] {
        [DatasetInfo(name: "generated", description: "random matrices, signals and Gaussian mixtures from the seed", source: .generated),
         DatasetInfo(name: "digits", description: "scikit-learn's 1,797 digits (init, leakage)", source: .embedded)]
    }

    public var experiments: [Experiment] {
        [NoiseExperiment.declaration, ConvolutionExperiment.declaration, ShapesExperiment.declaration, DilationExperiment.declaration,
         KLExperiment.declaration, InitExperiment.declaration, LeakageExperiment.declaration, LeakageSelection.declaration, GANExperiment.declaration,
         LinearNetworksExperiment.declaration, InitGradients.declaration]
    }
}
