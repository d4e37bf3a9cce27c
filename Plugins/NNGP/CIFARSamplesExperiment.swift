import Foundation
import PluginAPI

/// Experiment `cifar-samples` (problem 2(a)): reads every CIFAR-10 batch file, counts the
/// images per split, per file and per class against 50,000 / 10,000 and 5,000 / 1,000, and
/// draws sample images of every class from both splits into one PNG.
enum CIFARSamplesExperiment {
    static let declaration = Experiment(
        name: "cifar-samples",
        summary: "Problem 2(a): CIFAR-10's 50,000/10,000 split and 5,000/1,000 images per class counted, and a PNG of sample images per class (train and test)",
        settings: Settings.self,
        metrics: [
            MetricSpec("train_images", help: "images in data_batch_1.bin ... data_batch_5.bin (expected 50,000)"),
            MetricSpec("test_images", help: "images in test_batch.bin (expected 10,000)"),
            MetricSpec("counts_match", goal: .higherIsBetter, help: "1 when both splits, every file and every class hold the expected numbers, else 0"),
            MetricSpec("mismatches", goal: .lowerIsBetter, help: "how many of those counts differ (listed in the notes)"),
            MetricSpec("min_class_train", help: "fewest training images of one class (expected 5,000)"),
            MetricSpec("max_class_train", help: "most training images of one class (expected 5,000)"),
            MetricSpec("min_class_test", help: "fewest test images of one class (expected 1,000)"),
            MetricSpec("max_class_test", help: "most test images of one class (expected 1,000)"),
        ] + ["r", "g", "b"].flatMap { c in
            [MetricSpec("train_mean_\(c)", help: "mean of the training images' \(c.uppercased()) channel in [0, 1]"),
             MetricSpec("train_std_\(c)", help: "standard deviation of the training images' \(c.uppercased()) channel in [0, 1]")]
        } + [MetricSpec("seconds", unit: "s", goal: .lowerIsBetter, help: "reading and counting time")],
        train: run)

    /// The CIFAR-10 folder, and how many images of each class the sheet shows and how large.
    struct Settings: ExperimentSettings {
        var cifar = CIFARFolderSettings()
        var perClass = 8, scale = 2
        static let fields: [SettingField<Settings>] = SettingField.nested(\.cifar, CIFARFolderSettings.fields) + [
            .int("per-class", \.perClass, range: 1...64, help: "images of each class drawn from each split (uniformly, from --seed)"),
            .int("scale", \.scale, range: 1...8, help: "each 32 x 32 image is shown this many times larger (no blur)"),
        ]
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let folder = try settings.cifar.requireFolder()
        let (perClass, scale) = (settings.perClass, settings.scale)
        let names = CIFAR10.classNames(folder: folder)
        let start = DispatchTime.now().uptimeNanoseconds
        var generator = SeededGenerator(seed: context.seed, stream: 21)
        context.progress.begin("cifar-samples", total: 2, unit: "splits")
        let train = try CIFARCensus.read(folder: folder, files: CIFAR10.trainFiles, perClass: perClass, generator: &generator)
        context.progress.update(completed: 1, values: [])
        let test = try CIFARCensus.read(folder: folder, files: [CIFAR10.testFile], perClass: perClass, generator: &generator)
        context.progress.update(completed: 2, values: [])
        context.progress.end()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let mismatches = CIFARExpectation().mismatches(train: train, test: test, classNames: names)
        let (trainClasses, testClasses) = (train.classCounts, test.classCounts)
        let m = context.metrics
        m.final("train_images", Double(train.images))
        m.final("test_images", Double(test.images))
        m.final("counts_match", mismatches.isEmpty ? 1 : 0)
        m.final("mismatches", Double(mismatches.count))
        m.final("min_class_train", Double(trainClasses.min() ?? 0))
        m.final("max_class_train", Double(trainClasses.max() ?? 0))
        m.final("min_class_test", Double(testClasses.min() ?? 0))
        m.final("max_class_test", Double(testClasses.max() ?? 0))
        let statistics = train.channelStatistics
        for (c, channel) in ["r", "g", "b"].enumerated() {
            m.final("train_mean_\(channel)", statistics[c].mean)
            m.final("train_std_\(channel)", statistics[c].std)
        }
        m.final("seconds", seconds)
        m.note("class_counts", countTable(train: trainClasses, test: testClasses, names: names))
        m.note("files", (train.files + test.files).map { "\($0.name): \(grouped($0.images))" }.joined(separator: "; "))
        m.note("channel_statistics", String(format: "training set, pixels in [0, 1]: mean R %.4f G %.4f B %.4f, std R %.4f G %.4f B %.4f "
                                                    + "(the ResNet plugin normalises as the course's starter: mean 0.4914 0.4822 0.4465, std 63/255 62.1/255 66.7/255)",
                                                    statistics[0].mean, statistics[1].mean, statistics[2].mean, statistics[0].std, statistics[1].std, statistics[2].std))
        context.log("cifar-samples: \(grouped(train.images)) training images in \(train.files.count) files, \(grouped(test.images)) test images, from \(folder) (\(String(format: "%.2f", seconds)) s)")
        if mismatches.isEmpty {
            m.note("counts", "as expected: 50,000 training images (five files of 10,000), 10,000 test images, 5,000 and 1,000 of every class")
            context.log("cifar-samples: counts as expected: 50,000 / 10,000 images, 5,000 / 1,000 per class")
        } else {
            m.note("counts", "NOT as expected, \(mismatches.count) counts differ: " + mismatches.joined(separator: "; "))
            context.log("cifar-samples: \(mismatches.count) counts differ from CIFAR-10's: " + mismatches.prefix(4).joined(separator: "; ")
                        + (mismatches.count > 4 ? "; ... (all in summary.json's notes)" : ""))
        }

        var rows: [[String]] = []
        for (c, name) in names.enumerated() {
            rows.append([String(c), name, String(trainClasses[c]), String(testClasses[c])] + train.files.map { String($0.classCounts[c]) })
        }
        try context.artifacts.writeCSV("class_counts.csv", header: ["class", "name", "train", "test"] + train.files.map(\.name), rows: rows)
        var sheet = CIFARSampleSheet(perClass: perClass, scale: scale, classNames: names)
        var sampleRows: [[String]] = []
        for (split, census) in [("train", train), ("test", test)] {
            for c in 0..<10 {
                for (column, s) in census.samples[c].enumerated() {
                    let (x, y) = sheet.origin(test: split == "test", row: c, column: column)
                    sampleRows.append([split, String(c), names[c], String(column), s.file, String(s.record), String(x), String(y)])
                }
            }
        }
        try context.artifacts.writeCSV("samples.csv", header: ["split", "class", "name", "column", "file", "record", "png_x", "png_y"], rows: sampleRows)
        sheet.trainTitle = "training set (\(grouped(train.images)) images): \(perClass) per class"
        sheet.testTitle = "test set (\(grouped(test.images)) images): \(perClass) per class"
        try context.artifacts.write(Data(PNG.encode(sheet.render(train: train.samples, test: test.samples))), to: "samples.png")
        let bars = BarChart(title: "CIFAR-10 images per class (expected 5,000 training, 1,000 test)", yLabel: "images", categories: names,
                            series: [(name: "train", values: trainClasses.map(Double.init), errors: nil),
                                     (name: "test", values: testClasses.map(Double.init), errors: nil)])
        try context.artifacts.write(bars.svg(), to: "class_counts.svg")
    }

    /// The per-class counts as an aligned text table with a total row.
    static func countTable(train: [Int], test: [Int], names: [String]) -> String {
        func cells(_ label: String, _ a: String, _ b: String) -> String {
            label.padding(toLength: 13, withPad: " ", startingAt: 0) + String(repeating: " ", count: max(0, 7 - a.count)) + a
                + String(repeating: " ", count: max(0, 8 - b.count)) + b
        }
        var lines = [cells("class", "train", "test")]
        for c in 0..<10 { lines.append(cells("\(c) \(names[c].prefix(10))", grouped(train[c]), grouped(test[c]))) }
        lines.append(cells("total", grouped(train.reduce(0, +)), grouped(test.reduce(0, +))))
        return lines.joined(separator: "\n")
    }
}
