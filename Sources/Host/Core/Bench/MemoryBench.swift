import Foundation
import PluginAPI

/// Peak tensor memory of one training step against what the step must hold: parameters,
/// their gradients and the activations the backward pass needs (optimizer state lives in
/// the optimizer's own arrays and is left out of both sides).
public enum MemoryBench {
    public struct Report {
        /// Bytes of parameters, of their gradients, and of activations (tensors the forward
        /// pass left alive for backward, the input batch included).
        public var parameters: Int, gradients: Int, activations: Int
        /// The most tensor bytes alive at once during forward, backward and the update.
        public var peak: Int
        public var bound: Int { parameters + gradients + activations }
        public var ratio: Double { Double(peak) / Double(max(bound, 1)) }
    }

    /// One SGD-with-momentum step of a small convolutional network (conv-BN-ReLU twice, max
    /// pool, linear) on a batch of `batch` 16-channel 32 x 32 inputs.
    public static func convNetStep(batch: Int = 32) -> Report {
        var g = SeededGenerator(seed: 11)
        let model = Sequential(
            Conv2d(inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1, bias: false, generator: &g), BatchNorm2d(32), ReLU(),
            Conv2d(inChannels: 32, outChannels: 32, kernelSize: 3, padding: 1, bias: false, generator: &g), BatchNorm2d(32), ReLU(),
            MaxPool2d(2), Flatten(), Linear(32 * 16 * 16, 10, generator: &g))
        let optimizer = SGD(model.parameters(), lr: 0.01, momentum: 0.9)
        let labels = (0..<batch).map { $0 % 10 }
        let parameters = model.parameters().reduce(0) { $0 + $1.count * 4 }
        var report = Report(parameters: parameters, gradients: parameters, activations: 0, peak: 0)
        for _ in 0..<2 {   // the second step measures with the optimizer state already created
            optimizer.zeroGrad()
            let baseline = MemoryStats.currentBytes
            let x = Tensor.uniform([batch, 16, 32, 32], low: -1, high: 1, generator: &g)
            MemoryStats.resetPeak()
            let loss = crossEntropy(model(x), targets: labels)
            report.activations = MemoryStats.currentBytes - baseline
            loss.backward()
            optimizer.step()
            report.peak = MemoryStats.peakBytes - (baseline - parameters)
        }
        return report
    }
}
