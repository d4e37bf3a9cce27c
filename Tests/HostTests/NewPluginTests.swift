import Foundation
import XCTest

/// `host new-plugin`: the package it writes builds against the runtime, its test passes, and the
/// host runs the library it makes; bad names and occupied folders are refused leaving nothing.
final class NewPluginTests: XCTestCase {
    func testTheScaffoldBuildsPassesItsTestAndRuns() throws {
        guard TestSupport.tool("swift") != nil, let make = TestSupport.tool("make") else { throw XCTSkip("swift or make is not on PATH") }
        let work = TestSupport.temporaryFolder("new-plugin")
        let made = try TestSupport.host(["new-plugin", "Demo", "--dir", "demo"], in: work)
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stdout.contains("make test"), made.stdout)
        let package = work + "/demo"
        for file in ["Package.swift", "Makefile", "Sources/Demo/DemoPlugin.swift", "Sources/Demo/Entry.swift", "Tests/DemoTests/DemoTests.swift", "README.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: package + "/" + file), file)
        }
        let build = try TestSupport.run(make, ["build"], in: package)
        XCTAssertEqual(build.status, 0, build.stdout + build.stderr)
        let test = try TestSupport.run(make, ["test"], in: package)
        XCTAssertEqual(test.status, 0, test.stdout + test.stderr)
        XCTAssertTrue((test.stdout + test.stderr).contains("Executed 2 tests, with 0 failures"), test.stdout + test.stderr)
        let run = try TestSupport.host(["run", "Demo", "--plugins", package + "/.build/release", "--steps", "300", "--lr", "0.05", "--json", "--out", "run"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["metrics"] as? [String: Double])?["slope"] ?? .nan, 2, accuracy: 0.05)
    }

    func testBadNamesAndOccupiedFoldersAreRefused() throws {
        let work = TestSupport.temporaryFolder("new-plugin-bad")
        let lower = try TestSupport.host(["new-plugin", "demo"], in: work)
        XCTAssertEqual(lower.status, 2)
        XCTAssertTrue(lower.stderr.contains("'demo' is not a plugin name"), lower.stderr)
        try FileManager.default.createDirectory(atPath: work + "/taken", withIntermediateDirectories: true)
        try "mine".write(toFile: work + "/taken/notes.txt", atomically: true, encoding: .utf8)
        let taken = try TestSupport.host(["new-plugin", "Demo", "--dir", "taken"], in: work)
        XCTAssertEqual(taken.status, 2)
        XCTAssertTrue(taken.stderr.contains("taken already exists and is not empty"), taken.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work + "/taken"), ["notes.txt"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work).sorted(), ["taken"], "no staging folder left")
    }
}
