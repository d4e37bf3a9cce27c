import Foundation
import PluginAPI

/// Experiment `cafe` (CS446 HW2 problem 3): a softmax classifier of facial expressions, one
/// linear layer 91,200 -> 6 trained full-batch with Adam on cross-entropy.
enum CafeExperiment {
    static let declaration = Experiment(
        name: "cafe",
        summary: "Softmax classifier of facial expressions (CAFE, or its generated stand-in): Adam, full batch; confusion matrices and weight maps",
        settings: Settings.self,
        metrics: [
            MetricSpec("initial_loss", help: "cross-entropy before training"),
            MetricSpec("final_loss", goal: .lowerIsBetter, help: "training cross-entropy of the trained (saved) model, after the last step"),
            MetricSpec("train_accuracy", goal: .higherIsBetter),
            MetricSpec("test_accuracy", goal: .higherIsBetter),
            MetricSpec("ms_per_epoch", unit: "ms", goal: .lowerIsBetter, help: "training time per epoch"),
        ],
        train: run, evaluate: evaluate)

    /// The image folder, Adam's rate and the number of steps.
    struct Settings: ExperimentSettings {
        /// The real CAFE images' folder; nil: the generated stand-in.
        var cafeDir: String?
        var lr: Float = 1e-3
        var epochs = 201

        static let fields: [SettingField<Settings>] = [
            .path("cafe-dir", \.cafeDir, help: "a folder of CAFE .pgm images (DDD_<letter><digit>.pgm, 380 x 240); default: the generated stand-in"),
            .double("lr", \.lr, max: 10, positive: true, help: "Adam learning rate"),
            .int("epochs", \.epochs, range: 1...100_000, help: "full-batch Adam steps; as the starter's fit, the loss is recorded before each (epochs 0 ..< this)"),
        ]
    }

    /// The images in `folder` (`--cafe-dir`), else the generated stand-in.
    static func loadData(_ context: RunContext, folder: String?) throws -> CafeData {
        let data: CafeData
        if let folder {
            data = try CafeData.read(folder: folder)
        } else {
            let folder = try CafeGenerator.cachedFolder()
            context.log("cafe: no --cafe-dir: using the generated stand-in in \(folder) (cartoon faces in CAFE's format; the real set cannot be shipped)")
            data = try CafeData.read(folder: folder)
        }
        if !data.skipped.isEmpty {
            let shown = data.skipped.prefix(5).joined(separator: ", ") + (data.skipped.count > 5 ? ", ..." : "")
            let note = "skipped \(data.skipped.count) .pgm file(s) not named DDD_<letter><digit>.pgm with a letter of a d h m f s, as the starter's pattern does: \(shown)"
            context.log("cafe: note: " + note)
            context.metrics.note("skipped_files", note)
        }
        return data
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let data = try loadData(context, folder: settings.cafeDir)
        let (epochs, lr) = (settings.epochs, settings.lr)
        var generator = SeededGenerator(seed: context.seed)
        let model = Linear(CafeData.pixels, CafeData.emotions.count, generator: &generator)
        context.log("cafe: \(data.train.count) training and \(data.test.count) test images from \(data.folder); \(epochs) epochs of Adam")
        let (x, y) = (data.train.tensor, data.train.labels)
        let optimizer = Adam(model.parameters(), lr: lr)
        var losses: [Double] = []
        // As the starter's fit(net, X, y, n_epochs=201): each epoch records the loss of the
        // current weights, then takes one step, so the curve holds epochs 0 (before training)
        // through epochs - 1 (plot_cafe_loss's "zero'th through 200'th"); the trained model
        // has taken `epochs` steps. metrics.csv numbers its rows by those epochs.
        context.metrics.stepName = "epoch"
        let loop = TrainingLoop("cafe", total: epochs, unit: .epoch, watch: TrainingWatch(isCancelled: { context.isCancelled }, progress: context.progress),
                                lossName: "cross-entropy", divergenceHint: "lower --lr")
        let training = try loop.run(step: { _ in CafeSoftmax.epoch(model, optimizer, images: x, labels: y) }, log: { point in
            losses.append(point.windowLoss)
            context.metrics.log(step: point.step - 1, [("loss", point.windowLoss)])
            return []
        })
        let trainedLoss = CafeSoftmax.loss(model, images: x, labels: y)
        guard trainedLoss.isFinite else { throw PluginError.diverged("the cross-entropy became \(trainedLoss) after the last epoch", hint: "lower --lr") }
        let steps = training.completed
        let seconds = training.seconds
        context.log("cafe: \(losses.count) losses recorded (epochs 0-\(losses.count - 1), before each step); after step \(steps): \(formatNumber(trainedLoss))")
        context.metrics.final("initial_loss", losses.first ?? .nan)
        context.metrics.final("final_loss", trainedLoss)
        context.metrics.final("ms_per_epoch", seconds * 1000 / Double(max(steps, 1)))
        try report(model, data: data, context: context)
        let loss = LinePlot(title: "CAFE softmax: training cross-entropy before each Adam step", xLabel: "epoch", yLabel: "cross-entropy",
                            series: [Series("train", x: losses.indices.map(Double.init), y: losses)], logY: true)
        try context.artifacts.write(loss.svg(), to: "loss.svg")
        try weightMaps(model, context: context)
        try samples(data, context: context)
        let checkpoint = try context.artifacts.makeFolder("checkpoint")
        try model.save(to: checkpoint)
    }

    /// `host eval SVM cafe --checkpoint DIR`: the saved classifier's matrices and accuracies.
    static func evaluate(_ context: RunContext, _ settings: Settings, checkpoint: String) throws {
        let data = try loadData(context, folder: settings.cafeDir)
        var generator = SeededGenerator(seed: 0)
        let model = Linear(CafeData.pixels, CafeData.emotions.count, generator: &generator)
        try model.load(from: checkpoint)
        try report(model, data: data, context: context)
    }

    /// Accuracies, confusion matrices (logged as tables, in notes, as CSV and as heatmaps).
    static func report(_ model: Linear, data: CafeData, context: RunContext) throws {
        let names = CafeData.emotions.map(\.name)
        for (split, set) in [("train", data.train), ("test", data.test)] where set.count > 0 {
            let predicted = noGrad { model(set.tensor).argmax(axis: 1) }
            var matrix = [[Double]](repeating: [Double](repeating: 0, count: names.count), count: names.count)
            for (truth, guess) in zip(set.labels, predicted) { matrix[truth][guess] += 1 }
            let accuracy = Double(zip(set.labels, predicted).filter { $0 == $1 }.count) / Double(set.count)
            context.metrics.final("\(split)_accuracy", accuracy)
            let table = confusionTable(matrix, names: names)
            context.log("cafe: \(split) confusion matrix (rows: true, columns: predicted), accuracy \(formatNumber(accuracy)):\n" + table)
            context.metrics.note("\(split) confusion (rows true, columns predicted)", table)
            try context.artifacts.writeCSV("confusion_\(split).csv", header: ["true \\ predicted"] + names,
                                           rows: zip(names, matrix).map { [$0] + $1.map { String(Int($0)) } })
            let map = Heatmap(title: "CAFE \(split) confusion matrix (accuracy \(formatNumber(accuracy)))", rowLabels: names, columnLabels: names, values: matrix)
            try context.artifacts.write(map.svg(), to: "confusion_\(split).svg")
        }
    }

    /// The six weight rows as 380 x 240 maps, as the handout's recipe (3e): one min and max
    /// over all six, w = (w - min) * 255 / (max - min) in Float, cast to integers (torch's
    /// `.int()` truncates toward zero), each level shown as that grey (0 black, 255 white).
    static func weightMaps(_ model: Linear, context: RunContext) throws {
        let w = model.weight.values
        let maps = (0..<CafeData.emotions.count).map { Tensor(Array(w[$0 * CafeData.pixels..<($0 + 1) * CafeData.pixels]), shape: [CafeData.rows, CafeData.columns]) }
        let images = Image.jointlyScaled(maps, rounding: .towardZero)
        let ranges = zip(CafeData.emotions, images).map { "\($0.name) \($1.pixels.min() ?? 0)-\($1.pixels.max() ?? 0)" }
        context.log("cafe: weight maps: integer levels per expression (of 0-255 over all six): " + ranges.joined(separator: ", "))
        try context.artifacts.writePNG(Image.grid(images, captions: CafeData.emotions.map(\.name), columns: 3), to: "weights.png")
    }

    /// One training image per expression.
    static func samples(_ data: CafeData, context: RunContext) throws {
        var images: [Image] = [], captions: [String] = []
        for (label, emotion) in CafeData.emotions.enumerated() {
            guard let i = data.train.labels.firstIndex(of: label) else { continue }
            let pixels = Array(data.train.images[i * CafeData.pixels..<(i + 1) * CafeData.pixels])
            images.append(Image(tensor: Tensor(pixels, shape: [CafeData.rows, CafeData.columns]), scaling: .range(0, 1)))
            captions.append("\(emotion.name) (\(data.train.files[i]))")
        }
        try context.artifacts.writePNG(Image.grid(images, captions: captions, columns: 3), to: "samples.png")
    }

    static func confusionTable(_ matrix: [[Double]], names: [String]) -> String {
        let width = max(names.map(\.count).max() ?? 0, 5)
        let header = "".padding(toLength: width, withPad: " ", startingAt: 0) + names.map { " " + String($0.prefix(5)).padding(toLength: 5, withPad: " ", startingAt: 0) }.joined()
        let rows = zip(names, matrix).map { name, row in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + row.map { String(repeating: " ", count: max(0, 6 - String(Int($0)).count)) + String(Int($0)) }.joined()
        }
        return ([header] + rows).joined(separator: "\n")
    }
}
