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
}
