import Foundation

/// Many points coloured by class (categorical palette) with a class legend on the right.
public struct ScatterPlot {
    /// Chart title drawn at the top.
    public var title: String
    /// X axis title.
    public var xLabel: String
    /// Y axis title.
    public var yLabel: String
    /// The points; `cls` indexes `classNames` and the colour palette.
    public var points: [(x: Double, y: Double, cls: Int)]
    /// Legend names per class index ("class N" when missing).
    public var classNames: [String]
    /// Marker radius in pixels.
    public var radius: Double = 2.2
    /// Marker opacity, so dense regions stay readable.
    public var opacity: Double = 0.65

    /// Creates a scatter plot.
    public init(title: String, xLabel: String, yLabel: String, points: [(x: Double, y: Double, cls: Int)],
                classNames: [String]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.points = points; self.classNames = classNames
    }

    /// Class indices shown: every named class plus any other index that occurs, ascending.
    var classes: [Int] {
        Array(Set(classNames.indices).union(points.map(\.cls))).sorted()
    }

    func name(_ k: Int) -> String { k >= 0 && k < classNames.count ? classNames[k] : "class \(k)" }

    /// The complete SVG document.
    public func svg(width: Int = 600, height: Int = 480) -> String {
        var c = SVGCanvas()
        let outer = PlotRect(x: 0, y: 0, w: Double(width), h: Double(height))
        let classes = self.classes
        let legend = PlotLegend(entries: classes.map { (name($0), .marker(shape: 0, color: ColorMap.category($0))) })
        PlotFrame.drawTitle(&c, title, in: outer)
        let xa = PlotAxis.automatic(points.map(\.x), log: false, pad: PlotAxis.valuePad)
        let ya = PlotAxis.automatic(points.map(\.y), log: false, pad: PlotAxis.valuePad)
        let frame = PlotFrame.layout(in: outer, x: xa, y: ya, title: !title.isEmpty, xTitle: !xLabel.isEmpty,
                                     yTitle: !yLabel.isEmpty, legendWidth: legend.width)
        frame.drawGrid(&c)
        let clip = frame.clip(&c)
        var byClass: [Int: [(Double, Double)]] = [:]
        for p in points { if let q = frame.point(p.x, p.y) { byClass[p.cls, default: []].append(q) } }
        c.add("<g \(clip)>")
        for k in classes {
            c.add("<g class=\"scatter-class\" data-name=\"\(xmlEscape(name(k)))\" fill=\"\(ColorMap.category(k))\" fill-opacity=\"\(svgNum(opacity))\">")
            for (x, y) in byClass[k] ?? [] { c.add("<circle cx=\"\(svgNum(x))\" cy=\"\(svgNum(y))\" r=\"\(svgNum(radius))\"/>") }
            c.add("</g>")
        }
        c.add("</g>")
        frame.drawAxes(&c, xTitle: xLabel, yTitle: yLabel)
        legend.draw(&c, x: frame.area.maxX + 12, y: frame.area.y)
        return c.document(width: Double(width), height: Double(height))
    }
}
