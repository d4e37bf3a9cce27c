import PluginAPI
import Parity
import XCTest

final class GradientsTests: XCTestCase {
    /// The stacked-GEMM gradients against autograd on the mean hinge loss over all 2^d inputs.
    func testPopulationGradientsMatchAutogradByBruteForce() {
        for d in [2, 3, 5] {
            var g = SeededGenerator(seed: UInt64(d))
            let network = TwoLayerReLU(d: d, hidden: 4 * d, generator: &g)
            let masks = [0, 1, (1 << d) - 1, 5 % (1 << d)]
            let fast = GradientsExperiment.populationGradients(network, d: d, masks: masks)
            let p = fast.count / masks.count
            let x = Tensor.zeros([1 << d, d])
            for r in 0..<(1 << d) { for j in 0..<d { x.data[r * d + j] = Float((r >> j) & 1) } }
            for (m, mask) in masks.enumerated() {
                let y = Tensor((0..<(1 << d)).map { Float((mask & $0).nonzeroBitCount % 2 == 0 ? 1 : -1) }, shape: [1 << d])
                network.zeroGrad()
                hingeLoss(network(x).reshape([1 << d]), y).backward()
                let reference = network.parameters().flatMap { $0.grad?.values ?? [Float](repeating: 0, count: $0.count) }
                XCTAssertEqual(reference.count, p)
                assertClose(Array(fast[(m * p)..<((m + 1) * p)]), reference, "d \(d) mask \(mask)")
            }
        }
    }

    func testVarianceShrinksWithD() {
        var g = SeededGenerator(seed: 1)
        let small = GradientsExperiment.variance(d: 3, masks: 64, widthFactor: 10, generator: &g)
        let large = GradientsExperiment.variance(d: 9, masks: 64, widthFactor: 10, generator: &g)
        XCTAssertEqual(small.masks, 8, "all 2^3 masks")
        XCTAssertEqual(large.masks, 64, "a sample of 2^9")
        XCTAssertLessThan(large.variance, small.variance / 8)
    }
}

func assertClose(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > 1e-5 + 1e-4 * abs(y) {
        return XCTFail("\(message): [\(i)] \(x) vs \(y)", file: file, line: line)
    }
}
