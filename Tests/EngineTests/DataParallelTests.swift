import Foundation
import PluginAPI
import XCTest

/// `DataParallel.backward` splits a step's batch into parts that go forward and backward at
/// once; the gradients must be those of the whole batch's mean loss, and must not depend on
/// the thread count.
final class DataParallelTests: XCTestCase {
    final class Net: Module {
        let hidden: Linear, output: Linear
        init(generator: inout SeededGenerator) {
            hidden = Linear(6, 20, generator: &generator)
            output = Linear(20, 3, generator: &generator)
        }
        override func forward(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
    }

    func gradients(_ net: Net) -> [Float] { net.parameters().flatMap { $0.grad?.values ?? [] } }

    /// Against one backward pass over the whole batch: same loss and gradients to float32
    /// rounding, for even and uneven parts, with the gradients added to ones already there.
    func testPartsGiveTheWholeBatchsGradients() {
        for (batch, parts) in [(10, 2), (11, 3), (5, 5), (1, 2)] {
            var generator = SeededGenerator(seed: UInt64(batch * 10 + parts))
            let net = Net(generator: &generator)
            let x = Tensor.normal([batch, 6], generator: &generator), y = Tensor.normal([batch, 3], generator: &generator)
            let whole = (net(x) - y).square().mean()
            whole.backward()
            let expectedLoss = Double(whole.item), expected = gradients(net).map { $0 * 2 }
            // The whole batch's gradients are still in `grad`: the split pass adds its own.
            let loss = DataParallel.backward(batch: batch, parts: parts) { rows in (net(x.rows(rows)) - y.rows(rows)).square().mean() }
            XCTAssertEqual(loss, expectedLoss, accuracy: 1e-6 * max(1, abs(expectedLoss)), "batch \(batch) parts \(parts)")
            assertClose(gradients(net), expected, atol: 1e-6, rtol: 1e-5, "batch \(batch) parts \(parts)")
        }
    }

    /// One thread runs the parts one after the other, two run them at once: the same bits.
    func testThreadCountDoesNotChangeTheNumbers() {
        let pool = WorkerPool.shared, saved = pool.threads
        defer { pool.threads = saved }
        var results: [[Float]] = []
        for threads in [1, 2] {
            pool.threads = threads
            var generator = SeededGenerator(seed: 5)
            let net = Net(generator: &generator)
            let x = Tensor.normal([64, 6], generator: &generator), y = Tensor.normal([64, 3], generator: &generator)
            for _ in 0..<20 {
                _ = DataParallel.backward(batch: 64) { rows in (net(x.rows(rows)) - y.rows(rows)).square().mean() }
            }
            results.append(gradients(net))
        }
        XCTAssertEqual(results[0], results[1])
    }
}
