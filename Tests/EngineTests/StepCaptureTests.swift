import Foundation
import PluginAPI
import XCTest

/// A captured step replays the kernels of its first run; these tests hold every replay to the
/// eager step it stands for (the same model trained the ordinary way beside it, bit for bit)
/// and check that what cannot be replayed runs eagerly with the same numbers.
final class StepCaptureTests: XCTestCase {
    /// A model, its optimizer and its loss, built twice from one seed: one trains eagerly, one
    /// through `StepCapture`.
    struct Setup {
        let model: Module
        let optimizer: Optimizer
        var state: [Tensor] = []
        let loss: ([Tensor]) -> Tensor
    }

    /// The eager step `StepCapture` stands for: zero_grad, loss, backward (per part, as
    /// DataParallel), step when finite.
    func eagerStep(_ setup: Setup, _ inputs: [Tensor], parts: Int) -> Double {
        setup.optimizer.zeroGrad()
        let value: Double
        if parts > 1 {
            value = DataParallel.backward(batch: inputs[0].shape[0], parts: parts) { rows in setup.loss(inputs.map { $0.rows(rows) }) }
        } else {
            let loss = setup.loss(inputs)
            loss.backward()
            value = Double(loss.item)
        }
        if value.isFinite { setup.optimizer.step() }
        return value
    }

    /// Trains both copies for `steps` steps on `batches(step)` and compares losses, parameters
    /// and gradients exactly; returns the capture for checks of how it ran.
    @discardableResult
    func assertReplayMatchesEager(_ make: () -> Setup, parts: Int = 1, steps: Int = 5, batches: (Int) -> [Tensor],
                                  _ label: String, file: StaticString = #filePath, line: UInt = #line) -> StepCapture {
        let (eager, captured) = (make(), make())
        let capture = StepCapture(captured.optimizer, parts: parts, state: captured.state, loss: captured.loss)
        for step in 0..<steps {
            let inputs = batches(step)
            let expected = eagerStep(eager, inputs, parts: parts)
            let got = capture.step(inputs)
            XCTAssertEqual(got.bitPattern, expected.bitPattern, "\(label): loss of step \(step) (\(got) vs \(expected))", file: file, line: line)
        }
        for (a, b) in zip(eager.model.parameters(), captured.model.parameters()) {
            XCTAssertEqual(a.values, b.values, "\(label): parameters", file: file, line: line)
            XCTAssertEqual(a.grad?.values, b.grad?.values, "\(label): gradients", file: file, line: line)
        }
        XCTAssertNotEqual(eager.model.parameters()[0].values, make().model.parameters()[0].values, "\(label): the steps moved the parameters",
                          file: file, line: line)
        return capture
    }

    /// Linear(20, 32), ReLU, Linear(32, 5) with Adam on the cross-entropy of the targets given.
    func classifier() -> Setup {
        var g = SeededGenerator(seed: 11)
        let model = Sequential(Linear(20, 32, generator: &g), ReLU(), Linear(32, 5, generator: &g))
        return Setup(model: model, optimizer: Adam(model.parameters(), lr: 0.01)) { batch in crossEntropy(model(batch[0]), targets: batch[1]) }
    }

    /// Conv, norm, activation, max pool, a residual conv, average pool and a linear head (the
    /// hw3 ResNet's operations) with SGD; `state` holds BatchNorm's running statistics.
    func convNet(batchNorm: Bool) -> (Setup, state: [Tensor]) {
        var g = SeededGenerator(seed: 16)
        let norm: Module = batchNorm ? BatchNorm2d(4) : LayerNorm([4, 4, 4])
        let conv1 = Conv2d(inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2, padding: 1, bias: false, generator: &g)
        let conv2 = Conv2d(inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, bias: true, generator: &g)
        let fc = Linear(4, 3, generator: &g)
        let model = Sequential(conv1, norm, batchNorm ? ReLU() : SiLU(), MaxPool2d(2), conv2, AdaptiveAvgPool2d(1), Flatten(), fc)
        let setup = Setup(model: model, optimizer: SGD(model.parameters(), lr: 0.05, momentum: 0.9)) { batch in
            crossEntropy(model(batch[0]), targets: batch[1])
        }
        return (setup, model.namedBuffers().map(\.1))
    }

    /// Random images and class indices (as Float), different for every step.
    func imageBatch(_ step: Int, rows: Int, classes: Int, shape: [Int]) -> [Tensor] {
        var g = SeededGenerator(seed: 200 + UInt64(step))
        let labels = (0..<rows).map { _ in Float(Int(g.nextFloat() * Float(classes)) % classes) }
        return [random([rows] + shape, seed: 300 + UInt64(step)), Tensor(labels, shape: [rows])]
    }

    /// Linear(d, 2d), ReLU, Linear(2d, 1) with SGD and momentum on the hinge loss (the Parity network).
    func hingeNetwork(d: Int = 30) -> Setup {
        var g = SeededGenerator(seed: 12)
        let model = Sequential(Linear(d, 2 * d, generator: &g), ReLU(), Linear(2 * d, 1, generator: &g))
        return Setup(model: model, optimizer: SGD(model.parameters(), lr: 0.05, momentum: 0.9)) { batch in
            hingeLoss(model(batch[0]).reshape([batch[1].count]), batch[1])
        }
    }

    /// Linear(16, 24), ReLU, Linear(24, 16) with nesterov SGD and weight decay on the MSE to the input.
    func autoencoder(inFeatures: Int = 16, hidden: Int = 24) -> Setup {
        var g = SeededGenerator(seed: 13)
        let model = Sequential(Linear(inFeatures, hidden, generator: &g), ReLU(), Linear(hidden, inFeatures, generator: &g))
        return Setup(model: model, optimizer: SGD(model.parameters(), lr: 0.1, momentum: 0.5, weightDecay: 0.01, nesterov: true)) { batch in
            mseLoss(model(batch[0]), batch[0])
        }
    }

    /// Random {0,1} inputs (features) and ±1 labels, different for every step.
    func bitBatch(_ step: Int, rows: Int = 10, features: Int = 30) -> [Tensor] {
        var g = SeededGenerator(seed: 100 + UInt64(step))
        let x = (0..<rows * features).map { _ in Float(g.nextFloat() < 0.5 ? 0 : 1) }
        let y = (0..<rows).map { _ in Float(g.nextFloat() < 0.5 ? -1 : 1) }
        return [Tensor(x, shape: [rows, features]), Tensor(y, shape: [rows])]
    }

    func testReplayedStepsMatchEagerStepsBitForBit() {
        let classes = assertReplayMatchesEager(classifier, batches: { imageBatch($0, rows: 12, classes: 5, shape: [20]) }, "classifier, Adam")
        XCTAssertEqual(classes.replayed, 4)
        XCTAssertTrue(classes.description.contains("replayed"), classes.description)
        for parts in [1, 2, 3] {
            let hinge = assertReplayMatchesEager({ hingeNetwork() }, parts: parts, batches: { bitBatch($0) }, "hinge on bits, \(parts) parts")
            XCTAssertEqual(hinge.replayed, 4, hinge.description)
            let mse = assertReplayMatchesEager({ autoencoder() }, parts: parts, batches: { [random([9, 16], seed: 40 + UInt64($0))] },
                                               "autoencoder, \(parts) parts")
            XCTAssertEqual(mse.replayed, 4, mse.description)
        }
    }

    func testConvolutionNormalisationAndPoolingReplayBitForBit() {
        for batchNorm in [true, false] {
            let label = batchNorm ? "BatchNorm, ReLU" : "LayerNorm, SiLU"
            let make = { () -> Setup in
                var (setup, state) = self.convNet(batchNorm: batchNorm)
                setup.state = state
                return setup
            }
            // The last batch is smaller, as an epoch's last batch: a second capture.
            let capture = assertReplayMatchesEager(make, steps: 6, batches: { imageBatch($0, rows: $0 == 5 ? 3 : 8, classes: 3, shape: [1, 8, 8]) }, label)
            XCTAssertEqual(capture.replayed, 4, capture.description)
            if batchNorm {
                let (eager, replayed) = (make(), make())
                let step = StepCapture(replayed.optimizer, state: replayed.state, loss: replayed.loss)
                for i in 0..<3 {
                    let batch = imageBatch(i, rows: 8, classes: 3, shape: [1, 8, 8])
                    _ = eagerStep(eager, batch, parts: 1)
                    step(batch[0], batch[1])
                }
                XCTAssertEqual(eager.state.map(\.values), replayed.state.map(\.values), "running statistics and the batch count")
                XCTAssertEqual(replayed.state.last?.values, [3], "three batches counted")
                let unnamed = StepCapture(make().optimizer, loss: replayed.loss)
                unnamed(imageBatch(0, rows: 8, classes: 3, shape: [1, 8, 8])[0], imageBatch(0, rows: 8, classes: 3, shape: [1, 8, 8])[1])
                XCTAssertTrue(unnamed.description.contains("nor in `state`"), unnamed.description)
            }
        }
    }

    func testTargetsGivenAsASwiftArrayRefuseTheCapture() {
        let make = { () -> Setup in
            let setup = self.classifier()
            let targets = (0..<12).map { $0 % 5 }
            return Setup(model: setup.model, optimizer: setup.optimizer) { batch in crossEntropy(setup.model(batch[0]), targets: targets) }
        }
        let capture = assertReplayMatchesEager(make, batches: { [random([12, 20], seed: 30 + UInt64($0))] }, "[Int] targets")
        XCTAssertEqual(capture.replayed, 0)
        XCTAssertTrue(capture.description.contains("as a tensor input"), capture.description)
    }

    func testInputsSwitchingBetweenBitsAndDenseValuesFollowTheEagerPaths() {
        // The first layer's input is {0,1} at some steps and not at others: each replay decides
        // the path again, as eager `linear` does.
        let capture = assertReplayMatchesEager({ hingeNetwork() }, steps: 6, batches: { step in
            let batch = bitBatch(step)
            return step % 2 == 0 ? batch : [batch[0] * 0.5, batch[1]]
        }, "bits and halves")
        XCTAssertEqual(capture.replayed, 5, capture.description)
    }

    func testFewRowBatchesOnLargeWeightsMatchTheLowRankEagerPath() {
        // Eager steps on 3 rows leave these 300 x 256 weights low-rank gradients and waiting
        // updates; a replay makes dense gradients. The numbers are the same.
        for momentum: Float in [0, 0.9] {
            let make = { () -> Setup in
                var g = SeededGenerator(seed: 14)
                let model = Sequential(Linear(256, 300, bias: false, generator: &g), ReLU(), Linear(300, 256, bias: false, generator: &g))
                return Setup(model: model, optimizer: SGD(model.parameters(), lr: 0.01, momentum: momentum)) { batch in
                    mseLoss(model(batch[0]), batch[0])
                }
            }
            assertReplayMatchesEager(make, steps: 4, batches: { [random([3, 256], seed: 50 + UInt64($0)) * 4] }, "low rank, momentum \(momentum)")
        }
    }

    func testEachInputShapeGetsItsOwnCapture() {
        let sizes = [8, 5, 8, 5, 12]
        let capture = assertReplayMatchesEager({ autoencoder() }, steps: sizes.count, batches: { [random([sizes[$0], 16], seed: 60 + UInt64($0))] },
                                               "changing batch sizes")
        XCTAssertEqual(capture.replayed, 2, capture.description)
        XCTAssertEqual(capture.description.components(separatedBy: "replayed").count - 1, 3, capture.description)
    }

    func testShapesPastTheLimitRunEagerlyWithoutBeingRemembered() {
        let sizes = Array(1...(StepCapture.maxCaptures + 4)) + [1, 2]
        let capture = assertReplayMatchesEager({ autoencoder() }, steps: sizes.count, batches: { [random([sizes[$0], 16], seed: 400 + UInt64($0))] },
                                               "many batch sizes")
        XCTAssertEqual(capture.replayed, 2, capture.description)
        XCTAssertEqual(capture.eager, StepCapture.maxCaptures + 4)
        let lines = capture.description.split(separator: "\n")
        XCTAssertEqual(lines.count, StepCapture.maxCaptures + 1, capture.description)
        XCTAssertTrue(lines.last?.hasPrefix("4 calls with further shapes: eager") == true, capture.description)
    }

    func testAnOperationThatCannotBeCapturedRunsEagerlyWithTheSameNumbers() {
        let make = { () -> Setup in
            var g = SeededGenerator(seed: 15)
            let model = Sequential(Linear(16, 24, generator: &g), Sigmoid(), Linear(24, 16, generator: &g))
            return Setup(model: model, optimizer: SGD(model.parameters(), lr: 0.1)) { batch in mseLoss(model(batch[0]), batch[0]) }
        }
        let capture = assertReplayMatchesEager(make, batches: { [random([6, 16], seed: 70 + UInt64($0))] }, "sigmoid")
        XCTAssertEqual(capture.replayed, 0)
        XCTAssertEqual(capture.eager, 5)
        XCTAssertTrue(capture.description.contains("`sigmoid` is not capturable"), capture.description)
    }

    func testAValueReadOnTheHostInsideTheStepRunsEagerly() {
        let make = { () -> Setup in
            let setup = self.autoencoder()
            return Setup(model: setup.model, optimizer: setup.optimizer) { batch in
                let loss = setup.loss(batch)
                return loss.item > 100 ? loss * 0.5 : loss   // a decision on a value: frozen in a replay, so refused
            }
        }
        let capture = assertReplayMatchesEager(make, batches: { [random([6, 16], seed: 80 + UInt64($0))] }, "host read")
        XCTAssertEqual(capture.replayed, 0)
        XCTAssertTrue(capture.description.contains("on the host"), capture.description)
    }

    func testATensorThatIsNeitherInputNorParameterIsRefused() {
        let target = random([6, 16], seed: 90)
        let make = { () -> Setup in
            let setup = self.autoencoder()
            return Setup(model: setup.model, optimizer: setup.optimizer) { batch in mseLoss(setup.model(batch[0]), target) }
        }
        let capture = assertReplayMatchesEager(make, batches: { [random([6, 16], seed: 91 + UInt64($0))] }, "foreign tensor")
        XCTAssertEqual(capture.replayed, 0)
        XCTAssertTrue(capture.description.contains("neither an input, nor a parameter"), capture.description)
    }

    func testANonFiniteLossTakesNoStepInAReplay() {
        let setup = autoencoder()
        let capture = StepCapture(setup.optimizer, loss: setup.loss)
        capture(random([4, 16], seed: 92))
        let before = setup.model.parameters().map(\.values)
        let broken = random([4, 16], seed: 93)
        broken[flat: 5] = .nan
        XCTAssertTrue(capture(broken).isNaN)
        XCTAssertEqual(capture.replayed, 1)
        XCTAssertEqual(setup.model.parameters().map(\.values), before, "no step on a NaN loss")
        XCTAssertTrue(capture(random([4, 16], seed: 94)).isFinite, "the next batch trains again")
        XCTAssertNotEqual(setup.model.parameters().map(\.values), before)
    }
}
