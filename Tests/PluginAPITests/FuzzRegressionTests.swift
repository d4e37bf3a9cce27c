import Foundation
import HostKit
import PluginAPI
import XCTest

/// Every input a fuzzer found (kept in fuzz/regressions/<reader>/, see scripts/fuzz.sh) and the
/// seed corpus (fuzz/corpus/<reader>/) go through their reader again: a finding is refused
/// with the reader's own one-line error or read consistently, never a crash; every seed is read.
final class FuzzRegressionTests: XCTestCase {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs the reader named by `reader` on `bytes`; returns the error, or nil when accepted.
    func read(_ reader: String, _ bytes: [UInt8], name: String) throws -> Error? {
        do {
            switch reader {
            case "npy": _ = try NPY.decode(bytes, name: name)
            case "idx": _ = try IDX.parse(bytes, source: name)
            case "pgm": _ = try PGM.parse(bytes, source: name)
            case "cifar": _ = try CIFARBatchFile.decode(bytes, name: name)
            case "tar": _ = try Tar.files(bytes)
            case "gzip":
                // The corpus holds gzip and zlib files; either reader may accept.
                do { _ = try Gzip.decompress(bytes, limit: 1 << 20) } catch { _ = try Inflate.zlib(bytes, limit: 1 << 20) }
            case "png": _ = try PNG.decode(bytes, name: name)
            case "elf": break  // the host's reader: HostTests.RuntimeInterfaceTests replays these
            default: XCTFail("no reader for fuzz/…/\(reader)")
            }
            return nil
        } catch {
            return error
        }
    }

    func files(_ folder: String) -> [(reader: String, name: String, path: String)] {
        let root = repository + "/fuzz/" + folder
        let readers = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
        return readers.flatMap { reader in
            (((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + reader)) ?? []).sorted()).map { (reader, $0, root + "/" + reader + "/" + $0) }
        }
    }

    func testKeptFuzzFindingsAreRefusedCleanly() throws {
        let findings = files("regressions")
        XCTAssertFalse(findings.isEmpty, "fuzz/regressions holds the findings")
        for (reader, name, path) in findings {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            guard let error = try read(reader, bytes, name: name) else { continue }
            switch error {
            case let error as PluginError:
                XCTAssertEqual(error.kind, .invalidInput, "\(reader)/\(name)")
                XCTAssertTrue(error.message.contains(name), "\(reader)/\(name): the message names the file: \(error.message)")
                XCTAssertFalse(error.message.contains("\n"), "\(reader)/\(name): one line")
            case is Tar.Failure, is Inflate.Failure:
                XCTAssertFalse("\(error)".contains("\n"), "\(reader)/\(name): one line")
            default:
                XCTFail("\(reader)/\(name): unexpected error \(error)")
            }
        }
    }

    func testTheSeedCorpusIsRead() throws {
        let seeds = files("corpus")
        XCTAssertGreaterThanOrEqual(Set(seeds.map(\.reader)).count, 7, "a seed corpus per reader")
        for (reader, name, path) in seeds {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertLessThanOrEqual(bytes.count, 16 << 10, "\(reader)/\(name): seeds stay small")
            let error = try read(reader, bytes, name: name)
            XCTAssertNil(error, "\(reader)/\(name) is a valid file")
        }
    }
}
