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

    func testFiguresAreImagesWithDataURIs() throws {
        let work = TestSupport.temporaryFolder("report")
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--out", "run", "--quiet"], in: work).status, 0)
        let svg = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect class=\"marker\" width=\"5\" height=\"5\"/></svg>"
        try svg.write(toFile: work + "/run/plot.svg", atomically: true, encoding: .utf8)
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: URL(fileURLWithPath: work + "/run/image.png"))
        // The rasterised twin of plot.svg is not shown a second time.
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D]).write(to: URL(fileURLWithPath: work + "/run/plot.png"))
        let result = try TestSupport.host(["report", "run"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/run/report.html")
        XCTAssertTrue(html.contains("<img alt=\"plot.svg\" src=\"data:image/svg+xml;base64,\(Data(svg.utf8).base64EncodedString())\">"), "SVG as an image")
        XCTAssertFalse(html.contains("<svg") || html.contains("<rect"), "no SVG markup in the page itself")
        XCTAssertTrue(html.contains("src=\"data:image/png;base64,iVBORw==\""), "PNG as a data URI")
        XCTAssertTrue(html.contains("<figcaption>plot.svg</figcaption>"))
        XCTAssertFalse(html.contains("plot.png"), "the PNG twin of plot.svg is shown")
    }

    /// A submitted run folder must not make the report read files outside it, block on a
    /// fifo, or put active content (scripts, markup from file names or values) in the page.
    func testHostileRunFolderStaysInertAndInside() throws {
        let work = TestSupport.temporaryFolder("report-hostile")
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--out", "run", "--quiet"], in: work).status, 0)
        // A stand-in for ~/.ssh/id_rsa, outside the run folder.
        let secretFolder = TestSupport.temporaryFolder("secret")
        let secret = Data("-----BEGIN OPENSSH PRIVATE KEY----- secret-\(UUID().uuidString)".utf8)
        try secret.write(to: URL(fileURLWithPath: secretFolder + "/id_rsa"))
        try "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>outside</text></svg>".write(toFile: secretFolder + "/outside.svg", atomically: true, encoding: .utf8)
        try secret.write(to: URL(fileURLWithPath: secretFolder + "/notes.txt"))
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: work + "/run/x.png", withDestinationPath: secretFolder + "/id_rsa")
        try fm.createSymbolicLink(atPath: work + "/run/t.txt", withDestinationPath: secretFolder + "/notes.txt")
        try fm.createSymbolicLink(atPath: work + "/run/linked", withDestinationPath: secretFolder)
        XCTAssertEqual(mkfifo(work + "/run/pipe.csv", 0o644), 0)
        let script = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(document.cookie)</script><rect onload=\"alert(1)\" width=\"5\" height=\"5\"/></svg>"
        try script.write(toFile: work + "/run/evil.svg", atomically: true, encoding: .utf8)
        try "a,<b>\n<script>alert(2)</script>,\"x\"\n".write(toFile: work + "/run/<img src=x onerror=alert(3)>.csv", atomically: true, encoding: .utf8)
        // Values in config.json and summary.json are text too.
        let summaryPath = work + "/run/summary.json"
        var summary = try XCTUnwrap(JSONSerialization.jsonObject(with: try XCTUnwrap(fm.contents(atPath: summaryPath))) as? [String: Any])
        summary["status"] = "<script>alert(4)</script>"
        summary["notes"] = ["<i>key</i>": "<script>alert(5)</script>"]
        try JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: summaryPath))

        let result = try TestSupport.host(["report", "run"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/run/report.html")
        XCTAssertFalse(html.contains(secret.base64EncodedString()) || html.contains("secret-"), "the linked file is not embedded")
        XCTAssertFalse(html.contains("outside.svg") && html.contains(Data("<svg xmlns=\"http://www.w3.org/2000/svg\"><text>outside".utf8).base64EncodedString()),
                       "a linked folder is not followed")
        // The one script is the page's own table sorter, allowed by the CSP's nonce; the run's
        // texts add none.
        XCTAssertEqual(html.lowercased().components(separatedBy: "<script").count - 1, 1, "only the page's own script element")
        let policy = try XCTUnwrap(html.range(of: "script-src 'nonce-"), "a Content Security Policy that names a nonce")
        let nonce = html[policy.upperBound...].prefix { $0 != "'" }
        XCTAssertTrue(html.contains("<script nonce=\"\(nonce)\">") && html.contains("default-src 'none'"), "the sorter runs by the nonce; nothing else loads")
        XCTAssertFalse(html.contains("<img src=x"), "file names are escaped")
        XCTAssertFalse(html.contains("<i>key</i>") || html.contains("<b>"), "values and cells are escaped")
        XCTAssertTrue(html.contains("data:image/svg+xml;base64,\(Data(script.utf8).base64EncodedString())"), "the SVG is shown only as an image")
        for name in ["x.png: a symbolic link, not followed", "linked: a symbolic link, not followed", "t.txt: a symbolic link, not followed",
                     "pipe.csv: not a regular file"] {
            XCTAssertTrue(html.contains(name), "the page says what was left out: \(name)")
            XCTAssertTrue(result.stderr.contains("warning: report: left out " + name), result.stderr)
        }
    }

    func testLinkedRunInAFolderOfRunsIsNotFollowed() throws {
        let work = TestSupport.temporaryFolder("report-sweep-link")
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "exact", "--d", "4", "--out", "sweep/a", "--quiet"], in: work).status, 0)
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "exact", "--d", "5", "--out", "elsewhere", "--quiet"], in: work).status, 0)
        try FileManager.default.createSymbolicLink(atPath: work + "/sweep/b", withDestinationPath: work + "/elsewhere")
        let result = try TestSupport.host(["report", "sweep"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/sweep/report.html")
        XCTAssertTrue(html.contains("1 runs") && html.contains("b: a symbolic link, not followed"), html)
        XCTAssertTrue(result.stderr.contains("warning: report: left out b: a symbolic link"), result.stderr)
        // A config.json that is a link makes the run unreadable, not a window outside.
        try FileManager.default.removeItem(atPath: work + "/sweep/a/config.json")
        try FileManager.default.createSymbolicLink(atPath: work + "/sweep/a/config.json", withDestinationPath: work + "/elsewhere/config.json")
        let linked = try TestSupport.host(["report", "sweep/a"], in: work)
        XCTAssertEqual(linked.status, 2, linked.stderr)
        XCTAssertTrue(linked.stderr.contains("config.json: a symbolic link, not followed"), linked.stderr)
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

    func testRunsThatDifferBySeedAndOptionAreComparedOnSharedAxes() throws {
        let work = TestSupport.temporaryFolder("report-compare")
        for (folder, seed, lr) in [("a", "0", "0.001"), ("b", "1", "0.001"), ("c", "0", "0.002"), ("d", "1", "0.002")] {
            let run = try TestSupport.host(["run", "Parity", "train", "--d", "5", "--iters", "600", "--log-every", "100", "--test-samples", "200",
                                            "--seed", seed, "--lr", lr, "--out", "sweep/" + folder, "--quiet"], in: work)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let result = try TestSupport.host(["report", "sweep"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try read(work + "/sweep/report.html")
        XCTAssertTrue(html.contains("<th>--lr</th><th>--seed</th>"), "the seed is an option that differs")
        XCTAssertTrue(html.contains("<table class=\"sortable\">"), "the runs' table sorts")
        // Two curves charts (loss, running_mean_loss), each with all four runs, labelled by option.
        XCTAssertTrue(html.contains("<h2>Curves</h2>"))
        let charts = html.components(separatedBy: "<figcaption>").dropFirst().filter { $0.hasPrefix("loss against step") || $0.hasPrefix("running_mean_loss against step") }
        XCTAssertEqual(charts.count, 2)
        let chart = try XCTUnwrap(html.range(of: "alt=\"loss\" src=\"data:image/svg+xml;base64,"))
        let encoded = html[chart.upperBound...].prefix { $0 != "\"" }
        let svg = String(decoding: try XCTUnwrap(Data(base64Encoded: String(encoded))), as: UTF8.self)
        for label in ["--lr 0.001, --seed 0", "--lr 0.001, --seed 1", "--lr 0.002, --seed 0", "--lr 0.002, --seed 1"] {
            XCTAssertTrue(svg.contains(label), "legend entry \(label)")
        }
        // Mean and spread over the two seeds of each learning rate.
        XCTAssertTrue(html.contains("<h2>Over seeds</h2>"))
        XCTAssertTrue(html.contains("<tr><td>0.001</td><td class=\"num\">2</td>") && html.contains("<tr><td>0.002</td><td class=\"num\">2</td>"), html)
        XCTAssertTrue(html.contains(" ± "))
        // Wide tables scroll in their box on screen and print whole.
        XCTAssertTrue(html.contains(".scroll { overflow-x: auto") && html.contains("@media print"))
    }

    func testNotesKeepTheirLinesAndNumbersShowSixDigits() throws {
        let work = TestSupport.temporaryFolder("report-notes")
        XCTAssertEqual(try TestSupport.host(["run", "Parity", "train", "--iters", "300", "--log-every", "100", "--out", "run", "--quiet"], in: work).status, 0)
        let path = work + "/run/summary.json"
        var summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        summary["notes"] = ["confusion": "a b\n1 2\n3 4"]
        try JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try TestSupport.host(["report", "run"], in: work).status, 0)
        let html = try read(work + "/run/report.html")
        XCTAssertTrue(html.contains("<dd><pre>a b\n1 2\n3 4</pre></dd>"), "a note keeps its lines")
        let csv = try String(contentsOfFile: work + "/run/metrics.csv", encoding: .utf8)
        let full = try XCTUnwrap(csv.split(separator: "\n").dropFirst().first?.split(separator: ",").dropFirst().first)
        XCTAssertGreaterThan(full.count, 10, "the file keeps every digit: \(full)")
        XCTAssertTrue(html.contains(">\(String(format: "%.6g", Double(full) ?? 0))</td>"), "the page shows 6 significant digits")
        XCTAssertFalse(html.contains(">\(full)</td>"))
    }

    func testReportOfAFolderWithoutRunsExitsTwo() throws {
        let result = try TestSupport.host(["report", TestSupport.temporaryFolder("empty")])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("is not a run folder and holds none"), result.stderr)
    }
}
