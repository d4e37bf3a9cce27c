import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import HostKit

/// The README's "Writing a plugin" example, compiled exactly as the README prints it (the first
/// swift block of that section, with the swiftc line of the sh block after it) and run through
/// the host: what an instructor copies must build on the first try.
final class ReadmeExampleTests: XCTestCase {
    /// The body of the first fenced block of `language` after `heading` in the README.
    static func block(_ language: String, after heading: String) throws -> String {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try XCTUnwrap(text.range(of: "\n" + heading + "\n"), "README has no '\(heading)'")
        let rest = text[section.upperBound...]
        let open = try XCTUnwrap(rest.range(of: "```" + language + "\n"), "no ```\(language) block after '\(heading)'")
        let close = try XCTUnwrap(rest[open.upperBound...].range(of: "\n```"))
        return String(rest[open.upperBound..<close.lowerBound]) + "\n"
    }

    func testTheWritingAPluginExampleBuildsAndRuns() throws {
        let work = TestSupport.temporaryFolder("readme-example")
        try FileManager.default.createDirectory(atPath: work + "/Plugins", withIntermediateDirectories: true)
        let source = try Self.block("swift", after: "## Writing a plugin")
        let template = NewPluginCommand.pluginSource(name: "Fit") + "\n" + NewPluginCommand.entrySource(name: "Fit").replacingOccurrences(of: "import PluginAPI\n\n", with: "")
        XCTAssertEqual(source, template, "the README's example is `host new-plugin`'s template with Name = Fit: change both together")
        try source.write(toFile: work + "/Fit.swift", atomically: true, encoding: .utf8)
        // The README's swiftc line, with the package's build folder for .build/release.
        let commands = try Self.block("sh", after: "## Writing a plugin")
        XCTAssertTrue(commands.contains("swiftc -emit-library -O -module-name Fit Fit.swift"), commands)
        _ = try TestSupport.compileSwiftPlugin(atPath: work + "/Fit.swift", module: "Fit", into: work + "/Plugins")

        let list = try TestSupport.host(["list"], in: work)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("Fit 0.1.0 - A new assignment (fits y = 2x + 1 for now)"), list.stdout)
        let run = try TestSupport.host(["run", "Fit", "--steps", "300", "--lr", "0.05", "--out", "run", "--json"], in: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let metrics = try XCTUnwrap(object["metrics"] as? [String: Double])
        // Least squares on 64 noisy points recovers the line to a few hundredths.
        XCTAssertEqual(metrics["slope"] ?? .nan, 2, accuracy: 0.05, "\(metrics)")
        XCTAssertEqual(metrics["intercept"] ?? .nan, 1, accuracy: 0.05, "\(metrics)")
        XCTAssertLessThan(metrics["final_loss"] ?? .nan, 0.02, "the noise's variance is 0.01")
        let csv = try String(contentsOfFile: work + "/run/metrics.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 301, "a header and one row per step")
        XCTAssertTrue(XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: work + "/run/loss.svg"))).parse())
        try TestSupport.assertEveryFileListed(work + "/run")
        // Its divergence message, as the example throws it.
        let diverged = try TestSupport.host(["run", "Fit", "--lr", "10", "--out", "bad"], in: work)
        XCTAssertEqual(diverged.status, 1, diverged.stderr)
        XCTAssertTrue(diverged.stderr.contains("the loss became") && diverged.stderr.contains("hint: lower --lr"), diverged.stderr)
    }
}

/// The README's plugin table lists every plugin `host list --json` finds, with every experiment
/// in the order the plugin declares them (the first is the default).
final class ReadmePluginTableTests: XCTestCase {
    func testThePluginTableMatchesHostList() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        var table: [String: [String]] = [:]
        let header = try XCTUnwrap(text.range(of: "| plugin | assignment | experiments |\n"), "the README's plugin table")
        for line in text[header.upperBound...].split(separator: "\n").prefix(while: { $0.hasPrefix("|") }) {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3, cells[2].hasPrefix("`") else { continue }
            table[cells[0]] = cells[2].split(separator: ",").map {
                $0.replacingOccurrences(of: "(default)", with: "").trimmingCharacters(in: CharacterSet(charactersIn: " `"))
            }
        }
        let list = try TestSupport.host(["list", "--json"], in: TestSupport.temporaryFolder())
        XCTAssertEqual(list.status, 0, list.stderr)
        let plugins = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        var listed: [String: [String]] = [:]
        for plugin in plugins {
            let name = try XCTUnwrap(plugin["name"] as? String)
            listed[name] = try XCTUnwrap(plugin["experiments"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        }
        XCTAssertEqual(table, listed, "update the README's plugin table (under 'Plugins and where they are found') from `host list --json`")
    }
}
