import Foundation
import NNGP
import PluginAPI
import XCTest

/// Problem 2(a) on small batch files in CIFAR-10's binary format: counts, the drawn samples,
/// and the pixels of the sample sheet.
final class CIFARSamplesTests: XCTestCase {
    /// A folder of five training files of `perFile` records and a test file of `testCount`,
    /// labels `(record + 3 file) % 10` (test: `record % 10`), random pixels; returns the folder
    /// and each file's raw bytes.
    static func fixture(perFile: Int = 30, testCount: Int = 30, seed: UInt64 = 4) throws -> (folder: String, files: [String: [UInt8]]) {
        let folder = NSTemporaryDirectory() + "nngp-cifar-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var g = SeededGenerator(seed: seed)
        var files: [String: [UInt8]] = [:]
        for (f, name) in (CIFAR10.trainFiles + [CIFAR10.testFile]).enumerated() {
            let isTest = name == CIFAR10.testFile
            var bytes: [UInt8] = []
            for i in 0..<(isTest ? testCount : perFile) {
                bytes.append(UInt8((i + (isTest ? 0 : 3 * f)) % 10))
                bytes += (0..<3072).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
            files[name] = bytes
        }
        return (folder, files)
    }

    func testCensusCountsEveryFileAndClassAndKeepsTheSourceBytes() throws {
        let (folder, files) = try Self.fixture(perFile: 23, testCount: 17)
        var g = SeededGenerator(seed: 1)
        let train = try CIFARCensus.read(folder: folder, files: CIFAR10.trainFiles, perClass: 4, generator: &g)
        XCTAssertEqual(train.images, 5 * 23)
        XCTAssertEqual(train.files.map(\.name), CIFAR10.trainFiles)
        var expected = [Int](repeating: 0, count: 10), sums = [Double](repeating: 0, count: 3)
        for name in CIFAR10.trainFiles {
            let bytes = try XCTUnwrap(files[name])
            let counts = (0..<10).map { c in (0..<23).filter { Int(bytes[$0 * 3073]) == c }.count }
            XCTAssertEqual(train.files.first { $0.name == name }?.classCounts, counts, name)
            for c in 0..<10 { expected[c] += counts[c] }
            for i in 0..<23 { for p in 0..<3072 { sums[p / 1024] += Double(bytes[i * 3073 + 1 + p]) } }
        }
        XCTAssertEqual(train.classCounts, expected)
        for c in 0..<3 { XCTAssertEqual(train.channelStatistics[c].mean, sums[c] / Double(23 * 5 * 1024) / 255, accuracy: 1e-12) }
        for c in 0..<10 {
            XCTAssertEqual(train.samples[c].count, min(4, expected[c]), "class \(c)")
            for s in train.samples[c] {
                let bytes = try XCTUnwrap(files[s.file])
                XCTAssertEqual(Int(bytes[s.record * 3073]), c, "a sample of class \(c) has label \(c)")
                XCTAssertEqual(s.pixels, Array(bytes[s.record * 3073 + 1..<(s.record + 1) * 3073]), "\(s.file) record \(s.record)")
            }
        }
        let test = try CIFARCensus.read(folder: folder, files: [CIFAR10.testFile], perClass: 2, generator: &g)
        XCTAssertEqual(test.classCounts, [2, 2, 2, 2, 2, 2, 2, 1, 1, 1])
        XCTAssertEqual(test.samples[9].count, 1, "a class with fewer images than asked gives what it has")
    }

    func testSamplesAreDrawnUniformlyWithinAClass() throws {
        // Class 0 of the test file holds records 0, 10, ..., 90: each of the 10 should be drawn
        // with probability 2/10 (reservoir sampling); 1,500 seeds give 300 +- 15.5 draws each.
        let (folder, _) = try Self.fixture(perFile: 10, testCount: 100)
        var counts: [Int: Int] = [:]
        for seed in 0..<1500 {
            var g = SeededGenerator(seed: UInt64(seed))
            let census = try CIFARCensus.read(folder: folder, files: [CIFAR10.testFile], perClass: 2, generator: &g)
            XCTAssertEqual(census.samples[0].count, 2)
            for s in census.samples[0] { counts[s.record, default: 0] += 1 }
        }
        XCTAssertEqual(counts.keys.sorted(), Array(stride(from: 0, to: 100, by: 10)))
        for (record, count) in counts { XCTAssertEqual(Double(count), 300, accuracy: 5 * 15.5, "record \(record)") }
    }

    func testExpectationNamesEveryCountThatDiffers() throws {
        let (folder, files) = try Self.fixture(perFile: 30, testCount: 30)
        var g = SeededGenerator(seed: 0)
        let train = try CIFARCensus.read(folder: folder, files: CIFAR10.trainFiles, perClass: 1, generator: &g)
        var test = try CIFARCensus.read(folder: folder, files: [CIFAR10.testFile], perClass: 1, generator: &g)
        let names = CIFAR10.defaultClassNames
        let scaledDown = CIFARExpectation(trainImages: 150, testImages: 30, imagesPerFile: 30, trainPerClass: 15, testPerClass: 3)
        XCTAssertEqual(scaledDown.mismatches(train: train, test: test, classNames: names), [])
        let real = CIFARExpectation().mismatches(train: train, test: test, classNames: names)
        XCTAssertEqual(real.count, 2 + 6 + 20, "both totals, six files, ten classes in each split")
        XCTAssertEqual(real.first, "training set: 150, expected 50,000")
        XCTAssertTrue(real.contains("class 3 (cat) in the test set: 3, expected 1,000"), "\(real)")
        // One test image relabelled from cat (3) to dog (5): exactly those two classes are named.
        var bytes = try XCTUnwrap(files[CIFAR10.testFile])
        bytes[3 * 3073] = 5
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + CIFAR10.testFile))
        test = try CIFARCensus.read(folder: folder, files: [CIFAR10.testFile], perClass: 1, generator: &g)
        XCTAssertEqual(scaledDown.mismatches(train: train, test: test, classNames: names),
                       ["class 3 (cat) in the test set: 2, expected 3", "class 5 (dog) in the test set: 4, expected 3"])
        // A missing file is the reader's error, which says how to get the data.
        try FileManager.default.removeItem(atPath: folder + "/data_batch_4.bin")
        XCTAssertThrowsError(try CIFARCensus.read(folder: folder, files: CIFAR10.trainFiles, perClass: 1, generator: &g)) { error in
            XCTAssertTrue("\(error)".contains("data_batch_4.bin is missing or unreadable"), "\(error)")
            XCTAssertTrue((error as? PluginError)?.hint.contains("host fetch cifar10") ?? false, "\(error)")
        }
    }

    func testSheetCellsHoldTheSourcePixels() throws {
        let (folder, _) = try Self.fixture(perFile: 12, testCount: 25)
        var g = SeededGenerator(seed: 2)
        let train = try CIFARCensus.read(folder: folder, files: CIFAR10.trainFiles, perClass: 3, generator: &g)
        let test = try CIFARCensus.read(folder: folder, files: [CIFAR10.testFile], perClass: 3, generator: &g)
        for scale in [1, 3] {
            let sheet = CIFARSampleSheet(perClass: 3, scale: scale, classNames: CIFAR10.defaultClassNames)
            let image = sheet.render(train: train.samples, test: test.samples)
            XCTAssertEqual(image.width, sheet.size.width)
            XCTAssertEqual(image.height, sheet.size.height)
            XCTAssertEqual(image.channels, 3)
            var checked = 0
            for (isTest, census) in [(false, train), (true, test)] {
                for c in 0..<10 {
                    for column in 0..<3 {
                        let (x0, y0) = sheet.origin(test: isTest, row: c, column: column)
                        for y in 0..<32 * scale {
                            for x in 0..<32 * scale {
                                for ch in 0..<3 {
                                    let got = image.pixels[((y0 + y) * image.width + x0 + x) * 3 + ch]
                                    if column < census.samples[c].count {
                                        XCTAssertEqual(got, census.samples[c][column].pixels[ch * 1024 + (y / scale) * 32 + x / scale])
                                    } else {
                                        XCTAssertEqual(got, CIFARSampleSheet.emptyGray, "an empty cell is gray")
                                    }
                                    checked += 1
                                }
                            }
                        }
                    }
                }
            }
            XCTAssertEqual(checked, 2 * 10 * 3 * 3072 * scale * scale)
        }
        // Test classes 5...9 have 2 images (25 records): their third cell is the empty one.
        XCTAssertEqual(test.samples.map(\.count), [3, 3, 3, 3, 3, 2, 2, 2, 2, 2])
    }
}
