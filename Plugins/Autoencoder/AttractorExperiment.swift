import Foundation
import PluginAPI

/// Experiment `attractors` (problem 4): f(x) = A relu(B x), 3,072 -> 1,024 -> 3,072, trained to
/// reproduce one (then two) training images; the training images become attractors. For each
/// network, 4(b)'s inputs: a random training image that was not fitted, a test image, uniform
/// noise and the all-zeros vector (f(0) = 0 exactly: no biases), after the fitted images.
public enum AttractorExperiment {
    static let declaration = Experiment(
        name: "attractors",
        summary: "A 3072-1024-3072 ReLU autoencoder fitted to one, then two images: outputs for other inputs, iterates, and distances to the training images",
        settings: Settings.self,
        metrics: [
            MetricSpec("steps_one", help: "steps to fit one image"), MetricSpec("ms_per_step", unit: "ms", goal: .lowerIsBetter),
            MetricSpec("steps_two", help: "steps to fit two images"),
            MetricSpec("train_image_distance_one", goal: .lowerIsBetter, help: "RMS distance of f(random training image, not fitted) to z (one-image network)"),
            MetricSpec("train_image_distance_two", goal: .lowerIsBetter, help: "RMS distance of f(random training image, not fitted) to the nearer of z1, z2 (two-image network)"),
            MetricSpec("test_iterate_distance", goal: .lowerIsBetter, help: "RMS distance of f^20(test image) to the nearest training image (two-image network)"),
            MetricSpec("perturbed_iterate_distance", goal: .lowerIsBetter, help: "largest RMS distance of f^10(z_i + 1e-3 eps) to z_i"),
        ],
        train: run)

    /// The step, when to stop and where the images come from.
    struct Settings: ExperimentSettings {
        var lr: Float = 1e-4
        var targetMSE = 1e-5
        var maxSteps = 5000
        var images = ImageSource.Settings()

        static let fields: [SettingField<Settings>] = [
            .double("lr", \.lr, max: 1, positive: true, help: "gradient descent step on 1/2 ||f(Z) - Z||^2 (1e-4 converges; 1e-3 oscillates)"),
            .double("target-mse", \.targetMSE, max: 1, positive: true, help: "stop when the mean squared error is below this"),
            .int("max-steps", \.maxSteps, range: 1...1_000_000, help: "give up after this many steps"),
        ] + SettingField.nested(\.images, ImageSource.Settings.fields)
    }

    /// The network with PyTorch's default initialisation (no biases).
    public static func network(generator g: inout SeededGenerator) -> Sequential {
        Sequential(Linear(3072, 1024, bias: false, generator: &g), ReLU(), Linear(1024, 3072, bias: false, generator: &g))
    }

    /// Full-batch gradient descent on the rows of `z` until the MSE is below `target`, reporting to
    /// `watch` (whose cancellation ends it early): the steps taken, the MSE after them and the
    /// loop's seconds, or a thrown divergence.
    public static func fit(_ net: Sequential, _ z: Tensor, lr: Float, target: Double, maxSteps: Int,
                           watch: TrainingWatch = .silent) throws -> (steps: Int, mse: Double, seconds: Double) {
        // `measure` gives the MSE at the current weights; `step` then takes one step from there
        // on 1/2 ||f(Z) - Z||^2, as the handout's loop:
        //     optimizer.zero_grad(); loss = 0.5 * ((net(Z) - Z) ** 2).sum(); loss.backward(); optimizer.step()
        let optimizer = SGD(net.parameters(), lr: lr)
        var loss = Tensor(scalar: 0)
        let measure = { () -> Double in
            optimizer.zeroGrad()
            loss = (net(z) - z).square().sum() * 0.5
            return Double(loss.item) * 2 / Double(z.count)
        }
        let step = {
            loss.backward()
            optimizer.step()
        }
        // Unit k measures the MSE after k - 1 steps, then stops at the target or takes step k
        // (the last unit, after `maxSteps` steps, only measures).
        let rows = z.shape[0]
        let loop = TrainingLoop("fit \(rows) image\(rows == 1 ? "" : "s")", total: maxSteps + 1, logEvery: 10, watch: watch,
                                lossName: "error", divergenceHint: "lower --lr (now \(formatNumber(Double(lr))); 1e-4 converges)")
        let report = try loop.run(step: { k in
            let mse = measure()
            if mse < target { loop.stop() } else if mse.isFinite && k <= maxSteps { step() }
            return mse
        })
        // Cancelled before unit k: k - 1 steps taken, the last of them not yet measured.
        if report.cancelled { return (report.completed, measure(), report.seconds) }
        return (report.completed - 1, report.lastLoss, report.seconds)
    }

    /// Root-mean-square distance between two flat images.
    static func rms(_ a: Tensor, _ b: Tensor) -> Double {
        (zip(a.values, b.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(a.count)).squareRoot()
    }

    /// f applied `times` times to the flat image x.
    static func iterate(_ net: Sequential, _ x: Tensor, times: Int) -> Tensor {
        var v = x
        for _ in 0..<times { v = noGrad { net(v.reshape([1, 3072])) }.reshape([3072]) }
        return v
    }

    /// Training images read (or generated) to draw 4(b)'s "random training image" from:
    /// images 0 and 1 are z1 and z2, the random one is drawn from 2 ..< this.
    public static let trainingPool = 64

    /// The index, in 2 ..< `count`, of the random training image for `seed` (its own stream,
    /// so the noise and the networks' initialisation do not depend on it).
    public static func randomTrainingIndex(count: Int, seed: UInt64) -> Int {
        var g = SeededGenerator(seed: seed, stream: 41)
        return 2 + Int(g.next() % UInt64(max(count - 2, 1)))
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (lr, target, maxSteps) = (settings.lr, settings.targetMSE, settings.maxSteps)
        let images = try ImageSource.load(context, settings.images, count: trainingPool)
        context.log("attractors: images: \(images.source)")
        guard images.train.count >= 3, images.test.count >= 1 else {
            throw PluginError.invalidInput("attractors needs 3 training images and 1 test image, the folder has \(images.train.count) and \(images.test.count)",
                                           hint: "give --cifar-dir the CIFAR-10 binary batches")
        }
        let other = randomTrainingIndex(count: images.train.count, seed: context.seed)
        let (z1, z2, test) = (ImageSource.vector(images.train, 0), ImageSource.vector(images.train, 1), ImageSource.vector(images.test, 0))
        let trainingImage = ImageSource.vector(images.train, other)
        context.log("attractors: z1, z2 are training images 0 and 1; the random training image (not fitted) is training image \(other); the test image is test image 0")
        var g = SeededGenerator(seed: context.seed)
        let noise = Tensor.uniform([3072], generator: &g), zero = Tensor.zeros([3072])
        // 4(b): the inputs the text names, with the fitted image(s) first as the check f(z) = z.
        let probes = [("training image #\(other)", trainingImage), ("test image", test), ("uniform noise", noise), ("all zeros", zero)]

        // One image.
        let one = network(generator: &g)
        let fitOne = try fit(one, z1.reshape([1, 3072]), lr: lr, target: target, maxSteps: maxSteps, watch: TrainingWatch(context))
        let seconds = fitOne.seconds
        guard fitOne.mse < target else {
            throw PluginError.failure("one image not fitted: MSE \(formatNumber(fitOne.mse)) after \(maxSteps) steps", hint: "raise --max-steps or adjust --lr")
        }
        context.metrics.final("steps_one", Double(fitOne.steps))
        context.metrics.final("ms_per_step", seconds * 1000 / Double(max(fitOne.steps, 1)))
        context.log(String(format: "attractors: one image fitted to MSE %.3g in %d steps (%.2f s, %.1f ms per step)", fitOne.mse, fitOne.steps, seconds, seconds * 1000 / Double(max(fitOne.steps, 1))))
        var pictures: [Image] = [], captions: [String] = [], outputRows: [[String]] = []
        func show(_ net: Sequential, _ inputs: [(String, Tensor)], training: [Tensor], network name: String) -> [Double] {
            inputs.map { input, x in
                let y = iterate(net, x, times: 1)
                let toTraining = training.map { rms(y, $0) }, nearest = toTraining.min() ?? .nan
                pictures += [ImageSource.picture(x), ImageSource.picture(y)]
                captions += [input, String(format: "f(x): %.3f from z", nearest)]
                outputRows.append([name, input, formatNumber(training.map { rms(x, $0) }.min() ?? .nan)] + toTraining.map(formatNumber)
                                  + (training.count == 1 ? ["-"] : []) + [formatNumber(rms(y, x))])
                context.log(String(format: "attractors: %@, %@: RMS distance of f(x) to the nearest training image %.4f (x itself: %.4f)", name, input, nearest,
                                   training.map { rms(x, $0) }.min() ?? .nan))
                return nearest
            }
        }
        let oneDistances = show(one, [("z (fitted)", z1)] + probes, training: [z1], network: "1 image")
        context.metrics.final("train_image_distance_one", oneDistances[1])
        try context.artifacts.writePNG(Image.grid(pictures, captions: captions, columns: 6), to: "one_image.png")
        // The fitted networks by nn.Sequential's names (0.weight, 0.bias, 2.weight, 2.bias).
        try one.save(to: try context.artifacts.makeFolder("checkpoint-one-image"))

        // Two images (4c: steps (a) and (b) again).
        pictures = []; captions = []
        let two = network(generator: &g)
        let fitTwo = try fit(two, Tensor.concat([z1.reshape([1, 3072]), z2.reshape([1, 3072])], axis: 0), lr: lr, target: target, maxSteps: maxSteps,
                             watch: TrainingWatch(context))
        context.metrics.final("steps_two", Double(fitTwo.steps))
        context.log(String(format: "attractors: two images fitted to MSE %.3g in %d steps", fitTwo.mse, fitTwo.steps))
        let twoDistances = show(two, [("z1 (fitted)", z1), ("z2 (fitted)", z2)] + probes, training: [z1, z2], network: "2 images")
        context.metrics.final("train_image_distance_two", twoDistances[2])
        try context.artifacts.writePNG(Image.grid(pictures, captions: captions, columns: 6), to: "two_images.png")
        try two.save(to: try context.artifacts.makeFolder("checkpoint-two-images"))
        try context.artifacts.writeCSV("outputs.csv", header: ["network", "input", "rms_input_to_nearest_z", "rms_f_to_z1", "rms_f_to_z2", "rms_f_to_input"],
                                       rows: outputRows)

        // Iterates of a test image (4d) and of perturbed training images (4e).
        pictures = [ImageSource.picture(test)]; captions = ["test image"]
        var rows: [[String]] = []
        for times in [1, 2, 20] {
            let y = iterate(two, test, times: times)
            let distances = [rms(y, z1), rms(y, z2)]
            pictures.append(ImageSource.picture(y)); captions.append(String(format: "f^%d: %.3f", times, distances.min() ?? .nan))
            rows.append(["test image", String(times), formatNumber(distances[0]), formatNumber(distances[1])])
            if times == 20 { context.metrics.final("test_iterate_distance", distances.min() ?? .nan) }
            context.log(String(format: "attractors: f^%d(test image): RMS distance %.4f to z1, %.4f to z2", times, distances[0], distances[1]))
        }
        var worstPerturbed = 0.0
        for (name, z) in [("z1", z1), ("z2", z2)] {
            let x = z + Tensor.normal([3072], generator: &g) * 1e-3
            pictures.append(ImageSource.picture(x)); captions.append("\(name) + 1e-3 eps")
            for times in [1, 10] {
                let y = iterate(two, x, times: times)
                let distance = rms(y, z)
                if times == 10 { worstPerturbed = max(worstPerturbed, distance) }
                pictures.append(ImageSource.picture(y)); captions.append(String(format: "f^%d: %.2g", times, distance))
                rows.append(["\(name) + 1e-3 eps", String(times), formatNumber(rms(y, z1)), formatNumber(rms(y, z2))])
                context.log(String(format: "attractors: f^%d(%@ + 1e-3 eps): RMS distance %.3g to %@ (the start was %.3g away)", times, name, distance, name, rms(x, z)))
            }
        }
        context.metrics.final("perturbed_iterate_distance", worstPerturbed)
        try context.artifacts.writeCSV("iterates.csv", header: ["start", "iterations", "rms_to_z1", "rms_to_z2"], rows: rows)
        try context.artifacts.writePNG(Image.grid(pictures, captions: captions, columns: 4), to: "iterates.png")
    }
}
