import Foundation
import HostKit
import PluginAPI
import XCTest

/// `host fetch cifar10` against archives served from 127.0.0.1: a good one, one with the wrong
/// checksum, a corrupt one, a missing one; and a manual download given with --archive.
final class FetchCommandTests: XCTestCase {
    var server: LocalHTTPServer!
    let good = CIFAR10.standInArchive(recordsPerBatch: 4, seed: 9)
    var corrupt: [UInt8] = []

    override func setUpWithError() throws {
        corrupt = good
        corrupt[corrupt.count / 2] ^= 0x55
        server = try LocalHTTPServer(files: ["/good.tar.gz": good, "/corrupt.tar.gz": corrupt])
    }

    override func tearDown() { server.stop() }

    func fetch(_ arguments: [String], root: String) throws -> TestSupport.Result {
        try TestSupport.run(TestSupport.hostPath, ["fetch", "cifar10", "--dir", root] + arguments)
    }

    func testDownloadsChecksAndUnpacksThenTheExperimentsFindIt() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try fetch(["--url", server.url("/good.tar.gz"), "--md5", MD5.hex(good)], root: root)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("CIFAR-10 is in \(root)/cifar-10-batches-bin"), result.stdout)
        XCTAssertTrue(result.stderr.contains("downloading \(server.url("/good.tar.gz"))"), result.stderr)
        let train = try CIFAR10.readTraining(folder: root + "/cifar-10-batches-bin")
        XCTAssertEqual(train.count, 20)
        // The default data folder is where the experiments look when no folder is given.
        let listing = try TestSupport.run(TestSupport.hostPath, ["fetch", "cifar10", "--archive", root + "/nope.tar.gz"],
                                          environment: ["HOST_DATA_DIR": root])
        XCTAssertEqual(listing.status, 2)
        XCTAssertTrue(listing.stderr.contains("nope.tar.gz is missing or unreadable"), listing.stderr)
    }

    func testWrongChecksumFailsAndLeavesNothing() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try fetch(["--url", server.url("/good.tar.gz")], root: root)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("MD5 is \(MD5.hex(good)), expected c32a1d4ab5d03f1284b67883e8d87530"), result.stderr)
        XCTAssertTrue(result.stderr.contains("download it again"), result.stderr)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [], [])
    }

    func testCorruptArchiveFailsAndLeavesNothing() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try fetch(["--url", server.url("/corrupt.tar.gz"), "--md5", MD5.hex(corrupt)], root: root)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("cannot be unpacked"), result.stderr)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [], [])
    }

    func testMissingFileAndNoServerSayWhereToPutAManualDownload() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let missing = try fetch(["--url", server.url("/absent.tar.gz")], root: root)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("HTTP 404"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("host fetch cifar10 --archive PATH"), missing.stderr)
        let refused = try fetch(["--url", "http://127.0.0.1:1/cifar.tar.gz"], root: root)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("cannot download http://127.0.0.1:1/cifar.tar.gz"), refused.stderr)
    }

    func testManualDownloadWithArchive() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = root + "/cifar-10-binary.tar.gz"
        try Data(good).write(to: URL(fileURLWithPath: file))
        let result = try fetch(["--archive", file, "--md5", MD5.hex(good)], root: root + "/data")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try CIFAR10.readTest(folder: root + "/data/cifar-10-batches-bin").count, 4)
    }

    func testOptionErrors() throws {
        let badMD5 = try TestSupport.run(TestSupport.hostPath, ["fetch", "cifar10", "--md5", "xyz"])
        XCTAssertEqual(badMD5.status, 2)
        XCTAssertTrue(badMD5.stderr.contains("--md5: 'xyz' is not 32 hex digits"), badMD5.stderr)
        let unknown = try TestSupport.run(TestSupport.hostPath, ["fetch", "mnist"])
        XCTAssertTrue(unknown.stderr.contains("`host fetch` does not know 'mnist'"), unknown.stderr)
        let option = try TestSupport.run(TestSupport.hostPath, ["fetch", "cifar10", "--force"])
        XCTAssertTrue(option.stderr.contains("`host fetch` has no option --force"), option.stderr)
    }
}
