import Foundation
import HostKit
import PluginAPI
import XCTest

/// `host fetch cifar10` against archives served from 127.0.0.1: a good one, one with the wrong
/// checksum, a corrupt one, a missing one, one cut midway and resumed; and a manual download
/// given with --archive.
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
        XCTAssertTrue(result.stderr.contains(" MB/s"), "progress lines give the rate: \(result.stderr)")
        // Installed data is not downloaded again unless asked.
        let again = try fetch(["--url", server.url("/absent.tar.gz")], root: root)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("already installed in \(root)/cifar-10-batches-bin") && again.stderr.contains("--force"), again.stderr)
        XCTAssertFalse(again.stderr.contains("downloading"), again.stderr)
        let forced = try fetch(["--url", server.url("/good.tar.gz"), "--md5", MD5.hex(good), "--force"], root: root)
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(forced.stderr.contains("downloading"), forced.stderr)
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
        XCTAssertEqual(result.status, 2, "a damaged or wrong archive is bad input")
        XCTAssertTrue(result.stderr.contains("MD5 is \(MD5.hex(good)), expected c32a1d4ab5d03f1284b67883e8d87530"), result.stderr)
        XCTAssertTrue(result.stderr.contains("download it again"), result.stderr)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [], [])
    }

    func testCorruptArchiveFailsAndLeavesNothing() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try fetch(["--url", server.url("/corrupt.tar.gz"), "--md5", MD5.hex(corrupt)], root: root)
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("cannot be unpacked"), result.stderr)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [], [])
    }

    func testMissingFileAndNoServerSayWhereToPutAManualDownload() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let missing = try fetch(["--url", server.url("/absent.tar.gz")], root: root)
        XCTAssertEqual(missing.status, 1, "a download that fails is a failure (exit 1), not a bad command line (2)")
        XCTAssertTrue(missing.stderr.contains("HTTP 404"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("host fetch cifar10 --archive PATH"), missing.stderr)
        let refused = try fetch(["--url", "http://127.0.0.1:1/cifar.tar.gz"], root: root)
        XCTAssertEqual(refused.status, 1)
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

    func testArchiveWithANegativeTarSizeExitsTwoAndLeavesNothing() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var tar = Tar.archive([Tar.Entry(path: "cifar-10-batches-bin/data_batch_1.bin", contents: [])])
        tar.replaceSubrange(124..<136, with: Array("-1".utf8) + [UInt8](repeating: 0, count: 10))
        tar.replaceSubrange(148..<156, with: [UInt8](repeating: 32, count: 8))
        let sum = Array(String(tar[0..<512].reduce(0) { $0 + Int($1) }, radix: 8).utf8)
        tar.replaceSubrange(148..<156, with: [UInt8](repeating: 0x30, count: 6 - sum.count) + sum + [0, 32])
        let archive = Gzip.compress(tar), file = root + "/bad.tar.gz"
        try Data(archive).write(to: URL(fileURLWithPath: file))
        let result = try fetch(["--archive", file, "--md5", MD5.hex(archive)], root: root + "/data")
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("\(file) cannot be unpacked: damaged tar header at byte 0 (size field: not an octal number)"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["bad.tar.gz"])
    }

    func testDownloadLargerThanTheCapIsRefusedAndLeavesNothing() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard case .success(var settings) = FetchCommand.parse(["--url", server.url("/good.tar.gz"), "--md5", MD5.hex(good), "--dir", root]) else {
            return XCTFail("options refused")
        }
        settings.maxDownload = 1000
        guard case .failure(let error) = FetchCommand.fetch(settings) else { return XCTFail("a download past the cap was accepted") }
        XCTAssertEqual(error.exitCode, 1)
        XCTAssertTrue(error.message.contains("the server sends \(good.count) bytes, more than the limit of 1000 bytes"), error.message)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [], [], "no .part file left")
    }

    func testABodyThatNeverEndsIsCutAtTheCapAndLeavesNothing() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard case .success(var settings) = FetchCommand.parse(["--url", server.url(LocalHTTPServer.endlessPath), "--md5", MD5.hex(good), "--dir", root]) else {
            return XCTFail("options refused")
        }
        settings.maxDownload = 100_000
        guard case .failure(let error) = FetchCommand.fetch(settings) else { return XCTFail("an endless download was accepted") }
        XCTAssertEqual(error.exitCode, 1)
        XCTAssertTrue(error.message.contains("100000"), error.message)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [], [], "no .part file left")
    }

    var goodArguments: [String] { ["--url", server.url("/good.tar.gz"), "--md5", MD5.hex(good)] }

    func part(_ root: String) -> String { root + "/cifar-10-binary.tar.gz.part" }

    func contents(_ root: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() }

    func testACutDownloadKeepsItsPartAndTheNextFetchResumesIt() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let half = good.count / 2
        server.cut("/good.tar.gz", after: half)
        let cut = try fetch(goodArguments, root: root)
        XCTAssertEqual(cut.status, 1, "a cut download is a failure: \(cut.stderr)")
        XCTAssertTrue(cut.stderr.contains("cannot download \(server.url("/good.tar.gz"))"), cut.stderr)
        XCTAssertTrue(cut.stderr.contains("kept \(half) of \(good.count) bytes in \(part(root)); run the same command again to resume"), cut.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: part(root))), Data(good.prefix(half)))
        let resumed = try fetch(goodArguments, root: root)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming \(server.url("/good.tar.gz")) after the \(half) bytes in \(part(root))"), resumed.stderr)
        XCTAssertEqual(server.ranges("/good.tar.gz"), [nil, "bytes=\(half)-"], "the second request asks for the rest")
        XCTAssertEqual(try CIFAR10.readTraining(folder: root + "/cifar-10-batches-bin").count, 20)
        XCTAssertEqual(contents(root), ["cifar-10-batches-bin"], "the .part file goes after the install")
    }

    func testAServerThatIgnoresRangesSendsEverythingAgainAndItInstalls() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data(repeating: 0xEE, count: 1000).write(to: URL(fileURLWithPath: part(root)))     // not the archive's start
        server.ignoreRanges("/good.tar.gz")
        let result = try fetch(goodArguments, root: root)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("the server does not resume downloads (HTTP 200, not 206): starting from the beginning"), result.stderr)
        XCTAssertEqual(server.ranges("/good.tar.gz"), ["bytes=1000-"])
        XCTAssertEqual(try CIFAR10.readTest(folder: root + "/cifar-10-batches-bin").count, 4)
        XCTAssertEqual(contents(root), ["cifar-10-batches-bin"])
    }

    func testADamagedPartIsRemovedAndTheErrorSaysToDownloadAgain() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var damaged = Array(good.prefix(good.count / 3))
        damaged[100] ^= 0x01
        try Data(damaged).write(to: URL(fileURLWithPath: part(root)))
        let result = try fetch(goodArguments, root: root)
        XCTAssertEqual(result.status, 2, "damaged data: \(result.stderr)")
        XCTAssertEqual(server.ranges("/good.tar.gz"), ["bytes=\(damaged.count)-"])
        let whole = damaged + good[damaged.count...]
        XCTAssertTrue(result.stderr.contains("MD5 is \(MD5.hex(whole)), expected \(MD5.hex(good))"), result.stderr)
        XCTAssertTrue(result.stderr.contains("download it again"), result.stderr)
        XCTAssertEqual(contents(root), [], "the damaged .part file is not kept for a resume")
    }

    func testAPartTheServerHasNothingPastIsCheckedAndDownloadedAgainWhenDamaged() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data(good).write(to: URL(fileURLWithPath: part(root)))
        let whole = try fetch(goodArguments, root: root)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stderr.contains("the server has nothing past the \(good.count) bytes in \(part(root)): checking it"), whole.stderr)
        XCTAssertEqual(server.ranges("/good.tar.gz"), ["bytes=\(good.count)-"], "nothing downloaded again")
        XCTAssertEqual(contents(root), ["cifar-10-batches-bin"])
        try Data(corrupt).write(to: URL(fileURLWithPath: part(root)))        // as long as the archive, but damaged
        let again = try fetch(goodArguments + ["--force"], root: root)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("--force: discarded the partial download \(part(root))"), again.stderr)
        XCTAssertEqual(server.ranges("/good.tar.gz").count, 2, "--force downloads from the start")
        XCTAssertNil(server.ranges("/good.tar.gz").last ?? nil)
        try Data(corrupt).write(to: URL(fileURLWithPath: part(root)))
        try FileManager.default.removeItem(atPath: root + "/cifar-10-batches-bin")
        let damaged = try fetch(goodArguments, root: root)
        XCTAssertEqual(damaged.status, 0, damaged.stderr)
        XCTAssertTrue(damaged.stderr.contains("MD5 is \(MD5.hex(corrupt)), expected \(MD5.hex(good)): downloading it again from the start"), damaged.stderr)
        XCTAssertEqual(Array(server.ranges("/good.tar.gz").suffix(2)), ["bytes=\(good.count)-", nil])
        XCTAssertEqual(try CIFAR10.readTraining(folder: root + "/cifar-10-batches-bin").count, 20)
        XCTAssertEqual(contents(root), ["cifar-10-batches-bin"])
    }

    func testAResumeNeverGoesPastTheCap() throws {
        let root = TestSupport.temporaryFolder("fetch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data(good.prefix(1000)).write(to: URL(fileURLWithPath: part(root)))
        guard case .success(var settings) = FetchCommand.parse(goodArguments + ["--dir", root]) else { return XCTFail("options refused") }
        settings.maxDownload = 2000
        guard case .failure(let error) = FetchCommand.fetch(settings) else { return XCTFail("a resume past the cap was accepted") }
        XCTAssertEqual(error.exitCode, 1)
        XCTAssertTrue(error.message.contains("the server sends \(good.count) bytes, more than the limit of 2000 bytes"), error.message)
        XCTAssertEqual(server.ranges("/good.tar.gz"), ["bytes=1000-"])
        XCTAssertEqual(contents(root), [], "a .part of something larger than the cap is not kept")
    }

    func testOptionErrors() throws {
        let badMD5 = try TestSupport.run(TestSupport.hostPath, ["fetch", "cifar10", "--md5", "xyz"])
        XCTAssertEqual(badMD5.status, 2)
        XCTAssertTrue(badMD5.stderr.contains("--md5: 'xyz' is not 32 hex digits"), badMD5.stderr)
        let unknown = try TestSupport.run(TestSupport.hostPath, ["fetch", "mnist"])
        XCTAssertTrue(unknown.stderr.contains("`host fetch` does not know 'mnist'"), unknown.stderr)
        let option = try TestSupport.run(TestSupport.hostPath, ["fetch", "cifar10", "--verbose"])
        XCTAssertEqual(option.status, 2)
        XCTAssertTrue(option.stderr.contains("`host fetch` has no option --verbose"), option.stderr)
    }
}
