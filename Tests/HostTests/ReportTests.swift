import Foundation
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `host report` and `host run --report`.
final class ReportTests: XCTestCase {
    func read(_ path: String) throws -> String {
        String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: path), path), as: UTF8.self)
    }

    func testRunWithReportWritesASelfContainedPage() throws {
        let work = TestSupport.temporaryFolder("report")
        // A PNG and an SVG in the run folder must appear inline.
        let result = try TestSupport.host(["run", "Parity", "exact", "--d", "5", "--out", "run", "--quiet", "--report"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/run/report.html")
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<h1>Parity exact</h1>"))
        XCTAssertTrue(html.contains("<th>mismatches</th>") && html.contains("<td class=\"num\">1</td>"), "final metrics table")
        XCTAssertTrue(html.contains("<th>--d</th><td>5</td>"), "configuration table")
        XCTAssertTrue(html.contains("only v* = x = all ones"), "notes")
        XCTAssertFalse(html.contains("src=\"http"), "nothing is fetched from the network")
    }

    func testFiguresAreInlined() throws {
        let work = TestSupport.temporaryFolder("report")
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--out", "run", "--quiet"], in: work).status, 0)
        let svg = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect class=\"marker\" width=\"5\" height=\"5\"/></svg>"
        try svg.write(toFile: work + "/run/plot.svg", atomically: true, encoding: .utf8)
        let clipped = "<svg xmlns=\"http://www.w3.org/2000/svg\"><clipPath id=\"clip1\"><rect width=\"1\" height=\"1\"/></clipPath><path clip-path=\"url(#clip1)\"/></svg>"
        try clipped.write(toFile: work + "/run/a.svg", atomically: true, encoding: .utf8)
        try clipped.write(toFile: work + "/run/b.svg", atomically: true, encoding: .utf8)
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: URL(fileURLWithPath: work + "/run/image.png"))
        let result = try TestSupport.host(["report", "run"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/run/report.html")
        XCTAssertTrue(html.contains("<rect class=\"marker\""), "SVG inline")
        XCTAssertFalse(html.contains("<?xml"), "XML declaration stripped inside HTML")
        XCTAssertTrue(html.contains("src=\"data:image/png;base64,iVBORw=="), "PNG as a data URI")
        // Two inline SVGs that both define clip1 must not share it.
        XCTAssertFalse(html.contains("id=\"clip1\""))
        let ids = html.components(separatedBy: "<clipPath id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        XCTAssertEqual(ids.count, 2)
        XCTAssertEqual(Set(ids).count, 2, "each figure's ids are its own: \(ids)")
        for id in ids { XCTAssertTrue(html.contains("url(#\(id))")) }
    }

    func testTablesAndTextOutputsAreShownInFull() throws {
        let work = TestSupport.temporaryFolder("report")
        XCTAssertEqual(try TestSupport.host(["run", "ResNet", "summary", "--out", "run", "--quiet"], in: work).status, 0)
        try "combination,runs,accuracy\nReLU + BatchNorm,3,0.9\nSiLU & LayerNorm,3,0.8\n".write(toFile: work + "/run/sweep.csv", atomically: true, encoding: .utf8)
        let result = try TestSupport.host(["report", "run"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/run/report.html")
        XCTAssertTrue(html.contains("<h2>Tables</h2>"))
        XCTAssertTrue(html.contains("<tr><td>ReLU + BatchNorm</td><td class=\"num\">3</td><td class=\"num\">0.9</td></tr>"), "a CSV as a table")
        XCTAssertTrue(html.contains("<td>SiLU &amp; LayerNorm</td>"), "cells are escaped")
        XCTAssertTrue(html.contains("<h3>summary.txt</h3>\n<pre>layer") && html.contains("total parameters: 5018"), "text outputs as preformatted text")
    }

    func testSweepFolderPutsRunsSideBySide() throws {
        let work = TestSupport.temporaryFolder("report")
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--out", "sweep/a", "--quiet"], in: work).status, 0)
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "exact", "--d", "6", "--corrected", "--out", "sweep/b", "--quiet"], in: work).status, 0)
        let result = try TestSupport.host(["report", "sweep"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/sweep/report.html")
        XCTAssertTrue(html.contains("2 runs"))
        XCTAssertTrue(html.contains("<th>--corrected</th>") && html.contains("<th>--d</th>"), "options that differ become columns")
        XCTAssertTrue(html.contains("<td>true</td>") && html.contains("<td>false</td>"), "switches read true/false")
        XCTAssertFalse(html.contains("<th>--samples</th>"), "options that agree are left out")
        XCTAssertTrue(html.contains("<td>a</td>") && html.contains("<td>b</td>"))
    }

    func testReportOfAFolderWithoutRunsExitsTwo() throws {
        let result = try TestSupport.host(["report", TestSupport.temporaryFolder("empty")])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("is not a run folder and holds none"), result.stderr)
    }
}
