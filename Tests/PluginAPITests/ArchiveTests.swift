import Foundation
import HostKit
import PluginAPI
import XCTest

/// MD5, gzip and tar (what `host fetch cifar10` needs), and unpacking a CIFAR-10 archive.
final class ArchiveTests: XCTestCase {
    /// A tar.gz written by Python's tarfile (GNU format) and gzip (zlib's dynamic Huffman).
    static let pythonTarGz = "1f8b08000000000002034bce4c4b2cd23534d04d4a2c49ce482dd64dcaccd32f4a4d4cc94dd52ba92861a006300002331313300d04e8b481a1a1199c0d16373436363360503060a003282d2e492c52506018a120233527275f21ad283f57a1a0b224233f4f01181c699939a95ce4c8308c82210692b1e5ffe2d224fd243d208b811ef9df10b92c80e67f0353f3d1fc4f17c0c8c4ccc2cac6cec1c9c5cdc3cbc72f2028242c222a262e2129252d232b27afa0a8a4aca2aaa6aea1a9a5ada3aba76f6068646c626a666e6169656d636b67efe0e8e4ece2eae6eee1e9e5ede3ebe71f1018141c121a161e1119151d131b179f9098949c929a969e9199959d939b975f5058545c525a565e5159555d535b57dfd0d8d4dcd2dad6ded1d9d5ddd3dbd73f61e2a4c953a64e9b3e63e6acd973e6ce9bbf60e1a2c54b962e5bbe62e5aad56bd6ae5bbf61e3a6cd5bb66edbbe63e7aedd7bf6eedb7fe0e0a1c3478e1e3b7ee2e4a9d367ce9e3b7fe1e2a5cb57ae5ebb7ee3e6addb77eedebbffe0e1a3c74f9e3e7bfee2e5abd76fdebe7bffe1e3a7cf5fbe7efbfee3e7afdf7ffefefb3fe2fd3f0a46c1281805a360148c8251300a46c1281805a360148c8251300a46c1281805a360148c8251300a46c1281805a360148c82210f00ce1c99a100280000"

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = [], chars = Array(hex.utf8)
        while chars.count >= 2 { out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) ?? 0); chars.removeFirst(2) }
        return out
    }

    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "archive-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testMD5KnownVectorsAndChunking() {
        XCTAssertEqual(MD5.hex([UInt8]()), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(MD5.hex(Array("abc".utf8)), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertEqual(MD5.hex(Array("The quick brown fox jumps over the lazy dog".utf8)), "9e107d9d372bb6826bd81d3542a419d6")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(MD5.hex(million), "7707d6ae4e027c70eea2a935c2296f21")
        var chunked = MD5()
        var at = 0
        for size in [1, 63, 64, 65, 1000, 55, 56, 57] + [Int](repeating: 99_991, count: 10) where at < million.count {
            chunked.update(million[at..<min(at + size, million.count)]); at += size
        }
        if at < million.count { chunked.update(million[at...]) }
        XCTAssertEqual(chunked.finalHex(), "7707d6ae4e027c70eea2a935c2296f21", "fed in uneven pieces")
        XCTAssertEqual(MD5.hex(Self.bytes(hex: Self.pythonTarGz)), "8a7b16eb717fca673aba6bd2a61e835b", "as Python's hashlib")
    }

    func testReadsPythonsTarGz() throws {
        let files = try Tar.files(try Gzip.decompress(Self.bytes(hex: Self.pythonTarGz)))
        XCTAssertEqual(files.map(\.path), ["cifar-10-batches-bin/readme.txt", "cifar-10-batches-bin/sub/b.bin"])
        XCTAssertEqual(files[0].contents, Array(String(repeating: "hello from python tarfile\n", count: 3).utf8))
        XCTAssertEqual(files[1].contents, (0..<512).map { UInt8($0 % 256) })
    }

    func testOurGzipAndTarRoundTrip() throws {
        var g = SeededGenerator(seed: 3)
        let entries = [Tar.Entry(path: "a/empty", contents: []),
                       Tar.Entry(path: "a/b/noise.bin", contents: (0..<1537).map { _ in UInt8(truncatingIfNeeded: g.next()) }),
                       Tar.Entry(path: "exact", contents: [UInt8](repeating: 7, count: 512))]
        XCTAssertEqual(try Tar.files(try Gzip.decompress(Gzip.compress(Tar.archive(entries)))), entries)
    }

    func testDamagedArchivesAreRefusedWithTheirReason() throws {
        let good = Gzip.compress(Tar.archive([Tar.Entry(path: "f", contents: Array(repeating: 1, count: 3000))]))
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { try Gzip.decompress([0x50, 0x4b, 3, 4] + good.dropFirst(4)) }.contains("not a gzip file"))
        XCTAssertTrue(message { try Gzip.decompress(Array(good.dropLast(6))) }.contains("truncated"))
        var flipped = good
        flipped[good.count - 8] ^= 0xFF
        XCTAssertTrue(message { try Gzip.decompress(flipped) }.contains("CRC-32 mismatch"))
        var tar = Tar.archive([Tar.Entry(path: "f", contents: [1, 2, 3])])
        tar[10] ^= 1
        XCTAssertTrue(message { try Tar.files(tar) }.contains("damaged tar header at byte 0"))
        XCTAssertTrue(message { try Tar.files(Tar.archive([Tar.Entry(path: "../escape", contents: [1])])) }.contains("outside the target folder"))
        let whole = Tar.archive([Tar.Entry(path: "long", contents: Array(repeating: 2, count: 2000))])
        XCTAssertTrue(message { try Tar.files(Array(whole.prefix(1024))) }.contains("long needs 2000 bytes"))
    }

    func testInstallsAStandInArchiveAndReadsItBack() throws {
        let root = try temporaryFolder()
        let archive = CIFAR10.standInArchive(recordsPerBatch: 7, seed: 5)
        let folder = try CIFAR10.install(archive: archive, expectedMD5: MD5.hex(archive), into: root, source: "stand-in.tar.gz")
        XCTAssertEqual(folder, root + "/cifar-10-batches-bin")
        let train = try CIFAR10.readTraining(folder: folder), test = try CIFAR10.readTest(folder: folder)
        XCTAssertEqual(train.count, 35)
        XCTAssertEqual(test.count, 7)
        let expected = GeneratedImages.make(count: 7, seed: 5)
        XCTAssertEqual(Array(train.labels.prefix(7)), expected.labels)
        XCTAssertEqual(train.images[100], (expected.images[100] * 255).rounded() / 255, accuracy: 1e-6)
        XCTAssertEqual(CIFAR10.classNames(folder: folder), CIFAR10.defaultClassNames)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["cifar-10-batches-bin"], "no staging folder left")
    }

    func testWrongChecksumOrCorruptArchiveLeavesNothing() throws {
        let root = try temporaryFolder()
        let archive = CIFAR10.standInArchive(recordsPerBatch: 3, seed: 1)
        XCTAssertThrowsError(try CIFAR10.install(archive: archive, into: root, source: "x.tar.gz")) { error in
            XCTAssertTrue("\(error)".contains("x.tar.gz: MD5 is \(MD5.hex(archive)), expected c32a1d4ab5d03f1284b67883e8d87530"), "\(error)")
        }
        var corrupt = archive
        corrupt[corrupt.count / 2] ^= 0x55
        XCTAssertThrowsError(try CIFAR10.install(archive: corrupt, expectedMD5: MD5.hex(corrupt), into: root, source: "c.tar.gz")) { error in
            XCTAssertTrue("\(error)".contains("c.tar.gz cannot be unpacked"), "\(error)")
        }
        let missing = Gzip.compress(Tar.archive([Tar.Entry(path: "cifar-10-batches-bin/data_batch_1.bin", contents: Array(repeating: 0, count: 3073))]))
        XCTAssertThrowsError(try CIFAR10.install(archive: missing, expectedMD5: MD5.hex(missing), into: root, source: "m.tar.gz")) { error in
            XCTAssertTrue("\(error)".contains("m.tar.gz has no cifar-10-batches-bin/data_batch_2.bin"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [], "nothing left behind")
    }
}
