import HostKit
import PluginAPI
import XCTest

/// Every op and optimizer trajectory against PyTorch; the hw3 ResNet's four cases are skipped
/// here (the network lives in the ResNet plugin, whose HW3ResNetTests runs them).
final class GoldenTests: XCTestCase {
    func testEveryGoldenCaseMatchesPyTorch() throws {
        let all = try GoldenCases.run(folder: goldenFolder)
        XCTAssertEqual(all.count, 32, "all golden cases were read")
        let skipped = all.filter { $0.skipped != nil }
        XCTAssertEqual(skipped.map(\.op), ["model", "model", "model", "model"], "only the plugin's network is left to its plugin")
        let results = all.filter { $0.skipped == nil }
        for r in results {
            XCTAssertNil(r.error, "\(r.name): \(r.error ?? "")")
            for c in r.comparisons where !c.passed {
                XCTFail("\(r.name) \(c.key): max abs \(c.maxAbsError), worst \(c.worst)")
            }
            XCTAssertTrue(r.passed, r.name)
        }
        let ops = Set(results.map(\.op))
        for op in ["linear", "matmul", "conv2d", "batchnorm2d", "layernorm", "maxpool2d", "avg_pool2d", "adaptive_avg_pool2d", "relu",
                   "silu", "sigmoid", "tanh", "erf", "log_softmax", "cross_entropy", "mse", "hinge", "optimizer"] {
            XCTAssertTrue(ops.contains(op), "no case for \(op)")
        }
    }

    func testAWrongValueIsCaught() throws {
        // The comparison must be able to fail: perturb one value beyond tolerance.
        let a = Tensor([1, 2, 3], shape: [3]), b = Tensor([1, 2, 3.001], shape: [3])
        let c = GoldenCases.compare("x", a, b, tolerance: GoldenCases.forward)
        XCTAssertFalse(c.passed)
        XCTAssertEqual(c.worst.first?.0, 2)
    }
}
