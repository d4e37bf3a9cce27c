import Foundation
import HostKit
import PluginAPI
import ResNet
import XCTest

/// The hw3 ResNet (HW3 problem 2), which lives in this plugin: its names, shapes and state
/// against PyTorch's, its memory per step, and the golden model cases of `Tests/Fixtures/golden`
/// (logits, loss and every gradient against PyTorch), which `host verify-ops` leaves to this test.
final class HW3ResNetTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden").path

    /// The golden cases' network, as the case describes it: channels, SiLU or ReLU, LayerNorm or
    /// BatchNorm, and the input's size.
    static func build(_ c: GoldenCase) throws -> Module {
        let x = try c.input("x")
        var generator = SeededGenerator(seed: 0)
        return HW3ResNet(channels: try c.int("channels"), activation: c.bool("silu", default: false) ? .silu : .relu,
                         norm: c.bool("layernorm", default: false) ? .layer : .batch, inputSize: (x.shape[2], x.shape[3]), generator: &generator)
    }

    func testTheGoldenModelCasesMatchPyTorch() throws {
        let results = try GoldenCases.run(folder: Self.golden, models: ["hw3_resnet": Self.build])
        let models = results.filter { $0.op == "model" }
        XCTAssertEqual(models.count, 4, "the fixture's four hw3 ResNet cases")
        for r in models {
            XCTAssertTrue(r.passed, "\(r.name): \(r.error ?? "") " + r.comparisons.filter { !$0.passed }.map { "\($0.key) max abs \($0.maxAbsError)" }.joined(separator: ", "))
            XCTAssertGreaterThan(r.comparisons.count, 10, "\(r.name): logits, loss and every parameter's gradient")
        }
        XCTAssertTrue(results.allSatisfy { $0.passed }, results.filter { !$0.passed }.map(\.name).joined(separator: ", "))
    }

    func testHW3ResNetNamesMatchPyTorch() {
        var g = SeededGenerator(seed: 0)
        let net = HW3ResNet(channels: 16, activation: .relu, norm: .batch, generator: &g)
        XCTAssertEqual(net.namedParameters().map(\.0), [
            "conv1.weight", "norm1.weight", "norm1.bias", "block.conv1.weight", "block.norm1.weight", "block.norm1.bias",
            "block.conv2.weight", "block.norm2.weight", "block.norm2.bias", "fc.weight", "fc.bias"])
        XCTAssertEqual(net.namedBuffers().map(\.0), ["norm1.running_mean", "norm1.running_var", "norm1.num_batches_tracked",
                                                     "block.norm1.running_mean", "block.norm1.running_var", "block.norm1.num_batches_tracked",
                                                     "block.norm2.running_mean", "block.norm2.running_var", "block.norm2.num_batches_tracked"])
        // 144 + 32 + 2304 * 2 + 32 * 2 + 170
        XCTAssertEqual(net.parameterCount, 144 + 32 + 2 * 2304 + 2 * 32 + 170)
    }

    func testSaveAndLoadRoundTrip() throws {
        var g = SeededGenerator(seed: 1)
        let a = HW3ResNet(channels: 4, activation: .silu, norm: .layer, generator: &g)
        let b = HW3ResNet(channels: 4, activation: .silu, norm: .layer, generator: &g)
        let folder = NSTemporaryDirectory() + "state-\(UUID().uuidString.prefix(6))"
        try a.save(to: folder)
        XCTAssertNotEqual(a.fc.weight.values, b.fc.weight.values)
        try b.load(from: folder)
        for ((n1, t1), (_, t2)) in zip(a.stateDict(), b.stateDict()) { XCTAssertEqual(t1.values, t2.values, n1) }
    }

    func testBatchNormCountsItsTrainingBatchesAndOlderStatesWithoutTheCountLoad() throws {
        var g = SeededGenerator(seed: 4)
        let net = HW3ResNet(channels: 4, activation: .relu, norm: .batch, generator: &g)
        let x = Tensor.uniform([3, 1, 8, 8], low: -1, high: 1, generator: &g)
        _ = net(x); _ = net(x)
        net.eval(); _ = net(x)
        let counts = net.namedBuffers().filter { $0.0.hasSuffix("num_batches_tracked") }
        XCTAssertEqual(counts.count, 3)
        XCTAssertEqual(counts.map { $0.1.shape }, [[], [], []], "a scalar, as PyTorch's")
        XCTAssertEqual(counts.map { $0.1[flat: 0] }, [2, 2, 2], "two training passes; the evaluation pass does not count")
        // A checkpoint written before the count existed still loads; the count keeps its value.
        let folder = NSTemporaryDirectory() + "old-state-\(UUID().uuidString.prefix(6))"
        try net.save(to: folder)
        for (name, _) in counts { try FileManager.default.removeItem(atPath: folder + "/" + name + ".npy") }
        let fresh = HW3ResNet(channels: 4, activation: .relu, norm: .batch, generator: &g)
        try fresh.load(from: folder)
        XCTAssertEqual((fresh.norm1 as? BatchNorm2d)?.weight.values, (net.norm1 as? BatchNorm2d)?.weight.values)
    }

    func testAWholeResNetStepReleasesItsGraph() {
        for (activation, norm) in [(HW3ResNet.Activation.relu, HW3ResNet.Norm.batch), (.silu, .layer)] {
            var g = SeededGenerator(seed: 2)
            let net = HW3ResNet(channels: 8, activation: activation, norm: norm, generator: &g)
            let optimizer = SGD(net.parameters(), lr: 0.01, momentum: 0.9)
            var xg = SeededGenerator(seed: 3)
            let x = Tensor.uniform([16, 1, 8, 8], low: -1, high: 1, generator: &xg)
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

    func testModelSummaryOfTheHW3ResNet() {
        var g = SeededGenerator(seed: 0)
        let net = HW3ResNet(channels: 16, activation: .relu, norm: .layer, inputSize: (28, 28), generator: &g)
        let summary = ModelSummary.of(net, input: Tensor.zeros([2, 1, 28, 28]))
        XCTAssertEqual(summary.rows.map(\.name), ["conv1", "norm1", "pool", "block.conv1", "block.norm1", "block.conv2", "block.norm2", "head", "fc"])
        XCTAssertEqual(summary.rows.map(\.outputShape), [[2, 16, 14, 14], [2, 16, 14, 14], [2, 16, 7, 7], [2, 16, 7, 7], [2, 16, 7, 7],
                                                          [2, 16, 7, 7], [2, 16, 7, 7], [2, 16, 1, 1], [2, 10]])
        // K^2 C F for the convs (no bias), 2 C H W for each LayerNorm, (C + 1) 10 for fc.
        XCTAssertEqual(summary.rows.map(\.parameters), [9 * 16, 2 * 16 * 14 * 14, 0, 9 * 16 * 16, 2 * 16 * 49, 9 * 16 * 16, 2 * 16 * 49, 0, 170])
        XCTAssertEqual(summary.totalParameters, summary.rows.map(\.parameters).reduce(0, +))
        XCTAssertTrue(summary.text().contains("total parameters: \(summary.totalParameters)"))
    }
}
