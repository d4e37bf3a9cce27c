import Foundation
import PluginAPI
import XCTest

/// The IDX reader and writer, the embedded digits, and how bad files are refused.
final class IDXTests: XCTestCase {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func testRoundTripAndMNISTLayout() throws {
        let array = IDXArray(shape: [2, 2, 3], bytes: Array(0..<12))
        let bytes = IDX.encode(array)
        XCTAssertEqual(Array(bytes[0..<16]), [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3], "big-endian magic and sizes")
        XCTAssertEqual(try IDX.parse(bytes, source: "x"), array)
    }

    func testMalformedFilesAreRefusedWithTheirReason() {
        let good = IDX.encode(IDXArray(shape: [3, 2, 2], bytes: Array(repeating: 1, count: 12)))
        func message(_ bytes: [UInt8]) -> String {
            do { _ = try IDX.parse(bytes, source: "f.idx"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message([0x1f, 0x8b, 8, 0] + good.dropFirst(4)).contains("f.idx: wrong magic number 1f 8b 08 00"), message([0x1f, 0x8b, 8, 0]))
        XCTAssertTrue(message(Array(good.dropLast(5))).contains("f.idx: truncated: the header promises 3 x 2 x 2 = 12 values, the file holds 7"))
        XCTAssertTrue(message(good + [0]).contains("has trailing bytes"))
        XCTAssertTrue(message(Array(good.prefix(9))).contains("truncated header"))
        XCTAssertTrue(message([0, 0, 0x0d, 1, 0, 0, 0, 0]).contains("type 0xd is not supported"))
    }

    func testImagesAndLabelsMustAgree() {
        let images = IDXArray(shape: [3, 2, 2], bytes: Array(repeating: 1, count: 12))
        XCTAssertThrowsError(try LabeledImages.fromIDX(images: images, labels: IDXArray(shape: [2], bytes: [0, 1]), imagesSource: "i", labelsSource: "l", classes: 10)) {
            XCTAssertEqual("\($0)", "i holds 3 images but l holds 2 labels")
        }
        XCTAssertThrowsError(try LabeledImages.fromIDX(images: images, labels: IDXArray(shape: [3], bytes: [0, 12, 1]), imagesSource: "i", labelsSource: "l", classes: 10)) {
            XCTAssertEqual("\($0)", "l: label 12 at position 1 is not a class 0...9")
        }
        XCTAssertThrowsError(try LabeledImages.fromIDX(images: IDXArray(shape: [12], bytes: Array(repeating: 1, count: 12)), labels: IDXArray(shape: [12], bytes: Array(repeating: 0, count: 12)),
                                                       imagesSource: "i", labelsSource: "l", classes: 10)) {
            XCTAssertTrue("\($0)".contains("images need 3"))
        }
    }

    func testEmbeddedDigitsAreScikitLearnsAndEqualTheShippedFiles() throws {
        let digits = try DigitsDataset.embedded()
        XCTAssertEqual(digits.count, 1797)
        XCTAssertEqual([digits.channels, digits.height, digits.width], [1, 8, 8])
        XCTAssertEqual(digits.images.max(), 16)
        XCTAssertEqual(Array(digits.labels.prefix(12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], "load_digits' order")
        XCTAssertEqual(Array(digits.images.prefix(8)), [0, 0, 5, 13, 9, 1, 0, 0], "the first row of the first image")
        let counts = (0..<10).map { c in digits.labels.filter { $0 == c }.count }
        XCTAssertEqual(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        for (name, bytes) in try DigitsDataset.embeddedFiles() {
            let file = repository + "/data/digits/" + name
            XCTAssertEqual(FileManager.default.contents(atPath: file).map { [UInt8]($0) }, bytes, "\(name): regenerate with scripts/digits_to_idx.py")
        }
        let fromFolder = try DigitsDataset.read(folder: repository + "/data/digits")
        XCTAssertEqual(fromFolder.images, digits.images)
        XCTAssertEqual(fromFolder.labels, digits.labels)
    }

    func testGzippedMNISTFilesAreReadAsTheyAreDistributed() throws {
        let folder = NSTemporaryDirectory() + "idx-gz-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let images = IDXArray(shape: [5, 6, 7], bytes: (0..<210).map { UInt8(($0 * 7) % 256) }), labels = IDXArray(shape: [5], bytes: [0, 9, 2, 2, 5])
        try IDX.write(images, to: folder + "/train-images-idx3-ubyte")
        try IDX.write(labels, to: folder + "/train-labels-idx1-ubyte")
        let plain = try DigitsDataset.read(folder: folder)
        // gzip itself, as MNIST's files were made (our own encoder where gzip is absent).
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"] {
            let path = folder + "/" + name
            if let gzip = ["/usr/bin/gzip", "/bin/gzip"].first(where: FileManager.default.isExecutableFile(atPath:)) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: gzip)
                process.arguments = ["-9", path]
                try process.run()
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0)
            } else {
                try Data(Gzip.compress([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))).write(to: URL(fileURLWithPath: path + ".gz"))
                try FileManager.default.removeItem(atPath: path)
            }
        }
        let zipped = try DigitsDataset.read(folder: folder)
        XCTAssertEqual(zipped.labels, plain.labels)
        XCTAssertEqual(zipped.batch(0..<5).values, plain.batch(0..<5).values)
        // A damaged .gz is bad input naming the file.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte.gz")))
        bytes[bytes.count - 6] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/train-labels-idx1-ubyte.gz"))
        XCTAssertThrowsError(try DigitsDataset.read(folder: folder)) { error in
            XCTAssertEqual((error as? PluginError)?.kind, .invalidInput)
            XCTAssertTrue("\(error)".contains("train-labels-idx1-ubyte.gz"), "\(error)")
        }
    }

    func testAFolderOfMNISTStyleFiles() throws {
        let folder = NSTemporaryDirectory() + "idx-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        XCTAssertThrowsError(try DigitsDataset.read(folder: folder)) { XCTAssertTrue("\($0)".contains("no *images-idx3-ubyte file"), "\($0)") }
        try IDX.write(IDXArray(shape: [4, 12, 10], bytes: (0..<480).map { UInt8($0 % 256) }), to: folder + "/train-images-idx3-ubyte")
        try IDX.write(IDXArray(shape: [4], bytes: [3, 1, 4, 1]), to: folder + "/train-labels-idx1-ubyte")
        let set = try DigitsDataset.read(folder: folder)
        XCTAssertEqual([set.count, set.height, set.width], [4, 12, 10])
        XCTAssertEqual(set.batch(1..<3).shape, [2, 1, 12, 10])
        XCTAssertEqual(set.batch(1..<3).values[0], 120, "image 1 starts at byte 120")
        try IDX.write(IDXArray(shape: [4], bytes: [3, 1, 4, 1]), to: folder + "/t10k-labels-idx1-ubyte")
        XCTAssertThrowsError(try DigitsDataset.read(folder: folder)) { XCTAssertTrue("\($0)".contains("several *labels-idx1-ubyte files"), "\($0)") }
    }
}
