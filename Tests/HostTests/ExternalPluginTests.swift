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
    }
}
