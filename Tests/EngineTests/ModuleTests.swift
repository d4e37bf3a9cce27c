import Foundation
import PluginAPI
import XCTest

final class ModuleTests: XCTestCase {
    func testSequentialNamesAndModes() {
        var g = SeededGenerator(seed: 0)
        let model = Sequential(Linear(3, 4, generator: &g), ReLU(), BatchNorm2d(4), Linear(4, 2, bias: false, generator: &g))
        XCTAssertEqual(model.namedParameters().map(\.0), ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight"])
        model.eval()
        XCTAssertFalse(model.layers[2].training)
        model.train()
        XCTAssertTrue(model.layers[2].training)
    }

    func testLoadErrorsNameTheTensor() throws {
        var g = SeededGenerator(seed: 1)
        let net = Linear(3, 2, generator: &g)
        XCTAssertThrowsError(try net.loadStateDict(["weight": Tensor.zeros([2, 3])])) { error in
            XCTAssertEqual((error as? PluginError)?.message, "the state has no tensor 'bias'")
        }
        XCTAssertThrowsError(try net.loadStateDict(["weight": Tensor.zeros([3, 3]), "bias": Tensor.zeros([2])])) { error in
            XCTAssertEqual((error as? PluginError)?.message, "tensor 'weight' has shape [3, 3], the model needs [2, 3]")
        }
    }

    func testDefaultInitialisationBounds() {
        var g = SeededGenerator(seed: 3)
        let conv = Conv2d(inChannels: 16, outChannels: 32, kernelSize: 3, generator: &g)
        let bound = 1 / Float(16 * 9).squareRoot()
        XCTAssertLessThanOrEqual(conv.weight.values.map(abs).max() ?? 0, bound)
        XCTAssertGreaterThan(conv.weight.values.map(abs).max() ?? 0, 0.95 * bound)
        let w = Tensor.zeros([256, 512])
        Init.kaimingNormal(w, generator: &g)
        let variance = w.values.reduce(0) { $0 + Double($1 * $1) } / Double(w.count)
        XCTAssertEqual(variance, 2.0 / 512, accuracy: 0.05 * 2.0 / 512)
        Init.xavierUniform(w, generator: &g)
        XCTAssertLessThanOrEqual(w.values.map(abs).max() ?? 0, (6 / Float(768)).squareRoot())
    }

    func testTrainingAndEvaluationBatchNormDiffer() {
        let bn = BatchNorm2d(2)
        let x = random([4, 2, 3, 3], seed: 2) * 3 + 1
        let train = bn(x)
        XCTAssertEqual(Double(train.mean().item), 0, accuracy: 1e-5)
        XCTAssertNotEqual(bn.runningMean.values, [0, 0])
        bn.eval()
        XCTAssertNotEqual(bn(x).values, train.values)
    }

    func testSchedules() {
        XCTAssertEqual(LRSchedule.step(stepSize: 10, gamma: 0.5).rate(at: 25, base: 1), 0.25)
        XCTAssertEqual(LRSchedule.exponential(gamma: 0.99).rate(at: 2, base: 0.01), 0.01 * 0.99 * 0.99, accuracy: 1e-9)
        XCTAssertEqual(LRSchedule.custom { p, base in base * Float(1 - p / 10) }.rate(at: 5, base: 2), 1)
    }

    func testATinyNetworkLearns() {
        // XOR with a 2-8-1 network and Adam: a real training loop through the engine.
        var g = SeededGenerator(seed: 4)
        let model = Sequential(Linear(2, 8, generator: &g), Tanh(), Linear(8, 1, generator: &g))
        let x = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2]), y = Tensor([0, 1, 1, 0], shape: [4, 1])
        let optimizer = Adam(model.parameters(), lr: 0.05)
        var loss: Float = 1
        for _ in 0..<500 {
            optimizer.zeroGrad()
            let l = mseLoss(model(x), y)
            l.backward()
            optimizer.step()
            loss = l.item
        }
        XCTAssertLessThan(loss, 1e-3)
    }
}
