import Foundation
import PluginAPI

/// Experiment `challenge` (problem 13): fully connected ReLU networks of a few widths and
/// depths against ReLU NNGP kernel regression with a ridge chosen on a validation split, on the
/// digits or CIFAR-10 (`--data cifar10`); a table of accuracy and time per method.
enum ChallengeExperiment {
    static let declaration = Experiment(
        name: "challenge",
        summary: "Digits or CIFAR-10: fully connected ReLU networks (widths x depths) against ReLU NNGP kernel regression with a validated ridge",
        settings: Settings.self,
        metrics: [
            MetricSpec("nngp_test_accuracy", goal: .higherIsBetter, help: "ReLU NNGP kernel regression, ridge chosen on the validation split"),
            MetricSpec("best_network_test_accuracy", goal: .higherIsBetter, help: "the best network's test accuracy"),
            MetricSpec("nngp_ridge", help: "the ridge the validation split chose"),
        ],
        train: run)

    /// Inputs flattened and scaled to unit norm (the NNGP kernels here are for the sphere), with
    /// the split: the first 180 images test, the next 180 validation, the rest training.
    struct Split {
        var train: (x: DMatrix, y: [Int]), validation: (x: DMatrix, y: [Int]), test: (x: DMatrix, y: [Int])
    }

    static func split(_ set: LabeledImages, test: Int = 180, validation: Int = 180) throws -> Split {
        guard set.count >= test + validation + 40 else {
            throw PluginError.invalidInput("challenge needs at least 400 images (180 test, 180 validation, the rest training); the set has \(set.count)",
                                           hint: "give a larger --digits-dir set")
        }
        let d = set.imageSize
        func part(_ range: Range<Int>) -> (x: DMatrix, y: [Int]) {
            var m = DMatrix(rows: range.count, columns: d)
            for (r, i) in range.enumerated() {
                let row = set.images[i * d..<(i + 1) * d].map(Double.init)
                let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                for j in 0..<d { m[r, j] = row[j] / norm }
            }
            return (m, Array(set.labels[range]))
        }
        return Split(train: part((test + validation)..<set.count), validation: part(test..<(test + validation)), test: part(0..<test))
    }

    /// The images and their split: the digits, or the CIFAR-10 subsets laid out as test,
    /// validation, training for `split`.
    static func load(_ settings: Settings) throws -> (LabeledImages, Split, String) {
        guard settings.data == .cifar10 else {
            let set = try settings.digitsDir.map { try DigitsDataset.read(folder: $0) } ?? DigitsDataset.embedded()
            return (set, try split(set), "Digits")
        }
        let folder = try settings.cifar.requireFolder()
        let (train, validation, test) = (settings.subsetTrain, settings.subsetVal, settings.subsetTest)
        let trainBytes = try CIFAR10.readTrainingBytes(folder: folder, limit: train + validation)
        let testBytes = try CIFAR10.readTestBytes(folder: folder, limit: test)
        guard trainBytes.count == train + validation, testBytes.count == test else {
            throw PluginError.invalidInput("\(folder) has \(trainBytes.count) training and \(testBytes.count) test images; --subset-train + --subset-val needs \(train + validation), --subset-test \(test)",
                                           hint: "lower the subsets")
        }
        let set = ByteImages(pixels: testBytes.pixels + trainBytes.pixels, labels: testBytes.labels + trainBytes.labels).scaled()
        return (set, try split(set, test: test, validation: validation), "CIFAR-10")
    }

    static func accuracy(_ scores: DMatrix, _ labels: [Int]) -> Double {
        var correct = 0
        for i in 0..<scores.rows {
            let row = scores.row(i)
            if row.indices.max(by: { row[$0] < row[$1] }) == labels[i] { correct += 1 }
        }
        return Double(correct) / Double(max(scores.rows, 1))
    }

    /// Kernel regression to one-hot targets with K + ridge I, given the training kernel `kernel`
    /// and the points' kernel against the training set `cross`: each point's score per class.
    static func kernelScores(kernel: DMatrix, labels: [Int], ridge: Double, cross: DMatrix, classes: Int) throws -> DMatrix {
        var k = kernel
        for i in 0..<k.rows { k[i, i] += ridge }
        guard let l = DoubleLinearAlgebra.cholesky(k) else {
            throw PluginError.failure("the ReLU kernel matrix with ridge \(ridge) is not positive definite", hint: "use a larger ridge")
        }
        let lt = DoubleLinearAlgebra.transpose(l)
        var scores = DMatrix(rows: cross.rows, columns: classes)
        for c in 0..<classes {
            let a = DoubleLinearAlgebra.choleskySolve(l, transposed: lt, labels.map { $0 == c ? 1 : 0 })
            let s = DoubleLinearAlgebra.multiply(cross, a)
            for i in 0..<cross.rows { scores[i, c] = s[i] }
        }
        return scores
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (set, data, dataName) = try load(settings)
        let (widths, depths) = (settings.widths, settings.depths)
        guard !widths.isEmpty, !depths.isEmpty else {
            throw PluginError.invalidInput("--widths and --depths need at least one value each", hint: "for example --widths 64,256 --depths 1,2")
        }
        let classes = 10
        context.log("challenge: \(dataName), \(data.train.y.count) training, \(data.validation.y.count) validation, \(data.test.y.count) test images of \(set.imageSize) pixels")
        var rows: [[String]] = []
        var names: [String] = [], accuracies: [Double] = []

        // The NNGP: ridge by validation accuracy, then the test.
        let start = DispatchTime.now().uptimeNanoseconds
        var best = (ridge: 0.0, accuracy: -1.0)
        let trainKernel = NNGPKernel.relu.matrix(data.train.x, data.train.x)
        let validationCross = NNGPKernel.relu.matrix(data.validation.x, data.train.x)
        for ridge in [0, 1e-4, 1e-3, 1e-2, 1e-1, 1] {
            guard let scores = try? kernelScores(kernel: trainKernel, labels: data.train.y, ridge: ridge, cross: validationCross, classes: classes) else {
                context.log("challenge: NNGP ridge \(formatNumber(ridge)): the kernel matrix is not positive definite (repeated images); skipped")
                continue
            }
            let acc = accuracy(scores, data.validation.y)
            context.log(String(format: "challenge: NNGP ridge %@: validation accuracy %.4f", formatNumber(ridge), acc))
            if acc > best.accuracy { best = (ridge, acc) }
        }
        let nngpTest = accuracy(try kernelScores(kernel: trainKernel, labels: data.train.y, ridge: best.ridge,
                                                 cross: NNGPKernel.relu.matrix(data.test.x, data.train.x), classes: classes), data.test.y)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        context.metrics.final("nngp_test_accuracy", nngpTest)
        context.metrics.final("nngp_ridge", best.ridge)
        rows.append(["ReLU NNGP, ridge \(formatNumber(best.ridge))", formatNumber(best.accuracy), formatNumber(nngpTest), formatNumber(seconds)])
        names.append("NNGP"); accuracies.append(nngpTest)

        // The networks.
        func tensor(_ m: DMatrix) -> Tensor { Tensor(m.values.map(Float.init), shape: [m.rows, m.columns]) }
        let (xTrain, xValidation, xTest) = (tensor(data.train.x), tensor(data.validation.x), tensor(data.test.x))
        let (epochs, batch, lr) = (settings.epochs, settings.batch, settings.lr)
        var bestNetwork = 0.0
        let n = data.train.y.count, batches = (n + batch - 1) / batch
        networks: for depth in depths {
            for width in widths {
                var generator = SeededGenerator(seed: context.seed, stream: UInt64(depth * 100_000 + width))
                var layers: [Module] = []
                var inputs = set.imageSize
                for _ in 0..<depth { layers += [Linear(inputs, width, generator: &generator), ReLU()]; inputs = width }
                layers.append(Linear(inputs, classes, generator: &generator))
                let network = Sequential(layers)
                let optimizer = Adam(network.parameters(), lr: lr)
                let name = "\(depth) hidden x \(width)"
                // One unit per minibatch: `epochs` passes over the training images in order.
                let loop = TrainingLoop("challenge", total: epochs * batches, unit: .batch, logEvery: batches, watch: TrainingWatch(context),
                                        lossName: "loss of network \(name)", divergenceHint: "lower --lr (now \(formatNumber(Double(lr))))")
                let report = try loop.run(step: { k in
                    let first = ((k - 1) % batches) * batch
                    let range = first..<min(first + batch, n)
                    optimizer.zeroGrad()
                    let loss = crossEntropy(network(xTrain.rows(range)), targets: Array(data.train.y[range]))
                    let value = Double(loss.item)
                    if value.isFinite { loss.backward(); optimizer.step() }
                    return value
                })
                if report.cancelled { break networks }
                let scores = { (x: Tensor) in noGrad { network(x) } }
                func acc(_ x: Tensor, _ y: [Int]) -> Double {
                    let s = scores(x)
                    return accuracy(DMatrix(rows: s.shape[0], columns: classes, values: s.values.map(Double.init)), y)
                }
                let (validation, test) = (acc(xValidation, data.validation.y), acc(xTest, data.test.y))
                bestNetwork = max(bestNetwork, test)
                rows.append(["ReLU network, " + name, formatNumber(validation), formatNumber(test), formatNumber(report.seconds)])
                names.append(name); accuracies.append(test)
                context.log(String(format: "challenge: network %@: validation %.4f, test %.4f (%.2f s)", name, validation, test, report.seconds))
            }
        }
        context.metrics.final("best_network_test_accuracy", bestNetwork)
        try context.artifacts.writeCSV("challenge.csv", header: ["method", "validation_accuracy", "test_accuracy", "seconds"], rows: rows)
        let bars = BarChart(title: "\(dataName): test accuracy per method", yLabel: "test accuracy", categories: names,
                            series: [(name: "test accuracy", values: accuracies, errors: nil)])
        try context.artifacts.write(bars.svg(), to: "accuracy.svg")
    }
}
