import Foundation

/// One series of a `LinePlot`: a line through (x[i], y[i]), with optional markers and error bars.
public struct Series {
    /// Name shown in the legend (and in the path's `data-name`).
    public var name: String
    /// X coordinates.
    public var x: [Double]
    /// Y coordinates (paired with `x`; extra values in the longer array are ignored).
    public var y: [Double]
    /// Half-widths of vertical error bars, one per point, or nil for none.
    public var yError: [Double]?
    /// Draw a marker at every point.
    public var markers: Bool
    /// Draw the line dashed.
    public var dashed: Bool
    /// Draw the connecting line (false gives markers only; the path is still emitted, unstroked).
    public var line: Bool
    /// Explicit colour ("#rrggbb"); nil uses the categorical palette by series index.
    public var color: String?

    /// Creates a series; NaN or infinite values break the line at that point.
    public init(_ name: String, x: [Double], y: [Double], yError: [Double]? = nil, markers: Bool = false,
                dashed: Bool = false, line: Bool = true, color: String? = nil) {
        self.name = name; self.x = x; self.y = y; self.yError = yError
        self.markers = markers || !line; self.dashed = dashed; self.line = line; self.color = color
    }

    /// Number of drawable (x, y) pairs.
    var count: Int { min(x.count, y.count) }
}

/// A line chart of one or more series, with linear or log axes, optional error bars,
/// horizontal reference lines and a legend on the right.
public struct LinePlot {
    /// Chart title drawn at the top.
    public var title: String
    /// X axis title.
    public var xLabel: String
    /// Y axis title (drawn rotated).
    public var yLabel: String
    /// The series, drawn in order; colours follow the categorical palette.
    public var series: [Series]
    /// Logarithmic y axis (values <= 0 are skipped).
    public var logY: Bool = false
    /// Logarithmic x axis (values <= 0 are skipped).
    public var logX: Bool = false
    /// Fixed x range; nil spans the data exactly.
    public var xRange: ClosedRange<Double>? = nil
    /// Fixed y range; nil spans the data with a 3% margin at each end.
    public var yRange: ClosedRange<Double>? = nil
    /// Labelled horizontal dashed reference lines across the plot area.
    public var horizontalLines: [(label: String, y: Double)] = []

    /// Creates a line plot; ranges and reference lines can be set afterwards.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false, logX: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.series = series; self.logY = logY; self.logX = logX
    }

    /// The x range actually drawn (the data's, or the fixed one).
    public var resolvedXRange: ClosedRange<Double> { xAxis.range }
    /// The y range actually drawn (the data's with its margin, or the fixed one).
    public var resolvedYRange: ClosedRange<Double> { yAxis.range }

    var xAxis: PlotAxis { PlotAxis.automatic(series.flatMap { Array($0.x.prefix($0.count)) }, log: logX, fixed: xRange) }

    var yAxis: PlotAxis { PlotAxis.automatic(yValues, log: logY, fixed: yRange, pad: PlotAxis.valuePad) }

    /// All y values that the automatic y range must cover: points (inside a fixed x range
    /// when one is set), error-bar ends and reference lines.
    var yValues: [Double] {
        var out = horizontalLines.map(\.y)
        for s in series {
            for i in 0..<s.count {
                if let r = xRange, !r.contains(s.x[i]) { continue }
                out.append(s.y[i])
                if let e = s.yError, i < e.count, e[i].isFinite {
                    out.append(s.y[i] + abs(e[i])); out.append(s.y[i] - abs(e[i]))
                }
            }
        }
        return out
    }

    /// Whether a legend is drawn: more than one series, or any named series.
    var wantsLegend: Bool { series.count > 1 || series.contains { !$0.name.isEmpty } }

    func color(_ i: Int) -> String { series[i].color ?? ColorMap.category(i) }

    /// Legend entries, one per series in order.
    func legend(colors: (Int) -> String) -> PlotLegend {
        PlotLegend(entries: series.enumerated().map { i, s in
            (s.name, .line(color: colors(i), dashed: s.dashed, marker: s.markers))
        })
    }

    /// The complete SVG document.
    public func svg(width: Int = 640, height: Int = 420) -> String {
        var c = SVGCanvas()
        let outer = PlotRect(x: 0, y: 0, w: Double(width), h: Double(height))
        let legend = wantsLegend ? legend(colors: color) : PlotLegend(entries: [])
        PlotFrame.drawTitle(&c, title, in: outer)
        let frame = PlotFrame.layout(in: outer, x: xAxis, y: yAxis, title: !title.isEmpty, xTitle: !xLabel.isEmpty,
                                     yTitle: !yLabel.isEmpty, legendWidth: legend.width)
        draw(&c, frame: frame, colors: color)
        legend.draw(&c, x: frame.area.maxX + 12, y: frame.area.y)
        return c.document(width: Double(width), height: Double(height))
    }

    /// Draws grid, series, reference lines and axes into `frame` (no title, no legend).
    func draw(_ c: inout SVGCanvas, frame: PlotFrame, colors: (Int) -> String,
              showXTitle: Bool = true, showYTitle: Bool = true) {
        frame.drawGrid(&c)
        let clip = frame.clip(&c)
        c.add("<g \(clip)>")
        for h in horizontalLines {
            guard let y = frame.py(h.y) else { continue }
            c.line(frame.area.x, y, frame.area.maxX, y, stroke: "#555", width: 1.2,
                   extra: "stroke-dasharray=\"4 4\" class=\"hline\" data-name=\"\(xmlEscape(h.label))\"")
            // Above the line, or below it when the line runs along the top of the frame.
            let labelY = y - 4 - 10 < frame.area.y ? y + 12 : y - 4
            c.text(h.label, x: frame.area.maxX - 4, y: labelY, size: 10, anchor: "end", fill: "#444",
                   extra: "class=\"hline-label\"")
        }
        for (i, s) in series.enumerated() { drawLine(&c, s, color: colors(i), frame: frame) }
        c.add("</g>")
        c.add("<g \(frame.clip(&c, pad: 7))>")
        for (i, s) in series.enumerated() { drawPoints(&c, s, color: colors(i), frame: frame) }
        c.add("</g>")
        frame.drawAxes(&c, xTitle: showXTitle ? xLabel : nil, yTitle: showYTitle ? yLabel : nil)
    }

    /// The series line (`class="series"`), plus a dot for points isolated between gaps.
    func drawLine(_ c: inout SVGCanvas, _ s: Series, color: String, frame: PlotFrame) {
        let pts = (0..<s.count).map { frame.point(s.x[$0], s.y[$0]) }
        var attrs = "class=\"series\" data-name=\"\(xmlEscape(s.name))\" fill=\"none\" stroke-linejoin=\"round\""
        attrs += s.line ? " stroke=\"\(color)\" stroke-width=\"1.8\"" : " stroke=\"none\""
        if s.dashed { attrs += " stroke-dasharray=\"6 3\"" }
        c.add("<path \(attrs) d=\"\(pathData(pts))\"/>")
        guard s.line, !s.markers else { return }
        for i in pts.indices {
            guard let (x, y) = pts[i], i == 0 || pts[i - 1] == nil, i == pts.count - 1 || pts[i + 1] == nil else { continue }
            c.add("<circle class=\"isolated\" cx=\"\(svgNum(x))\" cy=\"\(svgNum(y))\" r=\"1.8\" fill=\"\(color)\"/>")
        }
    }

    /// Error bars and markers of a series.
    func drawPoints(_ c: inout SVGCanvas, _ s: Series, color: String, frame: PlotFrame) {
        let pts = (0..<s.count).map { frame.point(s.x[$0], s.y[$0]) }
        if let err = s.yError {
            c.add("<g class=\"error-bars\" stroke=\"\(color)\" stroke-width=\"1.2\">")
            for i in 0..<min(s.count, err.count) {
                let e = abs(err[i])
                guard e.isFinite, e > 0, let x = frame.px(s.x[i]), frame.py(s.y[i]) != nil else { continue }
                let lowV = s.y[i] - e
                guard let top = frame.py(s.y[i] + e) else { continue }
                let bottom = frame.py(lowV) ?? frame.area.maxY + 1   // log axis: lower end below zero
                c.line(x, top, x, bottom, stroke: color, width: 1.2)
                c.line(x - 3, top, x + 3, top, stroke: color, width: 1.2)
                if frame.py(lowV) != nil { c.line(x - 3, bottom, x + 3, bottom, stroke: color, width: 1.2) }
            }
            c.add("</g>")
        }
        if s.markers {
            c.add("<g class=\"markers\" data-name=\"\(xmlEscape(s.name))\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"0.8\">")
            for p in pts { if let (x, y) = p { c.add("<circle cx=\"\(svgNum(x))\" cy=\"\(svgNum(y))\" r=\"3\"/>") } }
            c.add("</g>")
        }
    }
}
