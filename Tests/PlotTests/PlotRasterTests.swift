import XCTest
import Foundation
import PluginAPI

/// Every plot type through the rasteriser: the PNG has twice the SVG's size, the plot area
/// holds drawn pixels, and the colours the plot uses show up. With PLOT_PNG_DIR set, the PNGs
/// are also written there to look at.
final class PlotRasterTests: XCTestCase {
    /// The SVG's width and height attributes.
    private func svgSize(_ svg: String) -> (Double, Double) {
        func attr(_ name: String) -> Double {
            guard let r = svg.range(of: " \(name)=\"") else { return 0 }
            return Double(svg[r.upperBound...].prefix { $0 != "\"" }) ?? 0
        }
        return (attr("width"), attr("height"))
    }

    /// Rasterises `svg` at 2x, checks the size, optionally saves it, and returns the image.
    private func render(_ svg: String, name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Image {
        let (w, h) = svgSize(svg)
        let start = Date()
        let image = try SVGRaster.image(svg: svg, scale: 2)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(image.width, Int((2 * w).rounded(.up)), file: file, line: line)
        XCTAssertEqual(image.height, Int((2 * h).rounded(.up)), file: file, line: line)
        XCTAssertEqual(image.channels, 3, file: file, line: line)
        XCTAssertLessThan(seconds, 5, "\(name) took \(seconds) s", file: file, line: line)
        if let dir = ProcessInfo.processInfo.environment["PLOT_PNG_DIR"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let encodeStart = Date()
            let png = PNG.encode(image)
            let encode = Date().timeIntervalSince(encodeStart)
            try Data(png).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(name + ".png")))
            try svg.write(toFile: (dir as NSString).appendingPathComponent(name + ".svg"), atomically: true, encoding: .utf8)
            print(String(format: "%@: %dx%d, rasterised in %.3f s, PNG-encoded in %.3f s", name, image.width, image.height, seconds, encode))
        }
        return image
    }

    /// Pixels in the box (image pixels) that are not white, and those close to `color`.
    private func count(_ image: Image, x0: Int, y0: Int, x1: Int, y1: Int, near color: (Int, Int, Int)? = nil) -> (ink: Int, matching: Int) {
        var ink = 0, matching = 0
        for y in max(0, y0)..<min(image.height, y1) {
            for x in max(0, x0)..<min(image.width, x1) {
                let i = (y * image.width + x) * 3
                let (r, g, b) = (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
                if r + g + b < 750 { ink += 1 }
                if let c = color, abs(r - c.0) + abs(g - c.1) + abs(b - c.2) < 30 { matching += 1 }
            }
        }
        return (ink, matching)
    }

    private let blue = (0x1f, 0x77, 0xb4), orange = (0xff, 0x7f, 0x0e)

    func testLinePlotWithLegendAndLogAxis() throws {
        let xs = (1...200).map(Double.init)
        var plot = LinePlot(title: "Training loss (200 epochs)", xLabel: "epoch", yLabel: "cross-entropy", series: [
            Series("train", x: xs, y: xs.map { 2.3 * exp(-$0 / 40) + 0.05 }),
            Series("validation", x: xs, y: xs.map { 2.3 * exp(-$0 / 50) + 0.12 + 0.02 * sin($0 / 3) }, dashed: true),
            Series("test (every 20)", x: stride(from: 20.0, through: 200, by: 20).map { $0 },
                   y: stride(from: 20.0, through: 200, by: 20).map { 2.3 * exp(-$0 / 45) + 0.1 }, markers: true),
        ])
        plot.horizontalLines = [(label: "chance", y: 2.3)]
        let image = try render(plot.svg(), name: "line-legend")
        // The plot area (roughly the middle) holds both series' colours.
        let area = count(image, x0: 150, y0: 100, x1: 1000, y1: 760, near: blue)
        XCTAssertGreaterThan(area.matching, 500, "the blue training curve is missing")
        XCTAssertGreaterThan(count(image, x0: 150, y0: 100, x1: 1000, y1: 760, near: orange).matching, 300)
        plot.logY = true
        plot.title = "Training loss, log scale"
        let log = try render(plot.svg(), name: "line-log")
        XCTAssertGreaterThan(count(log, x0: 150, y0: 100, x1: 1000, y1: 760, near: blue).matching, 500)
    }

    func testScatterPlot() throws {
        var g = SystemRandomNumberGenerator()
        let pts = (0..<1500).map { i -> (x: Double, y: Double, cls: Int) in
            let k = i % 3
            return (Double(k) * 3 + Double.random(in: -1.5...1.5, using: &g), Double(k % 2) * 2 + Double.random(in: -1...1, using: &g), k)
        }
        let image = try render(ScatterPlot(title: "Embedding", xLabel: "t-SNE 1", yLabel: "t-SNE 2", points: pts,
                                           classNames: ["cat", "dog", "ship"]).svg(), name: "scatter")
        XCTAssertGreaterThan(count(image, x0: 100, y0: 80, x1: 1000, y1: 880).ink, 20_000)
    }

    func testBarChartWithRotatedLabels() throws {
        let cats = ["plain SGD", "momentum 0.9", "Adam (default)", "Adam + warmup", "AdamW + cosine", "Lion"]
        let bars = BarChart(title: "Validation accuracy over 5 seeds", yLabel: "accuracy (%)", categories: cats, series: [
            (name: "ResNet-8", values: [81.2, 86.5, 88.1, 88.9, 89.4, 87.0], errors: [0.8, 0.5, 0.4, 0.3, 0.3, 0.9]),
            (name: "ResNet-20", values: [84.0, 89.1, 90.2, 91.0, 91.6, 89.9], errors: [0.6, 0.4, 0.3, 0.2, 0.2, 0.5]),
        ])
        let image = try render(bars.svg(), name: "bars-rotated")
        XCTAssertGreaterThan(count(image, x0: 100, y0: 80, x1: 1000, y1: 700, near: blue).matching, 10_000)
        XCTAssertGreaterThan(count(image, x0: 100, y0: 80, x1: 1000, y1: 700, near: orange).matching, 10_000)
        // The rotated category labels below the plot area leave ink there.
        XCTAssertGreaterThan(count(image, x0: 0, y0: 640, x1: 1000, y1: 840).ink, 2_000)
    }

    func testHeatmapWithNumbers() throws {
        let labels = ["airplane", "automobile", "bird", "cat", "deer"]
        let values: [[Double]] = [[812, 20, 51, 12, 9], [14, 901, 3, 8, 2], [40, 2, 655, 88, 90], [9, 5, 71, 602, 60], [7, 1, 60, 44, 790]]
        let image = try render(Heatmap(title: "Confusion matrix", rowLabels: labels, columnLabels: labels, values: values).svg(),
                               name: "heatmap")
        // The darkest cell (901) is dark blue with white digits inside it.
        XCTAssertGreaterThan(count(image, x0: 0, y0: 0, x1: image.width, y1: image.height, near: (8, 48, 107)).matching, 3_000)
    }

    func testContourWithColorbar() throws {
        let n = 61
        let values = (0..<n).map { r in (0..<n).map { c -> Double in
            let x = -3 + 6 * Double(c) / Double(n - 1), y = -3 + 6 * Double(r) / Double(n - 1)
            return x * y * exp(-(x * x + y * y) / 8)
        } }
        let plot = ContourPlot(title: "Decision function", xLabel: "x1", yLabel: "x2", xRange: -3...3, yRange: -3...3,
                               values: values, points: [(x: 1, y: 1, label: "+1"), (x: -1, y: 1.5, label: "-1"),
                                                        (x: -2, y: -1, label: "+1"), (x: 2, y: -2, label: "-1")])
        let image = try render(plot.svg(), name: "contour")
        // Red and blue bands both appear.
        var red = 0, blueish = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let (r, b) = (Int(image.pixels[i]), Int(image.pixels[i + 2]))
            if r > b + 60 { red += 1 }
            if b > r + 60 { blueish += 1 }
        }
        XCTAssertGreaterThan(red, 20_000)
        XCTAssertGreaterThan(blueish, 20_000)
    }

    func testPlotGrid() throws {
        let xs = (0..<50).map(Double.init)
        let panels = (0..<4).map { k in
            LinePlot(title: "lr = \(0.1 / Double(k + 1))", xLabel: "step", yLabel: "loss", series: [
                Series("sgd", x: xs, y: xs.map { exp(-$0 / Double(5 + k)) }),
                Series("adam", x: xs, y: xs.map { exp(-$0 / Double(3 + k)) }),
            ], logY: true)
        }
        let image = try render(PlotGrid(title: "Loss per learning rate", columns: 2, panels: panels).svg(), name: "grid")
        XCTAssertGreaterThan(count(image, x0: 0, y0: 0, x1: image.width, y1: image.height, near: blue).matching, 1_000)
    }
}
