import PluginAPI

/// Learning parity with a two-layer ReLU network (CS189 HW7, problem 3).
public final class ParityPlugin: Plugin {
    public let name = "Parity"
    public let version = "0.1.0"
    public let summary = "Learning parity with a two-layer ReLU network (CS189 HW7 problem 3)"

    public init() {}

    public var datasets: [DatasetInfo] {
        [DatasetInfo(name: "parity-bits", description: "x and the mask v* uniform on {0,1}^d, y = (-1)^(v*.x)", source: .generated)]
    }

    public var experiments: [Experiment] {
        [TrainExperiment.declaration, SweepExperiment.declaration, GradientsExperiment.declaration, DeepSigmoidExperiment.declaration, ExactExperiment.declaration]
    }
}
