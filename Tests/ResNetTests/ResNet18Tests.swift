import Foundation
import PluginAPI
import ResNet
import XCTest

/// Both ResNet18s against PyTorch, the learning-rate schemes, and the CIFAR batches.
final class ResNet18Tests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/resnet18/resnet18.json").path

    /// The weights `bench/resnet18.py` (fixture_weights) gives both networks.
    func setFixtureWeights(_ model: Module) {
        for (k, (name, p)) in model.namedParameters().enumerated() {
            let values = (0..<p.count).map { i -> Float in
                let s = sin(0.7 * Double(i) + Double(k))
                if p.rank >= 2 { return Float(s / (Double(p.count) / Double(p.shape[0])).squareRoot()) }
                return Float(name.hasSuffix("weight") ? 1 + 0.1 * s : 0.1 * s)
            }
            p.copy_(Tensor(values, shape: p.shape))
        }
    }

    func testBothArchitecturesMatchPyTorchForwardBackwardAndSGD() throws {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Self.fixture))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: [Double]]])
        for architecture in ResNet18.Architecture.allCases {
            let expected = try XCTUnwrap(json[architecture.rawValue])
            var generator = SeededGenerator(seed: 0)
            let model = ResNet18.make(architecture, generator: &generator)
            setFixtureWeights(model)
            let x = Tensor((0..<(4 * 3072)).map { Float(sin(0.013 * Double($0))) }, shape: [4, 3, 32, 32])
            let labels = [3, 1, 4, 1]
            func close(_ ours: [Float], _ theirs: [Double]?, _ what: String, tolerance: Double) throws {
                let theirs = try XCTUnwrap(theirs)
                XCTAssertEqual(ours.count, theirs.count)
                let scale = theirs.map(abs).max() ?? 1
                let worst = zip(ours, theirs).map { abs(Double($0) - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst / scale, tolerance, "\(architecture) \(what): largest difference \(worst) on a scale of \(scale)")
            }
            try close(model(x).values, expected["train_logits_before"], "logits in training mode", tolerance: 1e-4)
            let optimizer = SGD(model.parameters(), lr: 0.05, momentum: 0.9)
            var losses: [Float] = []
            for _ in 0..<2 {
                optimizer.zeroGrad()
                let loss = crossEntropy(model(x), targets: labels)
                loss.backward()
                optimizer.step()
                losses.append(loss.item)
            }
            try close(losses, expected["losses"], "losses of two SGD steps", tolerance: 1e-4)
            model.eval()
            // Evaluation mode after two steps at lr 0.05 amplifies rounding: the running
            // statistics barely moved, so logits reach hundreds. Measured largest relative
            // differences from PyTorch: standard 8.1e-4 with im2col convolutions, 1.6e-3 with
            // Winograd (which the 3x3 layers take); course 1e-6 either way.
            try close(noGrad { model(x) }.values, expected["eval_logits_after"], "logits in evaluation mode after the steps", tolerance: 3e-3)
        }
    }

    func testLearningRateSchemes() {
        XCTAssertEqual(LearningRateScheme.constant.rate(step: 1234, progress: 7.3, epochs: 10), 0.001)
        // The starter multiplies the initial 0.01 by 0.99 before the first step.
        XCTAssertEqual(LearningRateScheme.annealed.rate(step: 0, progress: 0, epochs: 10), 0.0099, accuracy: 1e-17)
        XCTAssertEqual(LearningRateScheme.annealed.rate(step: 100, progress: 0, epochs: 10), 0.01 * pow(0.99, 101), accuracy: 1e-15)
        let special = { (p: Double) in LearningRateScheme.special.rate(step: 0, progress: p, epochs: 7) }   // E = 10
        XCTAssertEqual(special(0), 0)
        XCTAssertEqual(special(2.5), 0.05, accuracy: 1e-15)          // 0.2 p / E
        XCTAssertEqual(special(5), 0.1, accuracy: 1e-15)             // the peak, from both sides
        XCTAssertEqual(special(4.999999), 0.1, accuracy: 1e-6)
        XCTAssertEqual(special(7.5), 0.005 + 0.19 * 0.25, accuracy: 1e-15)
        XCTAssertEqual(special(10), 0.005, accuracy: 1e-15)
        XCTAssertEqual(special(12.5), 0.0025, accuracy: 1e-15)
        XCTAssertEqual(special(16), 0.0005)
    }

    func testBatchesNormaliseCropAndFlipLikeTorchvision() throws {
        // One image whose pixel value encodes its position: byte = (c * 1024 + y * 32 + x) % 251.
        let pixels = (0..<3072).map { UInt8($0 % 251) }
        let set = ByteImages(pixels: pixels, labels: [7])
        let (plain, labels) = CIFARBatcher(augment: false, seed: 0).batch(set, indices: [0][...], draw: 0)
        XCTAssertEqual(labels, [7])
        for (c, q) in [(0, 0), (1, 77), (2, 1023)] {
            let expected = (Float((c * 1024 + q) % 251) / 255 - CIFARBatcher.mean[c]) / CIFARBatcher.std[c]
            XCTAssertEqual(plain.values[c * 1024 + q], expected, accuracy: 1e-5)
        }
        // Augmented: every output pixel is either padding (0 before normalising) or the source
        // pixel at one shift (dx, dy) in -4...4, mirrored or not, the same for all pixels.
        var seenFlip = Set<Bool>(), seenShift = Set<Int>()
        for draw in 0..<40 {
            let (out, _) = CIFARBatcher(augment: true, seed: 3).batch(set, indices: [0][...], draw: UInt64(draw))
            let values = out.values
            let raw: [Float] = (0..<3072).map { (i: Int) -> Float in
                let c = i / 1024
                let unnormalised: Float = values[i] * CIFARBatcher.std[c] + CIFARBatcher.mean[c]
                return (unnormalised * 255).rounded()
            }
            var match: (Int, Int, Bool)?
            search: for flip in [false, true] {
                for dy in -4...4 {
                    for dx in -4...4 {
                        let fits = (0..<3072).allSatisfy { i in
                            let (c, y, x) = (i / 1024, i % 1024 / 32, i % 32)
                            let (sy, sx) = (y + dy, flip ? 31 - x + dx : x + dx)
                            let value: Float = sy >= 0 && sy < 32 && sx >= 0 && sx < 32 ? Float((c * 1024 + sy * 32 + sx) % 251) : 0
                            return raw[i] == value
                        }
                        if fits { match = (dx, dy, flip); break search }
                    }
                }
            }
            let (dx, dy, flip) = try XCTUnwrap(match, "draw \(draw) is not a crop of the padded image")
            seenFlip.insert(flip); seenShift.insert(dx * 10 + dy)
        }
        XCTAssertEqual(seenFlip, [false, true], "both flipped and unflipped images occur")
        XCTAssertGreaterThan(seenShift.count, 10, "many different crops occur")
    }

    func testPrefetcherGivesEveryBatchInOrder() {
        let prefetcher = BatchPrefetcher(count: 5) { k in k * k }
        var got: [Int] = []
        while let batch = prefetcher.nextBatch() { got.append(batch) }
        XCTAssertEqual(got, [0, 1, 4, 9, 16])
    }
}
