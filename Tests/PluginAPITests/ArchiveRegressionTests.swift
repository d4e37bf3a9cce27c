import Foundation
import HostKit
import PluginAPI
import XCTest

/// The reproductions of issue 18 for tar, gzip and the CIFAR-10 install: negative and
/// overflowing sizes, aliased names, decompression bombs. Each is refused with a one-line
/// reason, and an install leaves nothing behind.
final class ArchiveRegressionTests: XCTestCase {
    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "archive-regressions-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The message of what `body` throws ("accepted" when it throws nothing).
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "accepted" } catch { return "\(error)" }
    }

    /// A one-member archive whose header gets `size` as its size field and `type` as its type,
    /// with the checksum made right again.
    func tar(path: String = "cifar-10-batches-bin", size: [UInt8], type: UInt8, contents: [UInt8] = []) -> [UInt8] {
        var bytes = Tar.archive([Tar.Entry(path: path, contents: contents)])
        bytes.replaceSubrange(124..<136, with: size + [UInt8](repeating: 0, count: 12 - size.count))
        bytes[156] = type
        bytes.replaceSubrange(148..<156, with: [UInt8](repeating: 32, count: 8))
        let sum = bytes[0..<512].reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        bytes.replaceSubrange(148..<156, with: [UInt8](repeating: 0x30, count: 6 - digits.count) + digits + [0, 32])
        return bytes
    }

    /// A gzip file whose DEFLATE data (one fixed-Huffman block: a zero, then `matches` copies
    /// of 258 bytes at distance 1) inflates to 1 + 258 x matches zeros: 13 bits per 258 bytes.
    static func bomb(matches: Int) -> [UInt8] {
        var out: [UInt8] = [], accumulator = 0, filled = 0
        func put(_ bit: Int) {
            accumulator |= bit << filled; filled += 1
            if filled == 8 { out.append(UInt8(accumulator)); accumulator = 0; filled = 0 }
        }
        func code(_ value: Int, _ length: Int) { for i in stride(from: length - 1, through: 0, by: -1) { put(value >> i & 1) } }
        put(1); put(1); put(0)                  // final block, fixed Huffman (01, least significant bit first)
        code(0x30, 8)                           // literal 0
        for _ in 0..<matches { code(0xC5, 8); code(0, 5) }   // length 258 (symbol 285), distance 1
        code(0, 7)                              // end of block
        if filled > 0 { out.append(UInt8(accumulator)) }
        let size = UInt32(truncatingIfNeeded: 1 + 258 * matches)
        return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + out + [0, 0, 0, 0] + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * UInt32($0))) }
    }

    func testTarEntryWithNegativeSizeIsRefused() {
        let archive = tar(path: "cifar-10-batches-bin/data_batch_1.bin", size: Array("-1".utf8), type: UInt8(ascii: "0"))
        XCTAssertEqual(message { try Tar.files(archive) }, "damaged tar header at byte 0 (size field: not an octal number)")
    }

    func testTarDirectoryWithNegativeSizeIsRefusedInsteadOfLoopingForever() {
        let archive = tar(size: Array("-2000".utf8), type: UInt8(ascii: "5"))
        XCTAssertEqual(message { try Tar.files(archive) }, "damaged tar header at byte 0 (size field: not an octal number)")
    }

    func testTarNegativeBase256SizeIsRefused() {
        let archive = tar(size: [UInt8](repeating: 0xFF, count: 12), type: UInt8(ascii: "0"))
        XCTAssertEqual(message { try Tar.files(archive) }, "damaged tar header at byte 0 (size field: a negative or unsupported base-256 number)")
    }

    func testTarBase256SizeIsReadAndAnOverflowingOneIsRefused() throws {
        let archive = tar(path: "f", size: [0x80] + [UInt8](repeating: 0, count: 10) + [3], type: UInt8(ascii: "0"), contents: [7, 8, 9])
        XCTAssertEqual(try Tar.files(archive), [Tar.Entry(path: "f", contents: [7, 8, 9])])
        let huge = tar(size: [0x80] + [UInt8](repeating: 0x7F, count: 11), type: UInt8(ascii: "0"))
        XCTAssertEqual(message { try Tar.files(huge) }, "damaged tar header at byte 0 (size field: a base-256 number too large)")
        let octal = tar(size: Array("77777777777".utf8), type: UInt8(ascii: "0"))
        XCTAssertTrue(message { try Tar.files(octal) }.hasSuffix("needs 8589934591 bytes but the archive ends after 1024"), message { try Tar.files(octal) })
    }

    func testTarMemberGivenTwiceUnderAnAliasIsRefused() {
        let good = Tar.Entry(path: "cifar-10-batches-bin/data_batch_1.bin", contents: [1, 2, 3])
        for alias in ["./cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin//data_batch_1.bin", "cifar-10-batches-bin/./data_batch_1.bin"] {
            let archive = Tar.archive([good, Tar.Entry(path: alias, contents: Array(repeating: 0, count: 8))])
            XCTAssertEqual(message { try Tar.files(archive) },
                           "refusing \(alias): the archive already holds cifar-10-batches-bin/data_batch_1.bin (a duplicate or aliased name)")
        }
    }

    func testTarAbsoluteOrClimbingNamesAreRefused() {
        XCTAssertEqual(message { try Tar.files(Tar.archive([Tar.Entry(path: "//test_batch.bin", contents: [1])])) },
                       "refusing to unpack //test_batch.bin: it is an absolute path, outside the target folder")
        XCTAssertEqual(message { try Tar.files(Tar.archive([Tar.Entry(path: "a/./../../b", contents: [1])])) },
                       "refusing to unpack a/./../../b: it points outside the target folder")
    }

    func testTarFileThatIsAlsoAFolderIsRefused() {
        let archive = Tar.archive([Tar.Entry(path: "a/b", contents: [1]), Tar.Entry(path: "a/b/c", contents: [2])])
        XCTAssertEqual(message { try Tar.files(archive) }, "refusing a/b/c: a/b is a file in the archive, not a folder")
    }

    func testGzipBombIsRefusedAtTheLimit() {
        let bomb = Self.bomb(matches: 10_000)   // 2.58 MB from 16 KB
        XCTAssertLessThan(bomb.count, 20_000)
        XCTAssertEqual(message { try Gzip.decompress(bomb, limit: 1 << 20) },
                       "the data inflates to more than 1048576 bytes, the limit (a damaged file or a decompression bomb)")
        XCTAssertEqual(message { try Gzip.decompress(bomb, limit: 3 << 20) }, "CRC-32 mismatch: the data is corrupt", "under the limit it inflates")
    }

    func testCIFARInstallOfAGzipBombWithAMatchingMD5IsRefusedAndLeavesNothing() throws {
        let root = try temporaryFolder()
        let bomb = Self.bomb(matches: (CIFAR10.maxUnpackedSize / 258) + 10)
        let error = message { try CIFAR10.install(archive: bomb, expectedMD5: MD5.hex(bomb), into: root, source: "bomb.tar.gz") }
        XCTAssertEqual(error, "bomb.tar.gz cannot be unpacked: the data inflates to more than \(CIFAR10.maxUnpackedSize) bytes, the limit (a damaged file or a decompression bomb)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [])
    }

    func testCIFARInstallWithAnAliasedDamagedBatchIsRefusedAndLeavesNothing() throws {
        let root = try temporaryFolder()
        var entries = (CIFAR10.trainFiles + [CIFAR10.testFile]).map {
            Tar.Entry(path: CIFAR10.folderName + "/" + $0, contents: [UInt8](repeating: 1, count: CIFAR10.recordSize))
        }
        entries.append(Tar.Entry(path: "./" + CIFAR10.folderName + "/data_batch_1.bin", contents: [UInt8](repeating: 0, count: 8)))
        let archive = Gzip.compress(Tar.archive(entries))
        let error = message { try CIFAR10.install(archive: archive, expectedMD5: MD5.hex(archive), into: root, source: "aliased.tar.gz") }
        XCTAssertEqual(error, "aliased.tar.gz cannot be unpacked: refusing ./cifar-10-batches-bin/data_batch_1.bin: the archive already holds cifar-10-batches-bin/data_batch_1.bin (a duplicate or aliased name)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [])
    }

    func testCIFARInstallRefusesAnArchiveFileLargerThanTheCap() throws {
        let root = try temporaryFolder()
        let path = root + "/big.tar.gz"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(CIFAR10.maxArchiveSize + 1))   // sparse: no disk used
        try handle.close()
        let error = message { try CIFAR10.install(archiveAt: path, into: root + "/data") }
        XCTAssertTrue(error.hasPrefix("\(path) is 268 MB, more than the 256 MB a CIFAR-10 archive can be"), error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/data"))
    }
}
