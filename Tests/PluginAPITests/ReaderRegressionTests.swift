import Foundation
import PluginAPI
import XCTest

/// The reproductions of issue 18 (and what grew around them) for the NPY, IDX, PGM, CIFAR-10
/// batch and PNG readers: each is refused with the reader's own error, one line naming the
/// file and what is wrong, before anything of the size the file claims is allocated.
final class ReaderRegressionTests: XCTestCase {
    /// The error `body` throws as a PluginError (failing the test when it throws anything else or nothing).
    func refusal(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> PluginError? {
        do {
            _ = try body()
            XCTFail("accepted", file: file, line: line)
        } catch let error as PluginError {
            XCTAssertEqual(error.kind, .invalidInput, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)", file: file, line: line)
            XCTAssertFalse(error.hint.isEmpty, file: file, line: line)
            return error
        } catch {
            XCTFail("not a PluginError: \(error)", file: file, line: line)
        }
        return nil
    }

    func assertRefused(_ body: () throws -> Any, saying expected: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let error = refusal(body, file: file, line: line) else { return }
        XCTAssertTrue(error.message.contains(expected), "'\(error.message)' lacks '\(expected)'", file: file, line: line)
    }

    func temporaryFile(_ bytes: [UInt8], name: String = "f") throws -> String {
        let folder = NSTemporaryDirectory() + "reader-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A version 1.0 `.npy` file with `header` (padded as NumPy pads it) and `data`.
    func npy(_ header: String, data: [UInt8]) -> [UInt8] {
        var text = header
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        let length = text.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8) + data
    }

    // MARK: NPY

    func testNPYWhoseElementCountTimesWidthWrapsIsRefused() {
        let bytes = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", data: [UInt8](repeating: 0, count: 800))
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "x.npy is not a valid .npy file: shape [2305843009213693952] of <f8 needs more bytes than fit in 64 bits")
    }

    func testNPYShapeWhoseProductOverflowsIsRefusedEvenBesideAZero() {
        let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }", data: [])
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "more elements than fit in 64 bits")
    }

    func testNPYHeaderWithAnUnknownKeyIsRefused() {
        let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", data: [0, 0, 0, 0])
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "unknown key 'extra'")
    }

    func testNPYHeaderWithoutFortranOrderIsRefused() {
        let bytes = npy("{'descr': '<f4', 'shape': (1,), }", data: [0, 0, 0, 0])
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "the header has no 'fortran_order'")
    }

    func testNPYFortranOrderThatIsNotTrueOrFalseIsRefused() {
        let bytes = npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", data: [0, 0, 0, 0])
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "'fortran_order' must be True or False")
    }

    func testNPYShapeWithANegativeDimensionIsRefused() {
        let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", data: [0, 0, 0, 0])
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "'shape' must be a tuple of non-negative integers")
    }

    func testNPYShapeThatIsNotATupleIsRefused() {
        let bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1), }", data: [0, 0, 0, 0])
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "a one-element tuple needs a trailing comma")
    }

    func testNPYHeaderWithARepeatedKeyIsRefused() {
        let bytes = npy("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "repeats the key 'descr'")
    }

    func testNPYWithTrailingBytesIsRefused() {
        let bytes = NPY.encode(NPYArray(shape: [2], floats: [1, 2])) + [0, 0, 0, 0]
        assertRefused({ try NPY.decode(bytes, name: "x.npy") }, saying: "the data has trailing bytes: shape [2] of <f4 needs 8 bytes, the file has 12")
    }

    func testNPYFloat64BeyondFloat32RangeIsBadInputForAFloat32Experiment() throws {
        let path = try temporaryFile(NPY.encode(NPYArray(shape: [3], values: [1, 1e300, 2], dtype: "<f8")), name: "big.npy")
        XCTAssertEqual(try NPY.read(path).values, [1, 1e300, 2], "the reader itself keeps doubles")
        assertRefused({ try NPY.readFloat32(path) }, saying: "big.npy: value 1e+300 at flat index 1 is beyond the float32 range")
        let nan = try temporaryFile(NPY.encode(NPYArray(shape: [2], floats: [.nan, 1])), name: "nan.npy")
        assertRefused({ try NPY.readFloat32(nan) }, saying: "nan.npy: value nan at flat index 0 is not a finite number")
        XCTAssertEqual(try NPY.readFloat32(try temporaryFile(NPY.encode(NPYArray(shape: [1, 2], floats: [3, 4])))).values, [3, 4])
    }

    // MARK: IDX

    func testIDXWhoseDimensionsOverflowIsRefused() {
        var bytes: [UInt8] = [0, 0, 8, 3]
        for size in [10, 3_592_428_228, 2_567_447_824] as [UInt32] { bytes += [UInt8(size >> 24), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] }
        bytes += [UInt8](repeating: 1, count: 640)
        assertRefused({ try IDX.parse(bytes, source: "images.idx") }, saying: "images.idx: the header promises 10 x 3592428228 x 2567447824 values, more than fit in 64 bits")
    }

    // MARK: PGM

    func testPGMWhosePixelsPassTheFileLengthIsRefusedBeforeAllocating() {
        let header = Array("P5\n16777216 256\n255\n".utf8)
        let bytes = header + [UInt8](repeating: 7, count: 40 - header.count)
        assertRefused({ try PGM.parse(bytes, source: "a.pgm") }, saying: "a.pgm: truncated: 16777216 x 256 needs 4294967296 bytes of pixels, the file has 20")
    }

    func testPGMOfSixteenMillionSquaredIsRefusedBeforeAllocating() {
        assertRefused({ try PGM.parse(Array("P5\n16777216 16777216\n255\n".utf8) + [1, 2, 3], source: "b.pgm") },
                      saying: "b.pgm: truncated: 16777216 x 16777216 needs 281474976710656 bytes")
        assertRefused({ try PGM.parse(Array("P2\n16777216 16777216\n255\n1 2 3".utf8), source: "c.pgm") },
                      saying: "c.pgm: truncated: 16777216 x 16777216 needs 281474976710656 values, the file has room for at most 3")
    }

    // MARK: CIFAR-10 batches

    func testCIFARBatchFileOfTheWrongLengthIsRefused() throws {
        let path = try temporaryFile([UInt8](repeating: 1, count: 3074), name: "data_batch_1.bin")
        assertRefused({ try CIFAR10.readBatchBytes(path) }, saying: "data_batch_1.bin: 3074 bytes is not a whole number of 3073-byte records")
        let empty = try temporaryFile([], name: "test_batch.bin")
        assertRefused({ try CIFAR10.readBatchBytes(empty, limit: 5) }, saying: "test_batch.bin: 0 bytes is not a whole number")
    }

    func testCIFARSubsetReadsOnlyItsRecords() throws {
        // Record 2 is damaged (label 200): a subset of 2 never reads it; the whole file is refused.
        var bytes = [UInt8](repeating: 0, count: 3 * 3073)
        bytes[0] = 4; bytes[3073] = 9; bytes[2 * 3073] = 200
        let path = try temporaryFile(bytes, name: "data_batch_2.bin")
        let subset = try CIFAR10.readBatchBytes(path, limit: 2)
        XCTAssertEqual(subset.labels, [4, 9])
        XCTAssertEqual(subset.pixels.count, 2 * 3072)
        assertRefused({ try CIFAR10.readBatchBytes(path) }, saying: "data_batch_2.bin: record 2 has label 200, above 9")
        assertRefused({ try CIFAR10.readBatchBytes(path, limit: -1) }, saying: "cannot read -1 records")
    }

    func testCIFARBatchThatIsAFolderIsRefused() throws {
        let folder = (try temporaryFile([], name: "x") as NSString).deletingLastPathComponent
        assertRefused({ try CIFAR10.readBatchBytes(folder) }, saying: "is missing or unreadable")
    }

    // MARK: PNG

    func testPNGWhoseSizeOverflowsIsRefusedBeforeInflating() {
        let huge = PNG.encode(Image(width: 1, height: 1, channels: 3, fill: 0))
        var bytes = huge
        bytes.replaceSubrange(16..<24, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        let crc = Checksum.crc32(bytes[12..<29])
        bytes.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        assertRefused({ try PNG.decode(bytes, name: "huge.png") }, saying: "huge.png is not a readable PNG: 4294967295 x 4294967295 pixels are more than the 256 MB")
    }
}
