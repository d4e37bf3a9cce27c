import Foundation
import PluginAPI

/// Experiment `leakage` (the sheet's problem 6): augmenting before the train/validation split
/// puts copies of one image on both sides and inflates the validation score.
public enum LeakageExperiment {
    static let declaration = Experiment(
        name: "leakage",
        summary: "Augment-then-split (leaky) against split-then-augment on digits: train, validation and test accuracy of each",
        settings: Settings.self,
        metrics: [
            MetricSpec("leaky_validation_accuracy"), MetricSpec("leaky_test_accuracy"),
            MetricSpec("proper_validation_accuracy"), MetricSpec("proper_test_accuracy"),
            MetricSpec("leaky_inflation", help: "leaky validation minus leaky test accuracy"),
        ],
        train: run)

    /// The experiment's options: the augmentation and the classifier.
    struct Settings: ExperimentSettings {
        var copies = 4
        var noise: Float = 0.5
        var epochs = 60, hidden = 512
        static let fields: [SettingField<Settings>] = [
            .int("copies", \.copies, range: 1...50, help: "augmented copies per image (a one-pixel shift and noise each)"),
            .double("noise", \.noise, min: 0, max: 16, help: "standard deviation of the pixel noise of each copy (pixels are 0...16)"),
            .int("epochs", \.epochs, range: 1...10_000, help: "Adam epochs of the classifier (long enough to memorise its training set)"),
            .int("hidden", \.hidden, range: 1...10_000, help: "hidden units of the classifier"),
        ]
    }

    /// `copies` versions of each image: shifted by one pixel in a random direction, plus noise.
    public static func augment(_ set: LabeledImages, copies: Int, noise: Float = 0.5, generator g: inout SeededGenerator) -> LabeledImages {
        let (h, w) = (set.height, set.width)
        var images: [Float] = [], labels: [Int] = []
        for i in 0..<set.count {
            let image = Array(set.images[i * h * w..<(i + 1) * h * w])
            for _ in 0..<copies {
                let (dy, dx) = (Int(g.next() % 3) - 1, Int(g.next() % 3) - 1)
                for y in 0..<h {
                    for x in 0..<w {
                        let (sy, sx) = (y - dy, x - dx)
                        let v = sy >= 0 && sy < h && sx >= 0 && sx < w ? image[sy * w + sx] : 0
                        images.append(max(0, v + noise * Float(g.nextNormal())))
                    }
                }
                labels.append(set.labels[i])
            }
        }
        return LabeledImages(images: images, labels: labels, channels: 1, height: h, width: w)
    }

    static func shuffled(_ set: LabeledImages, generator g: inout SeededGenerator) -> LabeledImages {
        var order = Array(0..<set.count)
        order.shuffle(using: &g)
        let size = set.imageSize
        return LabeledImages(images: order.flatMap { set.images[$0 * size..<($0 + 1) * size] }, labels: order.map { set.labels[$0] },
                             channels: 1, height: set.height, width: set.width)
    }

    /// Trains an MLP on `train`, reporting to `watch` as `name`; the accuracies on train, validation and test.
    static func trainAndScore(train: LabeledImages, validation: LabeledImages, test: LabeledImages, hidden: Int, epochs: Int, seed: UInt64,
                              name: String, watch: TrainingWatch) throws -> (Double, Double, Double) {
        var g = SeededGenerator(seed: seed)
        let net = Sequential(Linear(train.imageSize, hidden, generator: &g), ReLU(), Linear(hidden, 10, generator: &g))
        let optimizer = Adam(net.parameters(), lr: 1e-3)
        let x = train.batch(0..<train.count).reshape([train.count, train.imageSize]) / 16
        // One unit per minibatch of 64: `epochs` passes over the training images in order.
        let batches = (train.count + 63) / 64
        try TrainingLoop("leakage: \(name)", total: epochs * batches, unit: .batch, logEvery: max(batches, 1), watch: watch,
                         divergenceHint: "its Adam step is fixed at 1e-3; try a smaller --hidden").run(step: { k in
            let first = ((k - 1) % batches) * 64
            let range = first..<min(first + 64, train.count)
            optimizer.zeroGrad()
            let loss = crossEntropy(net(x.rows(range)), targets: Array(train.labels[range]))
            let value = Double(loss.item)
            if value.isFinite { loss.backward(); optimizer.step() }
            return value
        })
        func accuracy(_ set: LabeledImages) -> Double {
            let logits = noGrad { net(set.batch(0..<set.count).reshape([set.count, set.imageSize]) / 16) }
            return PluginAPI.accuracy(logits, targets: set.labels)
        }
        return (accuracy(train), accuracy(validation), accuracy(test))
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (copies, epochs, hidden, noise) = (settings.copies, settings.epochs, settings.hidden, settings.noise)
        let data = try DigitsDataset.embedded()
        var g = SeededGenerator(seed: context.seed)
        // 180 images drawn at random are a test set nobody touches; the rest is split 80/20.
        let all = shuffled(data, generator: &g)
        // The test images get the same augmentation, so all three scores are on alike images.
        let rest = all.slice(180..<all.count)
        let test = augment(all.slice(0..<180), copies: copies, noise: noise, generator: &g)
        // Leaky: augment everything, then split, so copies of one image fall on both sides.
        let augmentedAll = shuffled(augment(rest, copies: copies, noise: noise, generator: &g), generator: &g)
        let cut = augmentedAll.count * 4 / 5
        let leaky = try trainAndScore(train: augmentedAll.slice(0..<cut), validation: augmentedAll.slice(cut..<augmentedAll.count), test: test,
                                      hidden: hidden, epochs: epochs, seed: context.seed, name: "leaky", watch: TrainingWatch(context))
        // Proper: split the originals first, then augment each side on its own.
        let originalCut = rest.count * 4 / 5
        let proper = try trainAndScore(train: shuffled(augment(rest.slice(0..<originalCut), copies: copies, noise: noise, generator: &g), generator: &g),
                                       validation: augment(rest.slice(originalCut..<rest.count), copies: copies, noise: noise, generator: &g), test: test,
                                       hidden: hidden, epochs: epochs, seed: context.seed, name: "proper", watch: TrainingWatch(context))
        for (name, r) in [("leaky", leaky), ("proper", proper)] {
            context.metrics.final("\(name)_validation_accuracy", r.1)
            context.metrics.final("\(name)_test_accuracy", r.2)
            context.log(String(format: "leakage: %@ (%@): train %.4f, validation %.4f, test %.4f", name,
                               name == "leaky" ? "augment, then split" : "split, then augment", r.0, r.1, r.2))
        }
        context.metrics.final("leaky_inflation", leaky.1 - leaky.2)
        context.log(String(format: "leakage: the leaky validation score overstates the test score by %.4f; split first and it is off by %.4f", leaky.1 - leaky.2, proper.1 - proper.2))
        try context.artifacts.writeCSV("leakage.csv", header: ["pipeline", "train_accuracy", "validation_accuracy", "test_accuracy"],
                                       rows: [["augment then split (leaky)"] + [leaky.0, leaky.1, leaky.2].map(formatNumber),
                                              ["split then augment"] + [proper.0, proper.1, proper.2].map(formatNumber)])
        let bars = BarChart(title: "Leakage: accuracy by pipeline", yLabel: "accuracy", categories: ["train", "validation", "test"],
                            series: [(name: "augment then split (leaky)", values: [leaky.0, leaky.1, leaky.2], errors: nil),
                                     (name: "split then augment", values: [proper.0, proper.1, proper.2], errors: nil)])
        try context.artifacts.write(bars.svg(), to: "leakage.svg")
    }
}
