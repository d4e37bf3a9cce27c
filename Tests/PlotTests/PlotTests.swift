import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PluginAPI

/// Parses an SVG document with XMLParser and keeps every element with its attributes,
/// text and the `class` attributes of its ancestors.
private final class ParsedSVG: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attrs: [String: String]; var text: String; var ancestorClasses: [String] }
    private(set) var elements: [Element] = []
    private var stack: [Int] = []
    private(set) var ok = false
    private(set) var error = ""

    init(_ svg: String) {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        ok = parser.parse()
        error = parser.parserError.map { "\($0)" } ?? ""
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        let ancestors = stack.compactMap { elements[$0].attrs["class"] }
        elements.append(Element(name: elementName, attrs: attributeDict, text: "", ancestorClasses: ancestors))
        stack.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = stack.last { elements[i].text += string }
    }

    func withClass(_ c: String) -> [Element] { elements.filter { $0.attrs["class"] == c } }
    func texts(_ c: String) -> [String] { withClass(c).map(\.text) }
    func elements(named name: String, inside c: String) -> [Element] {
        elements.filter { $0.name == name && $0.ancestorClasses.contains(c) }
    }
}

final class PlotTests: XCTestCase {
    private func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> ParsedSVG {
        let doc = ParsedSVG(svg)
        XCTAssertTrue(doc.ok, "SVG does not parse: \(doc.error)", file: file, line: line)
        XCTAssertEqual(doc.elements.first?.name, "svg", file: file, line: line)
        XCTAssertEqual(doc.elements.first?.attrs["xmlns"], "http://www.w3.org/2000/svg", file: file, line: line)
        XCTAssertFalse(svg.lowercased().contains("nan"), "SVG contains nan", file: file, line: line)
        return doc
    }

    private var knownPlot: LinePlot {
        var p = LinePlot(title: "Loss & <accuracy>", xLabel: "epoch", yLabel: "loss", series: [
            Series("a<b & \"c\"", x: [0, 1, 2, 3, 4], y: [0.5, 2.3, 4.1, 3.0, 9.6], markers: true),
            Series("second", x: [0, 1, 2, 3, 4], y: [1, .nan, 3, .infinity, 2], yError: [0.2, 0.2, 0.3, 0.1, 0.4], dashed: true),
            Series("third", x: [0, 2, 4], y: [8, 6, 7]),
        ])
        p.horizontalLines = [(label: "chance", y: 5)]
        return p
    }

    private func saddle(_ n: Int = 41) -> [[Double]] {
        (0..<n).map { r in
            (0..<n).map { c in
                let x = -5 + 10 * Double(c) / Double(n - 1), y = -5 + 10 * Double(r) / Double(n - 1)
                return x * x - y * y
            }
        }
    }

    func testLinePlotRangesTicksAndLegend() {
        let plot = knownPlot
        XCTAssertEqual(plot.resolvedXRange, 0...4)
        // y: the data (0.5 ... 9.6, error bars and the reference line inside) plus 3% of the span.
        XCTAssertEqual(plot.resolvedYRange.lowerBound, 0.5 - 0.03 * 9.1, accuracy: 1e-9)
        XCTAssertEqual(plot.resolvedYRange.upperBound, 9.6 + 0.03 * 9.1, accuracy: 1e-9)
        let doc = parse(plot.svg())
        XCTAssertEqual(doc.texts("tick-x"), ["0", "1", "2", "3", "4"])
        XCTAssertEqual(doc.texts("tick-y"), ["2", "4", "6", "8"])
        let names = ["a<b & \"c\"", "second", "third"]
        XCTAssertEqual(doc.withClass("legend-entry").map { $0.attrs["data-name"] ?? "" }, names)
        XCTAssertEqual(doc.elements(named: "text", inside: "legend-entry").map(\.text), names)
        XCTAssertEqual(doc.withClass("series").map { $0.attrs["data-name"] ?? "" }, names)
        XCTAssertEqual(doc.texts("title"), ["Loss & <accuracy>"])
    }

    func testNaNBreaksLineAndNeverAppears() {
        let svg = knownPlot.svg()
        let doc = parse(svg)
        XCTAssertFalse(svg.contains("inf"))
        let d = doc.withClass("series")[1].attrs["d"] ?? ""
        XCTAssertEqual(d.filter { $0 == "M" }.count, 3, "line should restart after each non-finite value")
    }

    func testLogAxisTicksAndNonPositiveValues() {
        var plot = knownPlot
        plot.logY = true
        plot.series.append(Series("zeros", x: [0, 1, 2, 3], y: [0, -1, 0.01, 100]))
        // 0.01 ... 100 plus 3% of the four decades at each end.
        XCTAssertEqual(log10(plot.resolvedYRange.lowerBound), -2.12, accuracy: 1e-9)
        XCTAssertEqual(log10(plot.resolvedYRange.upperBound), 2.12, accuracy: 1e-9)
        let doc = parse(plot.svg())
        XCTAssertEqual(doc.texts("tick-y"), ["0.01", "0.1", "1", "10", "100"])
        XCTAssertEqual(Ticks.log(0.001...100), [0.001, 0.01, 0.1, 1, 10, 100])
        XCTAssertLessThanOrEqual(Ticks.log(1e-20...1e20).count, 11)
        XCTAssertLessThanOrEqual(Ticks.log(0...100).count, 11)
    }

    func testDegenerateInputsDoNotCrash() {
        _ = parse(LinePlot(title: "", xLabel: "", yLabel: "", series: []).svg())
        let flat = LinePlot(title: "flat", xLabel: "x", yLabel: "y", series: [Series("", x: [1, 1], y: [3, 3])])
        XCTAssertLessThan(flat.resolvedYRange.lowerBound, 3)
        XCTAssertGreaterThan(flat.resolvedYRange.upperBound, 3)
        _ = parse(flat.svg())
        _ = parse(LinePlot(title: "bad", xLabel: "x", yLabel: "y", series: [Series("b", x: [.nan], y: [.nan])],
                           logY: true, logX: true).svg())
        _ = parse(ContourPlot(title: "const", xLabel: "x", yLabel: "y", xRange: 0...1, yRange: 0...1,
                              values: [[1, 1], [1, 1]]).svg())
        _ = parse(ScatterPlot(title: "none", xLabel: "x", yLabel: "y", points: [], classNames: []).svg())
        _ = parse(BarChart(title: "none", yLabel: "y", categories: [], series: []).svg())
    }

    func testPlotGridSharesLegend() {
        let xs = (0..<20).map(Double.init)
        let panels = (0..<4).map { k in
            LinePlot(title: "panel \(k)", xLabel: "step", yLabel: "err", series: [
                Series("sgd", x: xs, y: xs.map { exp(-$0 / Double(5 + k)) }),
                Series("adam", x: xs, y: xs.map { exp(-$0 / Double(3 + k)) }),
            ], logY: true)
        }
        let doc = parse(PlotGrid(title: "grid", columns: 2, panels: panels).svg())
        XCTAssertEqual(doc.withClass("legend-entry").map { $0.attrs["data-name"] ?? "" }, ["sgd", "adam"])
        XCTAssertEqual(doc.withClass("series").count, 8)
        XCTAssertEqual(doc.withClass("panel").count, 4)
    }

    func testHeatmapCells() {
        let labels = ["a", "b", "c"]
        let values: [[Double]] = [[50, 2, 0], [3, 41, 7], [1, 5, 60]]
        let doc = parse(Heatmap(title: "confusion", rowLabels: labels, columnLabels: labels, values: values).svg())
        XCTAssertEqual(doc.withClass("cell").count, 9)
        XCTAssertEqual(doc.texts("cell-value"), ["50", "2", "0", "3", "41", "7", "1", "5", "60"])
        XCTAssertEqual(doc.texts("tick-y"), labels)
        XCTAssertEqual(doc.texts("tick-x"), labels)
    }

    func testContourHasZeroLevel() {
        let plot = ContourPlot(title: "x^2 - y^2", xLabel: "x", yLabel: "y", xRange: -5...5, yRange: -5...5,
                               values: saddle(), points: [(x: 1, y: 1, label: "p"), (x: -1, y: 2, label: "q & r")])
        let doc = parse(plot.svg())
        let levels = doc.withClass("contour").compactMap { $0.attrs["data-level"] }
        XCTAssertTrue(levels.contains("0"), "levels: \(levels)")
        XCTAssertGreaterThanOrEqual(levels.count, 5)
        XCTAssertEqual(doc.withClass("legend-entry").map { $0.attrs["data-name"] ?? "" }, ["p", "q & r"])
    }

    func testScatterAndBarsParse() {
        let pts = (0..<500).map { i in (x: Double(i % 37), y: Double(i % 23), cls: i % 5) }
        let scatter = parse(ScatterPlot(title: "s", xLabel: "x", yLabel: "y", points: pts,
                                        classNames: ["a", "b", "c", "d", "e"]).svg())
        XCTAssertEqual(scatter.withClass("legend-entry").count, 5)
        XCTAssertEqual(scatter.elements.filter { $0.name == "circle" && $0.ancestorClasses.contains("scatter-class") }.count, 500)
        let bars = BarChart(title: "acc", yLabel: "%", categories: ["x", "y <z>"],
                            series: [(name: "m1", values: [90, 95], errors: [1, 0.5]), (name: "m2", values: [91, .nan], errors: nil)])
        let doc = parse(bars.svg())
        XCTAssertEqual(doc.withClass("bar").count, 3)
        XCTAssertEqual(doc.texts("tick-x"), ["x", "y <z>"])
        XCTAssertEqual(bars.resolvedYRange.lowerBound, 0)
        var logBars = bars
        logBars.logY = true
        _ = parse(logBars.svg())
    }

    func testAxesSpanTheData() {
        // 200 epochs numbered from 1: the x axis is 1 ... 200, not rounded out to 0 ... 250.
        let epochs = (1...200).map(Double.init)
        let curve = LinePlot(title: "loss", xLabel: "epoch", yLabel: "loss",
                             series: [Series("train", x: epochs, y: epochs.map { 1 / $0 })])
        XCTAssertEqual(curve.resolvedXRange, 1...200)
        let doc = parse(curve.svg())
        XCTAssertEqual(doc.texts("tick-x"), ["50", "100", "150", "200"])
        // The y axis keeps a 3% margin and its ticks lie inside it.
        XCTAssertEqual(curve.resolvedYRange.lowerBound, 0.005 - 0.03 * 0.995, accuracy: 1e-12)
        XCTAssertEqual(curve.resolvedYRange.upperBound, 1 + 0.03 * 0.995, accuracy: 1e-12)
        XCTAssertEqual(doc.texts("tick-y"), ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        // The x ticks are drawn at their data positions: 200 at the right end of the frame.
        let axes = doc.withClass("axes")[0].attrs
        let right = (Double(axes["x"] ?? "") ?? 0) + (Double(axes["width"] ?? "") ?? 0)
        XCTAssertEqual(Double(doc.withClass("tick-x").last?.attrs["x"] ?? "") ?? 0, right, accuracy: 0.02)
        // Log axes span the data too (0.3 ... 7: no rounding out to 0.1 ... 10).
        var log = curve
        log.logY = true
        log.series = [Series("l", x: [1, 2, 3], y: [0.3, 2, 7])]
        XCTAssertEqual(log.resolvedYRange.lowerBound, 0.3 / pow(10, 0.03 * log10(7 / 0.3)), accuracy: 1e-9)
        XCTAssertEqual(log.resolvedYRange.upperBound, 7 * pow(10, 0.03 * log10(7 / 0.3)), accuracy: 1e-9)
        XCTAssertEqual(parse(log.svg()).texts("tick-y"), ["0.5", "1", "2", "5"])
        // Bars start at 0 and end 3% above the highest error bar, not at the next round number.
        let bars = BarChart(title: "acc", yLabel: "%", categories: ["a", "b"],
                            series: [(name: "m", values: [90, 95], errors: [1, 0.5])])
        XCTAssertEqual(bars.resolvedYRange.lowerBound, 0)
        XCTAssertEqual(bars.resolvedYRange.upperBound, 95.5 * 1.03, accuracy: 1e-9)
        XCTAssertEqual(parse(bars.svg()).texts("tick-y"), ["0", "20", "40", "60", "80"])
        // Scatter: both axes the data's range plus 3%.
        let scatter = parse(ScatterPlot(title: "s", xLabel: "x", yLabel: "y",
                                        points: [(x: 3, y: -1, cls: 0), (x: 13, y: 4, cls: 1)], classNames: []).svg())
        XCTAssertEqual(scatter.texts("tick-x"), ["4", "6", "8", "10", "12"])
        XCTAssertEqual(scatter.texts("tick-y"), ["-1", "0", "1", "2", "3", "4"])
    }

    func testTickLabels() {
        XCTAssertEqual(Ticks.label(0), "0")
        XCTAssertEqual(Ticks.label(-0.0), "0")
        XCTAssertEqual(Ticks.label(0.5), "0.5")
        XCTAssertEqual(Ticks.label(1.5), "1.5")
        XCTAssertEqual(Ticks.label(1000), "1000")
        XCTAssertEqual(Ticks.label(1e-5), "1e-05")
        XCTAssertEqual(Ticks.label(2.5e6), "2.5e+06")
        XCTAssertEqual(Ticks.label(0.1 + 0.2), "0.3")
        XCTAssertEqual(Ticks.linear(0...1).map(Ticks.label), ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        XCTAssertEqual(Ticks.linear(0...0.3, target: 3).map(Ticks.label), ["0", "0.1", "0.2", "0.3"])
    }

    func testColorMap() {
        func rgb(_ s: String) -> (r: Int, g: Int, b: Int) {
            XCTAssertEqual(s.count, 7)
            let v = Int(s.dropFirst(), radix: 16) ?? 0
            return (v >> 16, (v >> 8) & 255, v & 255)
        }
        let blue = rgb(ColorMap.diverging(-1)), white = rgb(ColorMap.diverging(0)), red = rgb(ColorMap.diverging(1))
        XCTAssertGreaterThan(blue.b, blue.r + 80)
        XCTAssertTrue(white.r > 235 && white.g > 235 && white.b > 235)
        XCTAssertGreaterThan(red.r, red.b + 80)
        XCTAssertEqual(Set((0..<10).map(ColorMap.category)).count, 10)
        XCTAssertEqual(ColorMap.category(10), ColorMap.category(0))
    }
}
