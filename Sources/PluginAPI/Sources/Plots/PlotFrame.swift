import Foundation

/// The plot area of one chart with its two axes: maps data to pixels and draws the shared
/// decorations (grid, axis lines, ticks, tick labels, axis titles, chart title).
struct PlotFrame {
    var area: PlotRect
    var x: PlotAxis
    var y: PlotAxis
    static let tickFont = 10.5
    static let titleFont = 15.0
    static let axisTitleFont = 12.0

    /// Pixel x of data value `v`, nil when not drawable.
    /// Far-off values are clamped to 10 000 px outside the area (they are clipped anyway).
    func px(_ v: Double) -> Double? { x.fraction(v).map { area.x + min(1e4, max(-1e4, $0 * area.w)) } }
    /// Pixel y of data value `v`, nil when not drawable (clamped like `px`).
    func py(_ v: Double) -> Double? { y.fraction(v).map { area.maxY - min(1e4, max(-1e4, $0 * area.h)) } }
    /// Pixel position of a data point, nil when either coordinate is not drawable.
    func point(_ vx: Double, _ vy: Double) -> (Double, Double)? {
        guard let a = px(vx), let b = py(vy) else { return nil }
        return (a, b)
    }

    /// Width of the widest y tick label.
    static func yTickWidth(_ y: PlotAxis) -> Double {
        y.ticks.map { textWidth(Ticks.label($0), size: tickFont) }.max() ?? 0
    }

    /// Lays out a frame inside `outer`, leaving room for the title, tick labels, axis titles
    /// and a legend column of `legendWidth` pixels on the right (`extraBottom` adds room below).
    static func layout(in outer: PlotRect, x: PlotAxis, y: PlotAxis, title: Bool, xTitle: Bool,
                       yTitle: Bool, legendWidth: Double, xTickLabels: Bool = true,
                       extraBottom: Double = 0) -> PlotFrame {
        let left = 10 + (yTitle ? 20 : 0) + yTickWidth(y) + 9
        let lastX = x.ticks.last.map { textWidth(Ticks.label($0), size: tickFont) / 2 } ?? 0
        let right = max(14, lastX + 4) + (legendWidth > 0 ? legendWidth + 12 : 0)
        let top = title ? 38.0 : 12
        let bottom = (xTickLabels ? 24.0 : 8) + (xTitle ? 22 : 0) + 4 + extraBottom
        let area = PlotRect(x: outer.x + left, y: outer.y + top,
                            w: max(20, outer.w - left - right), h: max(20, outer.h - top - bottom))
        return PlotFrame(area: area, x: x, y: y)
    }

    /// Adds a clip path equal to the plot area and returns the attribute that applies it.
    /// `pad` enlarges the clip rectangle so markers on the border stay whole.
    func clip(_ c: inout SVGCanvas, pad: Double = 0) -> String {
        let id = c.makeID("clip")
        c.add("<defs><clipPath id=\"\(id)\"><rect x=\"\(svgNum(area.x - pad))\" y=\"\(svgNum(area.y - pad))\" width=\"\(svgNum(area.w + 2 * pad))\" height=\"\(svgNum(area.h + 2 * pad))\"/></clipPath></defs>")
        return "clip-path=\"url(#\(id))\""
    }

    /// Light grid lines at the ticks (drawn before the data).
    func drawGrid(_ c: inout SVGCanvas, vertical: Bool = true, horizontal: Bool = true) {
        c.add("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">")
        if vertical { for t in x.ticks { if let p = px(t) { c.add("<line x1=\"\(svgNum(p))\" y1=\"\(svgNum(area.y))\" x2=\"\(svgNum(p))\" y2=\"\(svgNum(area.maxY))\"/>") } } }
        if horizontal { for t in y.ticks { if let p = py(t) { c.add("<line x1=\"\(svgNum(area.x))\" y1=\"\(svgNum(p))\" x2=\"\(svgNum(area.maxX))\" y2=\"\(svgNum(p))\"/>") } } }
        c.add("</g>")
    }

    /// Axis box, tick marks, tick labels (`class="tick-x"` / `class="tick-y"`) and axis titles.
    func drawAxes(_ c: inout SVGCanvas, xTitle: String?, yTitle: String?, xTickLabels: Bool = true) {
        c.rect(area, fill: "none", stroke: "#444", strokeWidth: 1, extra: "class=\"axes\"")
        c.add("<g class=\"ticks\" stroke=\"#444\" stroke-width=\"1\">")
        if xTickLabels { for t in x.ticks { if let p = px(t) { c.add("<line x1=\"\(svgNum(p))\" y1=\"\(svgNum(area.maxY))\" x2=\"\(svgNum(p))\" y2=\"\(svgNum(area.maxY + 5))\"/>") } } }
        for t in y.ticks { if let p = py(t) { c.add("<line x1=\"\(svgNum(area.x - 5))\" y1=\"\(svgNum(p))\" x2=\"\(svgNum(area.x))\" y2=\"\(svgNum(p))\"/>") } }
        c.add("</g>")
        if xTickLabels {
            for t in x.ticks { if let p = px(t) {
                c.text(Ticks.label(t), x: p, y: area.maxY + 17, size: Self.tickFont, extra: "class=\"tick-x\"")
            } }
        }
        for t in y.ticks { if let p = py(t) {
            c.text(Ticks.label(t), x: area.x - 8, y: p + 3.5, size: Self.tickFont, anchor: "end", extra: "class=\"tick-y\"")
        } }
        if let xTitle, !xTitle.isEmpty {
            c.text(xTitle, x: area.midX, y: area.maxY + (xTickLabels ? 40 : 20), size: Self.axisTitleFont, extra: "class=\"axis-title-x\"")
        }
        if let yTitle, !yTitle.isEmpty {
            let tx = area.x - 8 - Self.yTickWidth(y) - 12
            c.text(yTitle, x: tx, y: area.midY, size: Self.axisTitleFont, rotate: -90, extra: "class=\"axis-title-y\"")
        }
    }

    /// The chart title centred over `outer` at its top, moved right when it is too long to
    /// start inside `outer` (bold text is about 10% wider than `textWidth` estimates).
    static func drawTitle(_ c: inout SVGCanvas, _ title: String, in outer: PlotRect, size: Double = titleFont) {
        guard !title.isEmpty else { return }
        let x = max(outer.midX, outer.x + 6 + textWidth(title, size: size) * 1.1 / 2)
        c.text(title, x: x, y: outer.y + 22, size: size, weight: "bold", extra: "class=\"title\"")
    }
}
