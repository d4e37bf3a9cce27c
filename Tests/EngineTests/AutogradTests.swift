import PluginAPI
import XCTest

/// Autograd against central differences, and the mechanics: accumulation, no-grad, detach.
final class AutogradTests: XCTestCase {
    func testBroadcastingArithmetic() {
        let b = random([1, 4], seed: 9), c = random([3, 1], seed: 10)
        assertGradient([3, 4], "add/mul broadcast") { x in ((x + b) * c).square().sum() }
        assertGradient([3, 4], low: 0.5, high: 2, "div") { x in (c / x + x / (b.abs() + 1)).sum() }
        let y = random([3, 4], seed: 11, requiresGrad: true)
        (y * b).sum().backward()
        assertClose(y.grad?.values ?? [], (0..<12).map { b[flat: $0 % 4] }, "grad of y * b")
    }

    func testGradientFlowsToTheBroadcastOperand() {
        let x = random([3, 4], seed: 1)
        assertGradient([4], "row vector") { b in (x * b).square().sum() }
        assertGradient([3, 1], "column vector") { c in (x - c).sum(axis: 1).square().sum() }
    }

    func testReductionsAndShapes() {
        assertGradient([2, 3, 4], "sum axes") { x in x.sum(axes: [0, 2]).square().sum() }
        assertGradient([2, 3, 4], "mean keepdims") { x in (x - x.mean(axis: 1, keepDims: true)).square().mean() }
        assertGradient([3, 5], "max") { x in x.max(axis: 1).square().sum() }
        assertGradient([2, 3, 4], "permute") { x in (x.permute([2, 0, 1]) * random([4, 2, 3], seed: 3)).sum() }
        assertGradient([4, 5], "slice") { x in x.slice(axis: 1, 1..<4).square().sum() }
        assertGradient([4, 3], "rows") { x in x.rows([3, 0, 3]).square().sum() }
        assertGradient([2, 3], "concat") { x in Tensor.concat([x, x.square()], axis: 1).sum(axis: 0).square().sum() }
        assertGradient([2, 6], "reshape") { x in x.reshape([3, -1]).matmul(random([4, 2], seed: 2)).square().sum() }
    }

    func testElementwiseFunctions() {
        assertGradient([10], low: 0.2, high: 3, "exp log sqrt pow") { x in (x.exp() + x.log() + x.sqrt() + x.pow(1.5)).sum() }
        assertGradient([10], "clamp") { x in x.clamp(min: -0.5, max: 0.5).square().sum() }
        assertGradient([10], "activations") { x in (x.tanh() + x.sigmoid() + x.silu() + x.erf() + x.sin() + x.cos()).square().sum() }
    }

    func testMatmulAndSoftmax() {
        let w = random([4, 3], seed: 4)
        assertGradient([2, 5, 4], "batched matmul") { x in x.matmul(w).square().sum() }
        let b = random([2, 4, 3], seed: 6)
        assertGradient([2, 5, 4], "bmm") { x in x.matmul(b).square().sum() }
        assertGradient([3, 5], "softmax") { x in (x.softmax(axis: 1) * random([3, 5], seed: 7)).sum() }
        assertGradient([3, 4, 2], "log_softmax middle axis") { x in (x.logSoftmax(axis: 1) * random([3, 4, 2], seed: 8)).sum() }
    }

    func testGradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad?.values, [5, 5, 5])
    }

    func testATensorUsedTwiceGetsBothContributions() {
        let x = Tensor([2], shape: [1], requiresGrad: true)
        (x * x + x).sum().backward()
        XCTAssertEqual(x.grad?.values, [5])
    }

    func testNoGradAndDetach() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = noGrad { x * 2 }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(y.isLeaf)
        let z = (x * 2).detach()
        XCTAssertFalse(z.requiresGrad)
        let w = x * 2
        XCTAssertTrue(w.requiresGrad)
        XCTAssertFalse(w.isLeaf)
    }

    func testNaNPropagatesThroughActivationsAsInPyTorch() {
        let x = Tensor([.nan, -1, 2], shape: [3])
        XCTAssertTrue(x.relu().values[0].isNaN, "relu(NaN) is NaN, so divergence is not hidden")
        XCTAssertEqual(Array(x.relu().values.dropFirst()), [0, 2])
        XCTAssertTrue(hingeLoss(x, Tensor([1, 1, 1], shape: [3])).item.isNaN)
    }

    func testHingeRejectsTheSilentBroadcast() {
        // (N, 1) scores against (N,) labels would broadcast to N x N in PyTorch; ours insists on equal shapes.
        let scores = Tensor([0.5, -2], shape: [2]), labels = Tensor([1, -1], shape: [2])
        XCTAssertEqual(hingeLoss(scores, labels).item, 0.25)
    }

    /// The fused losses against the chains of ops they replace: values and both inputs' gradients.
    func testFusedLossesMatchTheirChains() {
        let labels = Tensor([1, -1, 1, -1, 1, 1, -1], shape: [7])
        for (name, fused, chain) in [("hinge", hingeLoss, { (x: Tensor, y: Tensor) in (1 - x * y).relu().mean() }),
                                     ("mse", mseLoss, { (x: Tensor, y: Tensor) in (x - y).square().mean() })] {
            var results: [[Float]] = []
            for loss in [fused, chain] {
                let x = Tensor([0.3, 2, -0.5, -1.5, 1.2, -0.2, 0.9], shape: [7], requiresGrad: true)
                let y = Tensor(labels.values, shape: [7], requiresGrad: true)
                let value = loss(x, y)
                (value * 3).backward()
                results.append([value.item] + (x.grad?.values ?? []) + (y.grad?.values ?? []))
            }
            assertClose(results[0], results[1], atol: 1e-6, rtol: 1e-6, name)
        }
    }
}
