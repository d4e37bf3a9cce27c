import Foundation
import PluginAPI
import XCTest

/// A plot written as SVG through the artifact writer also lands as a PNG beside it.
final class ArtifactPNGTests: XCTestCase {
    private func folder() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("artifact-png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func testSVGGetsAPNGTwinListedAfterIt() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var messages: [String] = []
        let context = RunContext(plugin: "T", experiment: "t", options: OptionValues([:]), seed: 0, threads: 1,
                                 outputDirectory: dir, log: { messages.append($0) })
        let plot = LinePlot(title: "loss", xLabel: "epoch", yLabel: "loss", series: [Series("a", x: [1, 2, 3], y: [3, 2, 1])])
        try context.artifacts.write(plot.svg(width: 300, height: 200), to: "loss.svg")
        try context.artifacts.write("a,b\n", to: "table.csv")
        try context.artifacts.write(plot.svg(width: 300, height: 200), to: "again.SVG")
        XCTAssertEqual(context.artifacts.written, ["loss.svg", "loss.png", "table.csv", "again.SVG", "again.png"])
        let png = try PNG.read(dir + "/loss.png")
        XCTAssertEqual(png.width, 600)
        XCTAssertEqual(png.height, 400)
        XCTAssertTrue(png.pixels.contains { $0 < 100 }, "the PNG is blank")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/table.png"))
        XCTAssertEqual(messages, [])
        // Writing the plot again replaces the PNG and lists it once.
        try context.artifacts.write(plot.svg(width: 200, height: 100), to: "loss.svg")
        XCTAssertEqual(try PNG.read(dir + "/loss.png").width, 400)
        XCTAssertEqual(context.artifacts.written.filter { $0 == "loss.png" }.count, 1)
    }

    func testAnSVGThatCannotBeRasterisedStillLands() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var messages: [String] = []
        let context = RunContext(plugin: "T", experiment: "t", options: OptionValues([:]), seed: 0, threads: 1,
                                 outputDirectory: dir, log: { messages.append($0) })
        try context.artifacts.write("<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"3\"/></svg>", to: "sizeless.svg")
        XCTAssertEqual(context.artifacts.written, ["sizeless.svg"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/sizeless.svg"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/sizeless.png"))
        XCTAssertEqual(messages.count, 1)
        XCTAssertTrue(messages.first?.contains("sizeless.png") ?? false, "\(messages)")
        // A writer made without a run context reports nowhere, and does not throw either.
        let plain = ArtifactWriter(folder: dir)
        XCTAssertNoThrow(try plain.write("<svg/>", to: "bare.svg"))
        XCTAssertEqual(plain.written, ["bare.svg"])
    }
}
