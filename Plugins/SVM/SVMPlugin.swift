import PluginAPI

/// Kernel SVMs by projected gradient descent (CS446 HW2 problems 1-2, CSCI-GA.2565 HW3 problem 3) and a
/// softmax classifier of facial expressions (CAFE).
public final class SVMPlugin: Plugin {
    public let name = "SVM"
    public let version = "0.1.0"
    public let summary = "Kernel SVM duals by projected gradient descent, and softmax on CAFE faces (CS446 HW2, CSCI-GA.2565 HW3)"

    public init() {}

    public var datasets: [DatasetInfo] {
        [DatasetInfo(name: "xor", description: "the four points (+-1, +-1) with XOR labels", source: .embedded),
         DatasetInfo(name: "user arrays", description: "x (n x d) and y (n, +-1) as .npy files", source: .userPath(option: "x")),
         DatasetInfo(name: "cafe", description: "CAFE faces, 380x240 PGM, 6 expressions; default: a generated stand-in (54 cartoon faces) in the same format",
                     source: .generated),
         DatasetInfo(name: "cafe (real)", description: "a copy of the real CAFE images", source: .userPath(option: "cafe-dir"))]
    }

    public var experiments: [Experiment] {
        [XORExperiment.declaration, SolveExperiment.declaration, BiasExperiment.declaration, CafeExperiment.declaration]
    }
}
