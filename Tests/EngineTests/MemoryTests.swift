import HostKit
import PluginAPI
import XCTest

final class MemoryTests: XCTestCase {
    /// Peak tensor memory of a training step stays within 1.5x parameters + gradients + activations.
    func testTrainingStepPeakWithinBound() {
        let report = MemoryBench.convNetStep(batch: 16)
        XCTAssertGreaterThan(report.activations, 0)
        XCTAssertGreaterThan(report.peak, report.parameters + report.activations, "the measurement sees the step")
        XCTAssertLessThanOrEqual(report.ratio, 1.5, "peak \(report.peak) bytes against \(report.bound)")
    }

    func testTensorsAreFreedWithTheGraph() {
        let before = MemoryStats.currentBytes
        do {
            let x = random([64, 64], seed: 1, requiresGrad: true)
            (x.matmul(x).relu().sum()).backward()
            XCTAssertNotNil(x.grad)
        }
        XCTAssertEqual(MemoryStats.currentBytes, before, "every tensor of the step was released")
    }

    func testAWholeResNetStepReleasesItsGraph() {
        for (activation, norm) in [(HW3ResNet.Activation.relu, HW3ResNet.Norm.batch), (.silu, .layer)] {
            var g = SeededGenerator(seed: 2)
            let net = HW3ResNet(channels: 8, activation: activation, norm: norm, generator: &g)
            let optimizer = SGD(net.parameters(), lr: 0.01, momentum: 0.9)
            let x = random([16, 1, 8, 8], seed: 3)
            func step() {
                optimizer.zeroGrad()
                let loss = crossEntropy(net(x).logSoftmax(axis: 1).exp().log(), targets: Array(0..<16).map { $0 % 10 })
                loss.backward()
                optimizer.step()
            }
            step()
            let before = MemoryStats.currentBytes
            step()
            XCTAssertEqual(MemoryStats.currentBytes, before, "\(activation) \(norm): a step leaves only the new gradients")
        }
    }
}
