import Foundation
import PluginAPI
import XCTest

/// Renders a plot SVG with headless Chromium and reads the screenshot back with our own PNG
/// decoder. Chromium's screenshots of opaque pages are 8-bit RGB (colour type 2), which
/// `PNG.read` supports. Skipped when no browser is installed.
final class BrowserRenderTests: XCTestCase {
    func testChromiumRendersLinePlotSVG() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = ["chromium", "chromium-browser"].flatMap { name in path.split(separator: ":").map { "\($0)/\(name)" } }
        guard let browser = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("headless Chromium is not installed (apt-get install chromium): skipping the browser render check")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("browser-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let svg = dir.appendingPathComponent("plot.svg"), png = dir.appendingPathComponent("plot.png")
        let plot = LinePlot(title: "render check", xLabel: "x", yLabel: "y", series: [Series("a", x: [0, 1, 2], y: [0, 1, 4])])
        try plot.svg().write(to: svg, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        // --no-sandbox: needed when tests run as root (containers, CI); a private profile
        // directory keeps parallel runs apart.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                             "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
                             "--window-size=640,420", "--screenshot=\(png.path)", svg.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return XCTFail("\(browser) did not finish within 60 s")
        }
        XCTAssertEqual(process.terminationStatus, 0, "\(browser) failed")

        let image = try PNG.read(png.path)
        XCTAssertEqual(image.width, 640)
        XCTAssertEqual(image.height, 420)
        XCTAssertEqual(image.channels, 3)
        var dark = 0, blue = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let (r, g, b) = (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
            if r + g + b < 200 { dark += 1 }  // text, axes
            if b > r + 80 && b > 120 { blue += 1 }  // the first series is #1f77b4
        }
        XCTAssertGreaterThan(dark, 200, "the render has almost no dark pixels (text, axes): blank page?")
        XCTAssertGreaterThan(blue, 100, "the blue series line is missing from the render")
    }
}
