import Foundation
import PluginAPI

/// Problem 3: the linear autoencoder f(x) = A B x trained on one sample by gradient descent on
/// 1/2 ||z - A B z||^2.
public enum LinearExperiments {
    /// The result of one training run.
    public struct Run {
        public var losses: [Double] = []
        public var diverged = false
        public var a: Tensor, b: Tensor
        public var finalLoss: Double { losses.last ?? .nan }
    }

    /// Gradient descent from the given A (d x k) and B (k x d) on z, reporting to `watch` (whose
    /// cancellation ends it early); stops, marked diverged, when the loss is NaN, infinite or
    /// above 1e30.
    public static func train(z: Tensor, a: Tensor, b: Tensor, lr: Float, steps: Int, watch: TrainingWatch = .silent) -> Run {
        var run = Run(a: a, b: b)
        let column = z.reshape([-1, 1])
        let optimizer = SGD([a, b], lr: lr)
        let loop = TrainingLoop("gradient descent, lr \(formatNumber(Double(lr)))", total: steps, watch: watch,
                                divergenceHint: "lower --lr (now \(formatNumber(Double(lr))))")
        let report: TrainingReport
        do {
            report = try loop.run(step: { _ in
                optimizer.zeroGrad()
                let loss = (column - a.matmul(b.matmul(column))).square().sum() * 0.5
                let value = Double(loss.item)
                run.losses.append(value)
                // Above 1e30 the loop stops here; NaN or infinity ends it with the divergence caught below.
                guard value < 1e30 else { loop.stop(); return value }
                loss.backward()
                optimizer.step()
                return value
            })
        } catch {
            // The loop's only error: the loss became NaN or infinite (the last of `run.losses`).
            run.diverged = true
            return run
        }
        if report.stopped { run.diverged = true; return run }
        run.losses.append(Double(noGrad { (column - a.matmul(b.matmul(column))).square().sum() * 0.5 }.item))
        run.diverged = !(run.losses.last ?? .nan).isFinite
        return run
    }

    static let zero = Experiment(
        name: "linear-zero",
        summary: "3a: A and B start at zero; 10 steps of gradient descent leave them exactly zero",
        settings: ZeroSettings.self,
        metrics: [MetricSpec("max_abs_weight", goal: .lowerIsBetter, help: "largest |entry| of A and B after training"),
                  MetricSpec("final_loss", help: "1/2 ||z||^2: nothing was learned")],
        train: { context, settings in
            let (d, k) = (settings.shape.d, settings.shape.k)
            var g = SeededGenerator(seed: context.seed)
            let z = Tensor.normal([d], generator: &g)
            let run = train(z: z, a: Tensor.zeros([d, k], requiresGrad: true), b: Tensor.zeros([k, d], requiresGrad: true),
                            lr: settings.descent.lr, steps: settings.descent.steps, watch: TrainingWatch(context))
            let largest = (run.a.values + run.b.values).map(abs).max() ?? 0
            context.metrics.final("max_abs_weight", Double(largest))
            context.metrics.final("final_loss", run.finalLoss)
            let why = "grad_A = -(z - A B z)(B z)^T and grad_B = -A^T (z - A B z) z^T both vanish when A = B = 0: zero is a stationary point, so gradient descent never leaves it"
            context.metrics.note("why", why)
            context.log("linear-zero: after \(run.losses.count - 1) steps the largest |entry| of A and B is \(formatNumber(Double(largest), expected: 0)); the loss stays 1/2 ||z||^2 = \(formatNumber(run.finalLoss))")
            context.log("linear-zero: " + why)
        })

    static let initialised = Experiment(
        name: "linear-init",
        summary: "3b: A = 0, B ~ N(0, 1/k); 1,000 steps per learning rate; final error, A non-zero, divergence caught; curves on a log plot",
        settings: InitSettings.self,
        metrics: [MetricSpec("best_loss", goal: .lowerIsBetter, help: "the smallest final error"), MetricSpec("best_lr", help: "its learning rate"),
                  MetricSpec("diverged", help: "rates that diverged")],
        train: { context, settings in
            let (d, k, steps, lrs) = (settings.shape.d, settings.shape.k, settings.steps, settings.lrs)
            var g = SeededGenerator(seed: context.seed)
            let z = Tensor.normal([d], generator: &g), b0 = Tensor.normal([k, d], std: Float(1 / Double(k).squareRoot()), generator: &g)
            var best = (loss: Double.infinity, lr: Double.nan), diverged = 0, series: [Series] = [], rows: [[String]] = []
            for lr in lrs where !context.isCancelled {
                let run = train(z: z, a: Tensor.zeros([d, k], requiresGrad: true), b: Tensor(b0.values, shape: [k, d], requiresGrad: true), lr: Float(lr), steps: steps,
                                watch: TrainingWatch(context))
                let nonZero = run.a.values.contains { $0 != 0 }
                if run.diverged { diverged += 1 } else if run.finalLoss < best.loss { best = (run.finalLoss, lr) }
                rows.append([formatNumber(lr), run.diverged ? "diverged at step \(run.losses.count - 1)" : formatNumber(run.finalLoss), nonZero ? "yes" : "no"])
                context.log("linear-init: lr \(formatNumber(lr)): " + (run.diverged ? "diverged at step \(run.losses.count - 1) (caught)" : "final error \(formatNumber(run.finalLoss))") + ", A non-zero: \(nonZero)")
                let finite = run.losses.enumerated().filter { $0.element.isFinite && $0.element > 0 }
                series.append(Series("lr = \(formatNumber(lr))" + (run.diverged ? " (diverged)" : ""), x: finite.map { Double($0.offset) }, y: finite.map(\.element)))
            }
            context.metrics.final("best_loss", best.loss)
            context.metrics.final("best_lr", best.lr)
            context.metrics.final("diverged", Double(diverged))
            context.log("linear-init: the smallest error is \(formatNumber(best.loss)) at lr \(formatNumber(best.lr))")
            try context.artifacts.writeCSV("rates.csv", header: ["lr", "final_error", "A_non_zero"], rows: rows)
            let plot = LinePlot(title: "Linear autoencoder from A = 0, B ~ N(0, 1/k): 1/2 ||z - ABz||^2", xLabel: "step", yLabel: "error", series: series, logY: true)
            try context.artifacts.write(plot.svg(), to: "loss.svg")
        })

    static let image = Experiment(
        name: "linear-image",
        summary: "3c: train on one image; every output is then close to a multiple of it (cosine and fitted multiple for test images)",
        settings: ImageSettings.self,
        metrics: [MetricSpec("final_loss", goal: .lowerIsBetter), MetricSpec("min_abs_cosine", goal: .higherIsBetter, help: "smallest |cos(f(x), z)| over the test images")],
        train: { context, settings in
            let (k, tests) = (settings.k, settings.tests)
            let images = try ImageSource.load(context, settings.images, count: max(tests, 1))
            context.log("linear-image: images: \(images.source)")
            let z = ImageSource.vector(images.train, 0)
            var g = SeededGenerator(seed: context.seed)
            let run = train(z: z, a: Tensor.zeros([3072, k], requiresGrad: true), b: Tensor.normal([k, 3072], std: Float(1 / Double(k).squareRoot()), generator: &g, requiresGrad: true),
                            lr: settings.descent.lr, steps: settings.descent.steps, watch: TrainingWatch(context))
            guard !run.diverged else {
                throw PluginError.diverged("training on the image diverged at step \(run.losses.count - 1)", hint: "lower --lr")
            }
            context.metrics.final("final_loss", run.finalLoss)
            let zz = z.values.reduce(0) { $0 + Double($1 * $1) }
            var pictures = [ImageSource.picture(z)], captions = ["training image z"], rows: [[String]] = [], worst = 1.0
            for t in 0..<min(tests, images.test.count) {
                let x = ImageSource.vector(images.test, t)
                let f = noGrad { run.a.matmul(run.b.matmul(x.reshape([-1, 1]))) }.reshape([3072])
                let fz = zip(f.values, z.values).reduce(0.0) { $0 + Double($1.0 * $1.1) }, ff = f.values.reduce(0.0) { $0 + Double($1 * $1) }
                let cosine = fz / max((ff * zz).squareRoot(), 1e-300), multiple = fz / zz
                worst = min(worst, abs(cosine))
                rows.append([String(t), formatNumber(cosine), formatNumber(multiple)])
                context.log(String(format: "linear-image: test image %d: cos(f(x), z) = %.6f, f(x) ≈ %.4f z", t, cosine, multiple))
                pictures += [ImageSource.picture(x), ImageSource.picture(f)]
                captions += ["test \(t)", "f(test \(t))"]
            }
            context.metrics.final("min_abs_cosine", worst)
            try context.artifacts.writeCSV("outputs.csv", header: ["test_image", "cosine_with_z", "fitted_multiple"], rows: rows)
            try context.artifacts.writePNG(Image.grid(pictures, captions: captions, columns: 1 + 2 * min(tests, 3)), to: "outputs.png")
        })
}
