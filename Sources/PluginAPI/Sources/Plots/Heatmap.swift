import Foundation

/// A matrix of coloured cells with the value written in each (confusion matrices):
/// rows labelled on the left, columns below, white-to-blue colour by value / max.
public struct Heatmap {
    /// Chart title drawn at the top.
    public var title: String
    /// One label per row (top to bottom).
    public var rowLabels: [String]
    /// One label per column (left to right).
    public var columnLabels: [String]
    /// values[row][col]; row 0 is drawn at the top.
    public var values: [[Double]]
    /// Title under the column labels.
    public var xLabel: String = "predicted"
    /// Title left of the row labels (rotated).
    public var yLabel: String = "true"

    /// Creates a heatmap.
    public init(title: String, rowLabels: [String], columnLabels: [String], values: [[Double]],
                xLabel: String = "predicted", yLabel: String = "true") {
        self.title = title; self.rowLabels = rowLabels; self.columnLabels = columnLabels
        self.values = values; self.xLabel = xLabel; self.yLabel = yLabel
    }

    /// The text written in a cell: integers as such, others with 2 decimals (3 digits from 10 up).
    static func cellText(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        if v == v.rounded(), abs(v) < 1e9 { return Ticks.label(v) }
        return abs(v) >= 10 ? String(format: "%.3g", v) : String(format: "%.2f", v)
    }

    /// The complete SVG document with square cells of `cell` pixels.
    public func svg(cell: Int = 56) -> String {
        var c = SVGCanvas()
        let rows = values.count, cols = max(values.map(\.count).max() ?? 0, columnLabels.count)
        let cs = Double(cell)
        let font = 11.0
        func label(_ a: [String], _ i: Int) -> String { i < a.count ? a[i] : "" }
        let rowW = (0..<max(rows, rowLabels.count)).map { textWidth(label(rowLabels, $0), size: font) }.max() ?? 0
        let colW = (0..<cols).map { textWidth(label(columnLabels, $0), size: font) }.max() ?? 0
        let rotate = colW > cs - 6
        let left = 12 + (yLabel.isEmpty ? 0 : 22) + rowW + 8
        let top = title.isEmpty ? 12.0 : 40
        let colLabelH = rotate ? colW * 0.72 + 16 : 18
        let gridW = Double(cols) * cs, gridH = Double(rows) * cs
        let width = max(left + gridW + 16, textWidth(title, size: PlotFrame.titleFont) + 24)
        let height = top + gridH + colLabelH + (xLabel.isEmpty ? 6 : 30)
        PlotFrame.drawTitle(&c, title, in: PlotRect(x: 0, y: 0, w: width, h: top))
        let maxV = values.joined().filter(\.isFinite).map(abs).max() ?? 0
        let textSize = min(13, cs * 0.3)
        c.add("<g class=\"cells\">")
        for r in 0..<rows {
            for k in 0..<values[r].count {
                let v = values[r][k]
                let color = v.isFinite ? ColorMap.sequential(maxV > 0 ? abs(v) / maxV : 0) : "#dddddd"
                let rect = PlotRect(x: left + Double(k) * cs, y: top + Double(r) * cs, w: cs, h: cs)
                c.rect(rect, fill: color, stroke: "#ffffff", strokeWidth: 1,
                       extra: "class=\"cell\" data-row=\"\(r)\" data-col=\"\(k)\"")
                let s = Self.cellText(v)
                let size = min(textSize, (cs - 4) / (0.6 * Double(max(1, s.count))))
                c.text(s, x: rect.midX, y: rect.midY + size * 0.35, size: size,
                       fill: ColorMap.luminance(color) < 0.55 ? "#ffffff" : "#111111", extra: "class=\"cell-value\"")
            }
        }
        c.add("</g>")
        c.rect(PlotRect(x: left, y: top, w: gridW, h: gridH), fill: "none", stroke: "#444")
        for r in 0..<rows {
            c.text(label(rowLabels, r), x: left - 8, y: top + (Double(r) + 0.5) * cs + 4, size: font, anchor: "end",
                   extra: "class=\"tick-y\"")
        }
        for k in 0..<cols {
            let x = left + (Double(k) + 0.5) * cs, y = top + gridH + 15
            if rotate {
                c.text(label(columnLabels, k), x: x + 3, y: y - 4, size: font, anchor: "end", rotate: -40, extra: "class=\"tick-x\"")
            } else {
                c.text(label(columnLabels, k), x: x, y: y, size: font, extra: "class=\"tick-x\"")
            }
        }
        if !xLabel.isEmpty {
            c.text(xLabel, x: left + gridW / 2, y: top + gridH + colLabelH + 18, size: PlotFrame.axisTitleFont,
                   extra: "class=\"axis-title-x\"")
        }
        if !yLabel.isEmpty {
            c.text(yLabel, x: 12 + 12, y: top + gridH / 2, size: PlotFrame.axisTitleFont, rotate: -90,
                   extra: "class=\"axis-title-y\"")
        }
        return c.document(width: width.rounded(.up), height: height.rounded(.up))
    }
}
