import Foundation

/// What a legend entry shows next to its name.
enum LegendSwatch {
    /// A short line sample (optionally dashed, optionally with a marker on it).
    case line(color: String, dashed: Bool, marker: Bool)
    /// A point marker of the given shape (see `markerSVG`).
    case marker(shape: Int, color: String)
    /// A filled square, for bars and classes.
    case box(color: String)
}

/// A boxed legend: one `class="legend-entry"` group per entry, drawn in a white box.
struct PlotLegend {
    var entries: [(name: String, swatch: LegendSwatch)]
    static let font = 11.0
    static let rowHeight = 17.0
    static let maxChars = 28

    /// Names longer than `maxChars` are shortened with an ellipsis for display.
    static func display(_ name: String) -> String {
        name.count > maxChars ? String(name.prefix(maxChars - 1)) + "…" : name
    }

    /// Total width of the legend box, 0 when there are no entries.
    var width: Double {
        guard !entries.isEmpty else { return 0 }
        let w = entries.map { textWidth(Self.display($0.name), size: Self.font) }.max() ?? 0
        return 8 + 24 + 6 + w + 8
    }

    /// Total height of the legend box, 0 when there are no entries.
    var height: Double { entries.isEmpty ? 0 : Double(entries.count) * Self.rowHeight + 8 }

    /// Draws the legend with its top-left corner at (x, y).
    func draw(_ c: inout SVGCanvas, x: Double, y: Double) {
        guard !entries.isEmpty else { return }
        c.add("<g class=\"legend\">")
        c.rect(PlotRect(x: x, y: y, w: width, h: height), fill: "#ffffff", stroke: "#bbb",
               extra: "fill-opacity=\"0.92\" rx=\"3\"")
        for (i, e) in entries.enumerated() {
            let cy = y + 4 + Self.rowHeight * (Double(i) + 0.5)
            let sx = x + 8
            c.add("<g class=\"legend-entry\" data-name=\"\(xmlEscape(e.name))\">")
            switch e.swatch {
            case let .line(color, dashed, marker):
                c.line(sx, cy, sx + 24, cy, stroke: color, width: 2, extra: dashed ? "stroke-dasharray=\"6 3\"" : "")
                if marker { c.add(markerSVG(shape: 0, x: sx + 12, y: cy, size: 3.2, fill: color)) }
            case let .marker(shape, color):
                c.add(markerSVG(shape: shape, x: sx + 12, y: cy, size: 4.5, fill: color, stroke: "#222"))
            case let .box(color):
                c.rect(PlotRect(x: sx + 5, y: cy - 6, w: 14, h: 12), fill: color, stroke: "#333", strokeWidth: 0.5)
            }
            c.text(Self.display(e.name), x: sx + 30, y: cy + 4, size: Self.font, anchor: "start")
            c.add("</g>")
        }
        c.add("</g>")
    }
}

/// SVG markup for a point marker centred at (x, y). Shapes cycle: 0 circle, 1 square,
/// 2 triangle up, 3 diamond, 4 triangle down, 5 pentagon-like star.
func markerSVG(shape: Int, x: Double, y: Double, size s: Double, fill: String, stroke: String? = nil) -> String {
    let st = stroke.map { " stroke=\"\($0)\" stroke-width=\"1\"" } ?? ""
    func poly(_ pts: [(Double, Double)]) -> String {
        let p = pts.map { "\(svgNum(x + $0.0 * s)),\(svgNum(y + $0.1 * s))" }.joined(separator: " ")
        return "<polygon points=\"\(p)\" fill=\"\(fill)\"\(st)/>"
    }
    switch ((shape % 6) + 6) % 6 {
    case 1: return "<rect x=\"\(svgNum(x - s * 0.9))\" y=\"\(svgNum(y - s * 0.9))\" width=\"\(svgNum(1.8 * s))\" height=\"\(svgNum(1.8 * s))\" fill=\"\(fill)\"\(st)/>"
    case 2: return poly([(0, -1.2), (1.1, 0.8), (-1.1, 0.8)])
    case 3: return poly([(0, -1.25), (1.1, 0), (0, 1.25), (-1.1, 0)])
    case 4: return poly([(0, 1.2), (1.1, -0.8), (-1.1, -0.8)])
    case 5: return poly([(0, -1.3), (0.35, -0.4), (1.25, -0.4), (0.55, 0.2), (0.8, 1.1), (0, 0.55), (-0.8, 1.1), (-0.55, 0.2), (-1.25, -0.4), (-0.35, -0.4)])
    default: return "<circle cx=\"\(svgNum(x))\" cy=\"\(svgNum(y))\" r=\"\(svgNum(s))\" fill=\"\(fill)\"\(st)/>"
    }
}
