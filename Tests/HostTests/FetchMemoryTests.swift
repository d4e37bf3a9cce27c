import Foundation
import HostKit
import PluginAPI
import XCTest

/// The memory bound of `host fetch cifar10 --archive FILE` on a full-size stand-in (10,000
/// generated records per batch: a 184 MB tar, as the real archive). Slow (it writes and unpacks
/// a 170 MB archive), so it runs only when `HOST_FETCH_FULL_SIZE` names where to keep the
/// stand-in (made there once, reused after); it measures with `/usr/bin/time -v`.
final class FetchMemoryTests: XCTestCase {
    func testFullSizeStandInUnpacksInUnder100MB() throws {
        guard let archive = ProcessInfo.processInfo.environment["HOST_FETCH_FULL_SIZE"], !archive.isEmpty else {
            throw XCTSkip("set HOST_FETCH_FULL_SIZE=PATH to unpack a full-size stand-in archive (kept at PATH) and check peak memory")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else { throw XCTSkip("no /usr/bin/time") }
        if !FileManager.default.fileExists(atPath: archive) {
            try Data(CIFAR10.standInArchive(recordsPerBatch: 10_000, seed: 1)).write(to: URL(fileURLWithPath: archive))
        }
        let md5 = try XCTUnwrap(FileHandle(forReadingAtPath: archive)).readToEnd().map { MD5.hex($0) } ?? ""
        let root = TestSupport.temporaryFolder("fetch-memory")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try TestSupport.run("/usr/bin/time", ["-v", TestSupport.hostPath, "fetch", "cifar10", "--archive", archive, "--md5", md5, "--dir", root])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try CIFAR10.readTest(folder: root + "/cifar-10-batches-bin").count, 10_000)
        let line = result.stderr.split(separator: "\n").first { $0.contains("Maximum resident set size (kbytes)") }
        let kilobytes = try XCTUnwrap(line.flatMap { Int($0.split(separator: " ").last ?? "") }, result.stderr)
        let wall = result.stderr.split(separator: "\n").first { $0.contains("Elapsed (wall clock)") } ?? ""
        print("full-size stand-in: peak resident \(kilobytes) KiB, \(wall.trimmingCharacters(in: .whitespaces))")
        XCTAssertLessThan(kilobytes * 1024, 100_000_000, "peak resident memory of unpacking the full-size archive")
    }
}
