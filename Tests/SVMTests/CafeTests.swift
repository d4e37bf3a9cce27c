import Foundation
import PluginAPI
import SVM
import XCTest

/// The PGM reader, CAFE's names, split and labels, and the generated stand-in.
final class CafeTests: XCTestCase {
    func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "cafe-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    func testWeightMapsAreCastToIntegersAsTheHandoutSays() {
        // 3(e): w = (w - min) * 255 / (max - min) over all maps, then .int(), which truncates.
        let maps = [Tensor([0, 1], shape: [1, 2]), Tensor([2, 4], shape: [1, 2])]
        XCTAssertEqual(Image.jointlyScaled(maps, rounding: .towardZero).map(\.pixels), [[0, 63], [127, 255]])
        XCTAssertEqual(Image.jointlyScaled(maps).map(\.pixels), [[0, 64], [128, 255]], "the default rounds to nearest, as before")
        let weights: [Float] = [-0.0123, 0.0456, 0.00071, -0.031, 0.0289, 0.0012]
        let low = weights.min() ?? 0, high = weights.max() ?? 1
        let cast = weights.map { UInt8(Int(($0 - low) * 255 / (high - low))) }
        XCTAssertEqual(Image.jointlyScaled([Tensor(weights, shape: [2, 3])], rounding: .towardZero)[0].pixels, cast)
    }

    func testPGMBinaryPlainSixteenBitAndComments() throws {
        let p5 = Array("P5\n# made by hand\n3 2 # width height\n255\n".utf8) + [0, 128, 255, 1, 2, 3]
        let a = try PGM.parse(p5, source: "a.pgm")
        XCTAssertEqual([a.width, a.height, a.maxValue], [3, 2, 255])
        XCTAssertEqual(a.samples, [0, 128, 255, 1, 2, 3])
        XCTAssertEqual(a.scaled[2], 1)
        let p2 = try PGM.parse(Array("P2 2 2 15\n0 15\n# comment\n7 3\n".utf8), source: "b.pgm")
        XCTAssertEqual(p2.samples, [0, 15, 7, 3])
        let wide = try PGM.parse(Array("P5 2 1 65535\n".utf8) + [0x01, 0x02, 0xff, 0xff], source: "c.pgm")
        XCTAssertEqual(wide.samples, [258, 65535], "16-bit samples are big-endian")
        XCTAssertEqual(try PGM.parse(PGM.encode(wide), source: "d"), wide)
        XCTAssertEqual(try PGM.parse(PGM.encode(a), source: "e"), a)
    }

    func testBrokenPGMFilesNameTheirFault() {
        func message(_ bytes: [UInt8]) -> String {
            do { _ = try PGM.parse(bytes, source: "f.pgm"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(Array("P6 1 1 255\n".utf8) + [0, 0, 0]).contains("f.pgm: not a PGM file"))
        XCTAssertTrue(message(Array("P5 4 4 255\n".utf8) + [1, 2, 3]).contains("f.pgm: truncated: 4 x 4 needs 16 bytes"))
        XCTAssertTrue(message(Array("P5 4\n".utf8)).contains("no height"))
        XCTAssertTrue(message(Array("P5 1 1 70000\n".utf8) + [0]).contains("maxval 70000"))
        XCTAssertTrue(message(Array("P2 2 1 10\n3 11\n".utf8)).contains("above maxval"))
        XCTAssertTrue(message(Array("P2 2 2 10\n3 1 2".utf8)).contains("needs 4 values"))
    }

    func testNamesGiveLabelAndSplit() {
        XCTAssertEqual(CafeData.parse(name: "018_h2.pgm")?.label, 2)
        XCTAssertEqual(CafeData.parse(name: "018_h2.pgm")?.isTest, false)
        XCTAssertEqual(CafeData.parse(name: "021_a1.pgm")?.isTest, true, "second digit 2: test")
        XCTAssertEqual(CafeData.parse(name: "132_s1.pgm")?.isTest, true, "second digit 3: test")
        XCTAssertEqual(CafeData.parse(name: "132_s1.pgm")?.label, 5)
        XCTAssertEqual(CafeData.emotions.map(\.letter), ["a", "d", "h", "m", "f", "s"])
        XCTAssertNil(CafeData.parse(name: "018_x2.pgm"), "unknown letter")
        XCTAssertNil(CafeData.parse(name: "18_h2.pgm"))
        XCTAssertNil(CafeData.parse(name: "018_hh.pgm"))
    }

    func testTheStandInHasCafesLayoutSplitAndBalance() throws {
        let folder = try temporaryFolder()
        try CafeGenerator.write(into: folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(files.count, 54)
        XCTAssertTrue(files.allSatisfy { CafeData.parse(name: $0) != nil }, "\(files)")
        let data = try CafeData.read(folder: folder)
        XCTAssertEqual([data.train.count, data.test.count], [36, 18])
        XCTAssertEqual((0..<6).map { c in data.train.labels.filter { $0 == c }.count }, [6, 6, 6, 6, 6, 6])
        XCTAssertEqual((0..<6).map { c in data.test.labels.filter { $0 == c }.count }, [3, 3, 3, 3, 3, 3])
        XCTAssertEqual(data.train.images.count, 36 * 91_200)
        XCTAssertTrue(data.train.images.allSatisfy { $0 >= 0 && $0 <= 1 })
        let image = try PGM.read(folder + "/011_h1.pgm")
        XCTAssertEqual([image.width, image.height], [240, 380], "240 columns, 380 rows")
        // Expressions differ more than noise: happy and maudlin images of one person differ in the mouth.
        let happy = data.train.images[(data.train.files.firstIndex(of: "011_h1.pgm") ?? 0) * 91_200..<((data.train.files.firstIndex(of: "011_h1.pgm") ?? 0) + 1) * 91_200]
        let sad = data.train.images[(data.train.files.firstIndex(of: "011_m1.pgm") ?? 0) * 91_200..<((data.train.files.firstIndex(of: "011_m1.pgm") ?? 0) + 1) * 91_200]
        let changed = zip(happy, sad).filter { abs($0 - $1) > 0.3 }.count
        XCTAssertGreaterThan(changed, 500, "the expression changes hundreds of pixels")
        // Deterministic: the same seed writes the same bytes.
        let again = try temporaryFolder()
        try CafeGenerator.write(into: again)
        XCTAssertEqual(FileManager.default.contents(atPath: again + "/045_s1.pgm"), FileManager.default.contents(atPath: folder + "/045_s1.pgm"))
    }

    func testBadFoldersAreRefusedNamingTheFile() throws {
        let empty = try temporaryFolder()
        XCTAssertThrowsError(try CafeData.read(folder: empty)) { XCTAssertTrue("\($0)".contains("holds no .pgm images"), "\($0)") }
        let wrongSize = try temporaryFolder()
        try PGM.write(GrayImage(width: 10, height: 10, samples: Array(repeating: 1, count: 100), maxValue: 255), to: wrongSize + "/011_h1.pgm")
        XCTAssertThrowsError(try CafeData.read(folder: wrongSize)) { XCTAssertTrue("\($0)".contains("011_h1.pgm: 10 x 10 pixels"), "\($0)") }
        // Names outside the pattern are skipped, as the starter's regex skips them, and listed;
        // a folder with no image named so is refused.
        let badName = try temporaryFolder()
        let face = GrayImage(width: 240, height: 380, samples: Array(repeating: 1, count: 91_200), maxValue: 255)
        try PGM.write(face, to: badName + "/011_q1.pgm")
        try PGM.write(face, to: badName + "/012_n1.pgm")
        XCTAssertThrowsError(try CafeData.read(folder: badName)) { XCTAssertTrue("\($0)".contains("none of its 2 .pgm files is named DDD_<letter><digit>.pgm"), "\($0)") }
        try PGM.write(face, to: badName + "/011_h1.pgm")
        try PGM.write(face, to: badName + "/021_a1.pgm")
        let mixed = try CafeData.read(folder: badName)
        XCTAssertEqual(mixed.skipped, ["011_q1.pgm", "012_n1.pgm"])
        XCTAssertEqual(mixed.train.files, ["011_h1.pgm"])
        XCTAssertEqual(mixed.test.files, ["021_a1.pgm"])
        let truncated = try temporaryFolder()
        try Data(Array("P5 240 380 255\n".utf8) + [1, 2, 3]).write(to: URL(fileURLWithPath: truncated + "/011_h1.pgm"))
        XCTAssertThrowsError(try CafeData.read(folder: truncated)) { XCTAssertTrue("\($0)".contains("011_h1.pgm: truncated"), "\($0)") }
    }
}
