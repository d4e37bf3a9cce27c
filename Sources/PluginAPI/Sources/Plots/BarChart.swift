import Foundation

/// Grouped bars: one group per category along x, one bar per series in each group, with
/// optional error bars (e.g. mean ± spread over seeds) and a legend of the series.
public struct BarChart {
    /// Chart title drawn at the top.
    public var title: String
    /// Y axis title.
    public var yLabel: String
    /// Group names along x.
    public var categories: [String]
    /// One bar per series per category; `errors` are error-bar half-widths (nil for none).
    public var series: [(name: String, values: [Double], errors: [Double]?)]
    /// Logarithmic y axis (bars start at the bottom of the axis; values <= 0 are skipped).
    public var logY: Bool = false

    /// Creates a grouped bar chart.
    public init(title: String, yLabel: String, categories: [String],
                series: [(name: String, values: [Double], errors: [Double]?)], logY: Bool = false) {
        self.title = title; self.yLabel = yLabel; self.categories = categories
        self.series = series; self.logY = logY
    }

    /// Values the y axis must cover: bar tops and error-bar ends.
    var yValues: [Double] {
        var out: [Double] = []
        for s in series {
            for (i, v) in s.values.enumerated() where i < categories.count {
                out.append(v)
                if let e = s.errors, i < e.count, e[i].isFinite { out.append(v + abs(e[i])); out.append(v - abs(e[i])) }
            }
        }
        return out
    }

    /// The y range actually drawn (linear axes always include 0).
    public var resolvedYRange: ClosedRange<Double> { yAxis.range }

    var yAxis: PlotAxis { PlotAxis.automatic(yValues, log: logY, includeZero: !logY, pad: logY ? 0.08 : PlotAxis.valuePad) }

    /// The complete SVG document.
    public func svg(width: Int = 640, height: Int = 420) -> String {
        var c = SVGCanvas()
        let outer = PlotRect(x: 0, y: 0, w: Double(width), h: Double(height))
        let wantsLegend = series.count > 1 || series.contains { !$0.name.isEmpty }
        let legend = PlotLegend(entries: wantsLegend ? series.enumerated().map { ($1.name, .box(color: ColorMap.category($0))) } : [])
        let n = max(1, categories.count)
        let font = PlotFrame.tickFont
        let labelW = categories.map { textWidth($0, size: font) }.max() ?? 0
        let approxGroup = (outer.w - 90 - (legend.width > 0 ? legend.width + 12 : 0)) / Double(n)
        let rotate = labelW > approxGroup - 6
        PlotFrame.drawTitle(&c, title, in: outer)
        let ya = yAxis
        let frame = PlotFrame.layout(in: outer, x: PlotAxis(lo: 0, hi: Double(n), log: false, ticks: []), y: ya,
                                     title: !title.isEmpty, xTitle: false, yTitle: !yLabel.isEmpty,
                                     legendWidth: legend.width, extraBottom: rotate ? labelW * 0.64 : 0)
        frame.drawGrid(&c, vertical: false)
        let group = frame.area.w / Double(n)
        let barW = group * 0.8 / Double(max(1, series.count))
        let base = logY ? frame.area.maxY : (frame.py(0) ?? frame.area.maxY)
        let clip = frame.clip(&c)
        c.add("<g \(clip)>")
        for (j, s) in series.enumerated() {
            let color = ColorMap.category(j)
            c.add("<g class=\"bars\" data-name=\"\(xmlEscape(s.name))\" fill=\"\(color)\">")
            for (i, v) in s.values.enumerated() where i < categories.count {
                guard let top = frame.py(v) else { continue }
                let x = frame.area.x + Double(i) * group + group * 0.1 + Double(j) * barW
                c.rect(PlotRect(x: x + 0.5, y: min(top, base), w: barW - 1, h: abs(base - top)), fill: color,
                       extra: "class=\"bar\" data-category=\"\(xmlEscape(categories[i]))\"")
                guard let e = s.errors, i < e.count, e[i].isFinite, e[i] != 0, let hi = frame.py(v + abs(e[i])) else { continue }
                let lo = frame.py(v - abs(e[i])) ?? frame.area.maxY
                let cx = x + barW / 2, cap = min(4, barW * 0.3)
                c.line(cx, hi, cx, lo, stroke: "#222", width: 1.2, extra: "class=\"error-bar\"")
                c.line(cx - cap, hi, cx + cap, hi, stroke: "#222", width: 1.2)
                if frame.py(v - abs(e[i])) != nil { c.line(cx - cap, lo, cx + cap, lo, stroke: "#222", width: 1.2) }
            }
            c.add("</g>")
        }
        c.add("</g>")
        if !logY, let zero = frame.py(0), zero > frame.area.y, zero < frame.area.maxY {
            c.line(frame.area.x, zero, frame.area.maxX, zero, stroke: "#444", width: 1)
        }
        frame.drawAxes(&c, xTitle: nil, yTitle: yLabel)
        for (i, name) in categories.enumerated() {
            let x = frame.area.x + (Double(i) + 0.5) * group, y = frame.area.maxY + 16
            if rotate {
                c.text(name, x: x + 3, y: y - 4, size: font, anchor: "end", rotate: -40, extra: "class=\"tick-x\"")
            } else {
                c.text(name, x: x, y: y, size: font, extra: "class=\"tick-x\"")
            }
        }
        legend.draw(&c, x: frame.area.maxX + 12, y: frame.area.y)
        return c.document(width: Double(width), height: Double(height))
    }
}
