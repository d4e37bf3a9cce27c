import Foundation
import PluginAPI
import XCTest

/// Somebody else's plugin: whatever its code does (a shape mistake, a crash, `exit()`, a hang
/// while loading), the host stays up, the run folder says what happened, nothing logged is lost.
final class SupervisionTests: XCTestCase {
    /// A folder with the Faulty plugin (Fixtures/Faulty.swift), compiled once.
    static let faultyFolder: Swift.Result<String, Error> = Swift.Result {
        let folder = TestSupport.temporaryFolder("faulty")
        _ = try TestSupport.compileSwiftPlugin("Faulty.swift", module: "Faulty", into: folder)
        return folder
    }

    func faulty(_ experiment: String, _ extra: [String] = []) throws -> (TestSupport.Result, String) {
        let work = TestSupport.temporaryFolder("supervised")
        let result = try TestSupport.host(["run", "Faulty", experiment, "--out", "run", "--plugins", try Self.faultyFolder.get()] + extra, in: work)
        return (result, work + "/run")
    }

    func summary(_ folder: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: folder + "/summary.json"), "no summary.json in \(folder)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func errorMessage(_ summary: [String: Any]) -> String {
        (summary["error"] as? [String: Any])?["message"] as? String ?? ""
    }

    func testAProcessTheWorkerLeftBehindDoesNotHoldTheRunOpen() throws {
        let started = Date()
        let (result, folder) = try faulty("orphan")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "the host ends soon after its worker, not when the orphan does (60 s)")
        XCTAssertEqual(try summary(folder)["status"] as? String, "completed")
        XCTAssertEqual(try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8), "step,loss\n1,1\n")
        // Foundation's Process gave the orphan a process group of its own; the test ends it.
        let line = try XCTUnwrap(result.stderr.split(separator: "\n").first { $0.contains("sleeper ") }, result.stderr)
        if let sleeper = line.split(separator: " ").last.flatMap({ Int32($0) }), sleeper > 1 { kill(sleeper, SIGKILL) }
    }

    func testShapeMistakeInAPluginIsAFailedRunNamingTheOpTheShapesAndThePlugin() throws {
        let (result, folder) = try faulty("shape")
        XCTAssertEqual(result.status, 1, result.stderr)
        let s = try summary(folder)
        XCTAssertEqual(s["status"] as? String, "failed")
        XCTAssertTrue(errorMessage(s).contains("linear: input [4, 64] does not end in 63 features (called from libFaulty.so"), errorMessage(s))
        XCTAssertTrue(result.stderr.contains("host: failed: linear: input [4, 64] does not end in 63 features"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Backtracing"), "the crash report goes to crash.log, not the terminal: \(result.stderr)")
        XCTAssertEqual(try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8), "step,loss\n1,2.5\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/crash.log"))
    }

    func testSegfaultInPluginCodeIsAFailedRunThatKeepsItsMetrics() throws {
        let (result, folder) = try faulty("segfault", ["--json"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let s = try summary(folder)
        XCTAssertEqual(s["status"] as? String, "failed")
        XCTAssertTrue(errorMessage(s).contains("SEGV"), errorMessage(s))   // "SIGSEGV", or "SEGV" from AddressSanitizer
        XCTAssertEqual((s["metrics"] as? [String: Any])?["loss"] as? Double, 1.5)
        XCTAssertEqual(try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8), "step,loss\n1,2.5\n2,1.5\n")
        // --json still gives one object on stdout.
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(object["status"] as? String, "failed")
    }

    func testExitFromPluginCodeIsAFailedRunNotASuccess() throws {
        let (result, folder) = try faulty("exit")
        XCTAssertEqual(result.status, 1, result.stderr)
        let s = try summary(folder)
        XCTAssertEqual(s["status"] as? String, "failed")
        XCTAssertTrue(errorMessage(s).contains("exited with status 0 without finishing the run"), errorMessage(s))
    }

    func testIndexOutOfRangeInPluginCodeIsAFailedRun() throws {
        let (result, folder) = try faulty("index")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(try summary(folder)["status"] as? String, "failed")
    }

    /// Starts the host, sends `signals` (one per entry, after the delays), returns the result.
    func runSignalled(_ arguments: [String], in folder: String, signals: [(Double, Int32)]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.hostPath)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for (delay, signal) in signals {
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, signal)
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errData, as: UTF8.self))
    }

    func testSigtermIsACancelThatMarksTheRunInterrupted() throws {
        let work = TestSupport.temporaryFolder("sigterm")
        let (status, stderr) = try runSignalled(["run", "Faulty", "slow", "--out", "run", "--plugins", try Self.faultyFolder.get()],
                                                in: work, signals: [(1.5, SIGTERM)])
        XCTAssertEqual(status, 130, stderr)
        let s = try summary(work + "/run")
        XCTAssertEqual(s["status"] as? String, "interrupted")
        let csv = try String(contentsOfFile: work + "/run/metrics.csv", encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("step,loss\n1,1\n"), csv)
    }

    func testASecondSignalStopsARunThatIgnoresTheFirst() throws {
        let work = TestSupport.temporaryFolder("stubborn")
        let (status, stderr) = try runSignalled(["run", "Faulty", "stubborn", "--out", "run", "--plugins", try Self.faultyFolder.get()],
                                                in: work, signals: [(1.5, SIGHUP), (0.5, SIGINT)])
        XCTAssertEqual(status, 130, stderr)
        let s = try summary(work + "/run")
        XCTAssertEqual(s["status"] as? String, "interrupted")
        XCTAssertEqual(try String(contentsOfFile: work + "/run/metrics.csv", encoding: .utf8), "step,loss\n1,1\n")
    }

    func testListReportsAndSkipsPluginsThatCrashHangOrExitWhileLoading() throws {
        let folder = TestSupport.temporaryFolder("bad-loaders")
        _ = try TestSupport.compileBrokenPlugin(failure: 5, name: "Crashes", into: folder)
        _ = try TestSupport.compileBrokenPlugin(failure: 6, name: "Hangs", into: folder)
        _ = try TestSupport.compileBrokenPlugin(failure: 7, name: "Exits", into: folder)
        let result = try TestSupport.host(["list", "--plugins", folder], in: TestSupport.temporaryFolder(),
                                          environment: ["HOST_PLUGIN_LOAD_TIMEOUT": "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Parity 0.1.0"), result.stdout)
        XCTAssertTrue(result.stderr.contains("libCrashes.so crashed while loading"), result.stderr)
        XCTAssertTrue(result.stderr.contains("libHangs.so did not finish loading within 2 s"), result.stderr)
        XCTAssertTrue(result.stderr.contains("libExits.so exited with status 0 while loading"), result.stderr)

        let run = try TestSupport.host(["run", "Crashes", "--plugins", folder], in: TestSupport.temporaryFolder())
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("crashed while loading"), run.stderr)
    }

    func testRunLoadsOnlyTheNamedPlugin() throws {
        let work = TestSupport.temporaryFolder("spy")
        try FileManager.default.createDirectory(atPath: work + "/Plugins", withIntermediateDirectories: true)
        _ = try TestSupport.compileBrokenPlugin(failure: 8, name: "Spy", into: work + "/Plugins")
        let marker = work + "/spy-was-loaded"
        let run = try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--quiet"], in: work, environment: ["BROKEN_PLUGIN_MARKER": marker])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "host run Parity loaded ./Plugins/libSpy.so")
        let help = try TestSupport.host(["help", "Parity"], in: work, environment: ["BROKEN_PLUGIN_MARKER": marker])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "host help Parity loaded ./Plugins/libSpy.so")
    }

    func testAStaleLibraryInPluginsFolderDoesNotShadowTheBuiltPlugin() throws {
        let work = TestSupport.temporaryFolder("stale")
        try FileManager.default.createDirectory(atPath: work + "/Plugins", withIntermediateDirectories: true)
        _ = try TestSupport.compileBrokenPlugin(failure: 2, name: "Parity", into: work + "/Plugins")
        let run = try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--quiet"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    func testABrokenPluginEarlierOnThePathFallsBackToTheNextWithAWarning() throws {
        let folder = TestSupport.temporaryFolder("broken-parity")
        _ = try TestSupport.compileBrokenPlugin(failure: 2, name: "Parity", into: folder)
        let run = try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--quiet", "--plugins", folder], in: TestSupport.temporaryFolder())
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("\(folder)/libParity.so uses plugin ABI 999"), run.stderr)
        XCTAssertTrue(run.stderr.contains("using \(TestSupport.products)/libParity.so instead of \(folder)/libParity.so"), run.stderr)
    }

    func testPluginFoldersWritableByOthersAreRefused() throws {
        let folder = TestSupport.temporaryFolder("open-folder")
        _ = try TestSupport.compileSwiftPlugin("Faulty.swift", module: "Faulty", into: folder)
        chmod(folder, 0o777)
        let run = try TestSupport.host(["run", "Faulty", "exit", "--plugins", folder], in: TestSupport.temporaryFolder())
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("plugin folder \(folder) is writable by every user"), run.stderr)
        XCTAssertTrue(run.stderr.contains("chmod go-w"), run.stderr)

        chmod(folder, 0o755)
        chmod(folder + "/libFaulty.so", 0o666)
        let file = try TestSupport.host(["run", "Faulty", "exit", "--plugins", folder], in: TestSupport.temporaryFolder())
        XCTAssertEqual(file.status, 2, file.stderr)
        XCTAssertTrue(file.stderr.contains("plugin file \(folder)/libFaulty.so is writable by every user"), file.stderr)
    }

    func testAnOutFolderTheUserMadeSurvivesBadInput() throws {
        let work = TestSupport.temporaryFolder("user-out")
        try FileManager.default.createDirectory(atPath: work + "/mine", withIntermediateDirectories: true)
        let run = try TestSupport.host(["run", "Parity", "gradients", "--d-min", "9", "--d-max", "3", "--out", "mine"], in: work)
        XCTAssertEqual(run.status, 2, run.stderr)
        var isFolder: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/mine", isDirectory: &isFolder) && isFolder.boolValue)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work + "/mine"), [])
    }
}
