import Foundation
import PluginAPI
import XCTest

/// The streaming gunzip (`Gzip.decompress(limit:read:write:)`) against the whole-array readers
/// and Python's zlib and gzip (levels 1, 6, 9: Fixtures/inflate, made by make.py there), with
/// the input handed over 1, 7 and 4,096 bytes at a time; truncated and corrupt streams throw
/// the whole-array readers' errors.
final class InflateStreamTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/inflate").path
    static let chunkSizes = [1, 7, 4096]

    func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + name)))
    }

    /// make.py's data: 32,000 bytes of words with a random byte now and then, then bytes that
    /// repeat the one 32,000 back, with a random byte about every 1,000.
    static func fixtureData(count: Int = 100_000, seed: UInt64 = 23) -> [UInt8] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let words = ["the", "of", "and", "to", "in", "is", "was", "for"].map { Array($0.utf8) }
        var out: [UInt8] = []
        while out.count < 32_000 {
            if next() % 16 == 0 { out.append(UInt8(truncatingIfNeeded: next())) } else { out += words[Int(next() % 8)] + [0x20] }
        }
        out.removeLast(out.count - 32_000)
        while out.count < count {
            out.append(next() % 1000 == 0 ? UInt8(truncatingIfNeeded: next()) : out[out.count - 32_000])
        }
        return out
    }

    /// What the streaming reader makes of `file` handed over `chunk` bytes at a time: the
    /// output it wrote, the largest piece, and the error it threw (nil when it returned).
    static func streamed(_ file: [UInt8], chunk: Int, limit: Int = Inflate.defaultLimit) -> (out: [UInt8], largest: Int, error: String?) {
        var offset = 0, out: [UInt8] = [], largest = 0
        do {
            try Gzip.decompress(limit: limit, read: {
                let piece = Array(file[offset..<min(file.count, offset + chunk)])
                offset += piece.count
                return piece
            }, write: { piece in
                out += piece
                largest = max(largest, piece.count)
            })
            return (out, largest, nil)
        } catch {
            return (out, largest, "\(error)")
        }
    }

    func message(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }

    /// A gzip file around the DEFLATE data of a zlib stream whose output is `data`.
    static func gzip(zlib: [UInt8], of data: [UInt8]) -> [UInt8] {
        let crc = Checksum.crc32(data), size = UInt32(truncatingIfNeeded: data.count)
        return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + zlib[2..<(zlib.count - 4)]
            + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) } + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * UInt32($0))) }
    }

    func testTheGeneratorIsMakePys() {
        XCTAssertEqual(Checksum.crc32(Self.fixtureData()), 0x850e73cf, "make.py prints the CRC-32 of its data")
    }

    func testPythonsGzipAndZlibAtLevels1_6_9() throws {
        let data = Self.fixtureData()
        for level in [1, 6, 9] {
            let gz = try fixture("text.l\(level).gz"), zlib = try fixture("text.l\(level).zlib")
            XCTAssertEqual(gz[3] & 0x08, 0x08, "the gzip header names the file")
            XCTAssertEqual(try Gzip.decompress(gz), data, "gzip level \(level)")
            XCTAssertEqual(try Inflate.zlib(zlib), data, "zlib level \(level)")
            for chunk in Self.chunkSizes {
                for (name, file) in [("gzip", gz), ("zlib", Self.gzip(zlib: zlib, of: data))] {
                    let result = Self.streamed(file, chunk: chunk)
                    XCTAssertNil(result.error, "\(name) level \(level), \(chunk)-byte pieces")
                    XCTAssertEqual(result.out, data, "\(name) level \(level), \(chunk)-byte pieces")
                }
            }
        }
    }

    func testRandomDataStreamsAsTheWholeArrayReadsIt() throws {
        var state: UInt64 = 7
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        // Random bytes, runs and copies from up to 32 KB back, past the 288 KB the inflater holds.
        for count in [0, 1, 5000, 700_000] {
            var data: [UInt8] = []
            while data.count < count {
                switch next() % 3 {
                case 0: data += (0..<Int(next() % 300)).map { _ in UInt8(truncatingIfNeeded: next()) }
                case 1: data += [UInt8](repeating: UInt8(truncatingIfNeeded: next()), count: Int(next() % 600))
                default:
                    guard data.count > 32_768 else { continue }
                    let from = data.count - 32_768 + Int(next() % 100)
                    data += data[from..<(from + Int(next() % 500))]
                }
            }
            data = Array(data.prefix(count))
            let file = Gzip.compress(data)
            let whole = try Gzip.decompress(file)
            XCTAssertEqual(whole, data)
            for chunk in Self.chunkSizes {
                let result = Self.streamed(file, chunk: chunk)
                XCTAssertNil(result.error, "\(count) bytes, \(chunk)-byte pieces")
                XCTAssertEqual(result.out, whole, "\(count) bytes, \(chunk)-byte pieces")
                XCTAssertLessThanOrEqual(result.largest, 256 << 10, "pieces of at most 256 KB")
            }
        }
    }

    func testStoredBlocksStream() throws {
        var state: UInt64 = 11
        let data = (0..<300_000).map { _ -> UInt8 in state = state &* 6364136223846793005 &+ 1; return UInt8(truncatingIfNeeded: state >> 40) }
        // Stored blocks of 65,535 bytes and less (RFC 1951, 3.2.4), the last one empty.
        var deflate: [UInt8] = [], offset = 0
        for size in [0, 1] + [Int](repeating: 65_535, count: 4) + [data.count - 1 - 4 * 65_535] {
            let block = Array(data[offset..<(offset + size)])
            offset += size
            deflate += [0, UInt8(size & 0xFF), UInt8(size >> 8), UInt8(~size & 0xFF), UInt8(~size >> 8 & 0xFF)] + block
        }
        XCTAssertEqual(offset, data.count)
        deflate += [1, 0, 0, 0xFF, 0xFF]
        let zlib = [0x78, 0x01] + deflate + [0, 0, 0, 0]
        let file = Self.gzip(zlib: zlib, of: data)
        XCTAssertEqual(try Gzip.decompress(file), data)
        for chunk in Self.chunkSizes { XCTAssertEqual(Self.streamed(file, chunk: chunk).out, data, "\(chunk)-byte pieces") }
    }

    func testTruncatedStreamsThrowTheWholeArrayErrors() throws {
        let gz = try fixture("text.l6.gz")
        let expected: [(cut: Int, whole: String, streamed: String)] = [
            (0, "not a gzip file (it does not start with 1f 8b)", "not a gzip file (it does not start with 1f 8b)"),
            (3, "not a gzip file (it does not start with 1f 8b)", "the gzip header is truncated"),
            (15, "not a gzip file (it does not start with 1f 8b)", "the gzip header is truncated"),   // inside the name
            (19, "the gzip header is truncated", "the gzip header is truncated"),                    // no DEFLATE data
        ]
        for (cut, whole, streamed) in expected {
            XCTAssertEqual(message { try Gzip.decompress(Array(gz.prefix(cut))) }, whole, "cut at \(cut)")
            for chunk in Self.chunkSizes { XCTAssertEqual(Self.streamed(Array(gz.prefix(cut)), chunk: chunk).error, streamed, "cut at \(cut)") }
        }
        for cut in [20, 100, gz.count / 2, gz.count - 9, gz.count - 8, gz.count - 5, gz.count - 1] {
            let truncated = Array(gz.prefix(cut))
            let whole = message { try Gzip.decompress(truncated) }
            XCTAssertTrue(["the compressed data is truncated", "the gzip file is truncated (no CRC-32 and length at the end)"].contains(whole ?? ""),
                          "cut at \(cut): \(whole ?? "read")")
            for chunk in Self.chunkSizes { XCTAssertEqual(Self.streamed(truncated, chunk: chunk).error, whole, "cut at \(cut), \(chunk)-byte pieces") }
        }
        let zlib = try fixture("text.l6.zlib")
        XCTAssertEqual(message { try Inflate.zlib(Array(zlib.prefix(zlib.count / 2))) }, "the compressed data is truncated")
        XCTAssertEqual(message { try Inflate.zlib(Array(zlib.dropLast(2))) }, "the zlib stream lacks its Adler-32 checksum")
    }

    func testCorruptStreamsThrowTheWholeArrayErrorsWithoutCrashing() throws {
        let data = Self.fixtureData()
        for level in [1, 9] {
            let gz = try fixture("text.l\(level).gz"), zlib = try fixture("text.l\(level).zlib")
            // Every 97th byte of the DEFLATE data and the trailer (not the header's name and time,
            // nor the last DEFLATE byte, whose top bits may be padding).
            for position in Array(stride(from: 19, to: gz.count - 9, by: 97)) + Array((gz.count - 8)..<gz.count) {
                for flip: UInt8 in [0x01, 0x80, 0xFF] {
                    var damaged = gz
                    damaged[position] ^= flip
                    // A few flips change nothing (the code length of a symbol the block never
                    // uses): Python's zlib accepts those too, with the same output.
                    let whole = message { try Gzip.decompress(damaged) }
                    if whole == nil { XCTAssertEqual(try Gzip.decompress(damaged), data, "level \(level): byte \(position) ^ \(flip)") }
                    let streamed = Self.streamed(damaged, chunk: 7)
                    XCTAssertEqual(streamed.error, whole, "level \(level): byte \(position) ^ \(flip)")
                    if whole == nil { XCTAssertEqual(streamed.out, data) }
                    if position < gz.count - 9 {
                        var z = zlib
                        z[position - 17] ^= flip                    // the same DEFLATE byte in the zlib stream
                        if let accepted = try? Inflate.zlib(z) { XCTAssertEqual(accepted, data, "zlib level \(level): byte \(position - 17) ^ \(flip)") }
                    }
                }
            }
        }
        XCTAssertEqual(message { try Gzip.decompress([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + [UInt8](repeating: 0xFF, count: 8)) }, "invalid block type 3")
    }

    func testTheLimitStopsTheStreamAsTheWholeArray() {
        let bomb = ArchiveRegressionTests.bomb(matches: 10_000)
        let whole = message { try Gzip.decompress(bomb, limit: 1 << 20) }
        XCTAssertEqual(whole, "the data inflates to more than 1048576 bytes, the limit (a damaged file or a decompression bomb)")
        let result = Self.streamed(bomb, chunk: 4096, limit: 1 << 20)
        XCTAssertEqual(result.error, whole)
        XCTAssertLessThanOrEqual(result.out.count, 1 << 20, "nothing past the limit is written")
        XCTAssertEqual(Self.streamed(bomb, chunk: 4096, limit: 3 << 20).error, "CRC-32 mismatch: the data is corrupt", "under the limit it inflates")
    }

    func testErrorsOfReadAndWriteArePassedOn() {
        struct Stop: Error {}
        let file = Gzip.compress([UInt8](repeating: 5, count: 1000))
        XCTAssertThrowsError(try Gzip.decompress(read: { throw Stop() }, write: { _ in })) { XCTAssertTrue($0 is Stop) }
        var given = false
        XCTAssertThrowsError(try Gzip.decompress(read: { defer { given = true }; return given ? [] : file }, write: { _ in throw Stop() })) {
            XCTAssertTrue($0 is Stop)
        }
    }
}
