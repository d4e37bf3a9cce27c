import Foundation
import PluginAPI

/// What one CIFAR-10 split holds: the images of each batch file per class, the per-channel
/// pixel sums, and up to `perClass` images of each class drawn uniformly from the split
/// (reservoir sampling from a seeded generator, so a seed gives the same pictures).
public struct CIFARCensus: Sendable {
    /// One batch file: its name and how many of its records carry each label.
    public struct File: Sendable {
        /// The file name, e.g. `data_batch_1.bin`.
        public var name: String
        /// `classCounts[c]`: the records labelled c.
        public var classCounts: [Int]
        /// The records in the file.
        public var images: Int { classCounts.reduce(0, +) }
    }

    /// One drawn image: where it came from (file and record index) and its 3,072 bytes
    /// (the R, G and B planes of 32 x 32, as in the file).
    public struct Sample: Sendable, Equatable {
        /// The batch file and the record's index in it (from 0).
        public var file: String
        public var record: Int
        /// R, G, B planes of 32 x 32 bytes.
        public var pixels: [UInt8]
    }

    /// The files read, in order.
    public var files: [File] = []
    /// `samples[c]`: the images drawn from class c, in file order (fewer than asked when the
    /// class has fewer images).
    public var samples: [[Sample]] = Array(repeating: [], count: 10)
    /// Per channel (R, G, B): the sum of the pixel bytes and of their squares.
    public var channelSums = [Double](repeating: 0, count: 3), channelSquares = [Double](repeating: 0, count: 3)

    /// Images per class over all the files.
    public var classCounts: [Int] {
        (0..<10).map { c in files.reduce(0) { $0 + $1.classCounts[c] } }
    }

    /// Images in the split.
    public var images: Int { files.reduce(0) { $0 + $1.images } }

    /// Mean and standard deviation of each channel's pixels scaled to [0, 1] (NaN when empty).
    public var channelStatistics: [(mean: Double, std: Double)] {
        let n = Double(images) * 1024
        return (0..<3).map { c in
            let mean = channelSums[c] / n / 255
            return (mean, (max(channelSquares[c] / n / (255 * 255) - mean * mean, 0)).squareRoot())
        }
    }

    /// Reads the batch files `names` in `folder` one at a time (a missing or damaged file is
    /// the reader's error, which says how to get the data) and draws `perClass` images per class.
    public static func read(folder: String, files names: [String], perClass: Int, generator: inout SeededGenerator) throws -> CIFARCensus {
        var census = CIFARCensus()
        var seen = [Int](repeating: 0, count: 10)
        var order: [String: Int] = [:]
        for (fileIndex, name) in names.enumerated() {
            order[name] = fileIndex
            let records = try CIFARBatchFile.read((folder as NSString).appendingPathComponent(name))
            var counts = [Int](repeating: 0, count: 10)
            for (i, label) in records.labels.enumerated() {
                counts[label] += 1
                seen[label] += 1
                let slot = census.samples[label].count < perClass ? census.samples[label].count : Int.random(in: 0..<seen[label], using: &generator)
                guard slot < perClass else { continue }
                let sample = Sample(file: name, record: i, pixels: Array(records.pixels[i * 3072..<(i + 1) * 3072]))
                if slot == census.samples[label].count { census.samples[label].append(sample) } else { census.samples[label][slot] = sample }
            }
            census.add(records.pixels)
            census.files.append(File(name: name, classCounts: counts))
        }
        for c in 0..<10 {
            census.samples[c].sort { (order[$0.file] ?? 0, $0.record) < (order[$1.file] ?? 0, $1.record) }
        }
        return census
    }

    /// Adds the bytes of whole images (R, G, B planes of 1,024 each) to the channel sums.
    mutating func add(_ pixels: [UInt8]) {
        for c in 0..<3 {
            var sum: UInt64 = 0, squares: UInt64 = 0
            for image in 0..<pixels.count / 3072 {
                let base = image * 3072 + c * 1024
                for byte in pixels[base..<base + 1024] {
                    let v = UInt64(byte)
                    sum += v; squares += v * v
                }
            }
            channelSums[c] += Double(sum); channelSquares[c] += Double(squares)
        }
    }
}

/// The sizes CIFAR-10 should have: 50,000 training images in five files of 10,000, 10,000
/// test images, and every class 5,000 times in training and 1,000 times in test.
public struct CIFARExpectation: Sendable {
    /// Images in the training set, the test set and each batch file.
    public var trainImages = 50_000, testImages = 10_000, imagesPerFile = 10_000
    /// Images of each class in the training and the test set.
    public var trainPerClass = 5_000, testPerClass = 1_000

    /// CIFAR-10's sizes by default; smaller ones for generated stand-ins.
    public init(trainImages: Int = 50_000, testImages: Int = 10_000, imagesPerFile: Int = 10_000, trainPerClass: Int = 5_000, testPerClass: Int = 1_000) {
        (self.trainImages, self.testImages, self.imagesPerFile) = (trainImages, testImages, imagesPerFile)
        (self.trainPerClass, self.testPerClass) = (trainPerClass, testPerClass)
    }

    /// Each count that differs from what is expected, as a sentence (empty when all agree).
    public func mismatches(train: CIFARCensus, test: CIFARCensus, classNames: [String]) -> [String] {
        var out: [String] = []
        func check(_ what: String, _ count: Int, _ expected: Int) {
            if count != expected { out.append("\(what): \(grouped(count)), expected \(grouped(expected))") }
        }
        check("training set", train.images, trainImages)
        check("test set", test.images, testImages)
        for file in train.files + test.files { check(file.name, file.images, imagesPerFile) }
        for (split, census, expected) in [("training", train, trainPerClass), ("test", test, testPerClass)] {
            for (c, count) in census.classCounts.enumerated() {
                check("class \(c) (\(c < classNames.count ? classNames[c] : "?")) in the \(split) set", count, expected)
            }
        }
        return out
    }
}

/// An integer with thousands separators: 50000 -> "50,000".
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}
