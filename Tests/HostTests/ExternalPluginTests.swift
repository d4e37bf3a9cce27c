import Foundation
import XCTest

/// A plugin built outside the package with swiftc, dropped into Plugins/, as the README shows.
final class ExternalPluginTests: XCTestCase {
    func testOneFilePluginBuiltWithSwiftcRunsThroughTheHost() throws {
        let work = TestSupport.temporaryFolder("external")
        try FileManager.default.createDirectory(atPath: work + "/Plugins", withIntermediateDirectories: true)
        _ = try TestSupport.compileSwiftPlugin("Hello.swift", module: "Hello", into: work + "/Plugins")

        let list = try TestSupport.host(["list"], in: work)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("Hello 1.2.3 - A plugin compiled on its own with swiftc"), list.stdout)
        XCTAssertTrue(list.stdout.contains("Parity"), "the built-in plugins are still found: \(list.stdout)")

        let run = try TestSupport.host(["run", "Hello", "--n", "4", "--json"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["metrics"] as? [String: Any])?["sum"] as? Int, 10)
        XCTAssertTrue(run.stderr.contains("hello from a plugin built with swiftc"))
        let folder = try XCTUnwrap(object["run_folder"] as? String)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/\(folder)/summary.json"))

        // A diverging run: exit 1, the folder kept with what was logged, marked failed.
        let diverged = try TestSupport.host(["run", "Hello", "--diverge", "--out", "failed"], in: work)
        XCTAssertEqual(diverged.status, 1, diverged.stderr)
        XCTAssertTrue(diverged.stderr.contains("diverged: the loss became nan at step 3\n  hint: lower --lr"), diverged.stderr)
        let summary = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/failed/summary.json")), as: UTF8.self)
        XCTAssertTrue(summary.contains("\"status\": \"failed\"") && summary.contains("\"kind\": \"diverged\""), summary)
        let csv = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/failed/metrics.csv")), as: UTF8.self)
        XCTAssertEqual(csv, "step,loss\n1,1.5\n2,40\n")
    }
}
