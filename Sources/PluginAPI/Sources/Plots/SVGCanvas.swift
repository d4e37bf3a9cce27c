import Foundation

// Low-level SVG text building shared by every plot type: escaping of user text, compact
// number formatting (at most two decimals) and a canvas that collects elements and wraps
// them into a standalone document.

/// Escapes `&`, `<`, `>`, `"` and `'` so user text can go into XML text or attribute values.
func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for ch in s {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(ch)
        }
    }
    return out
}

/// Formats a pixel coordinate with at most two decimals ("12", "12.5", "-3.25").
/// Non-finite values (which callers filter out) are written as 0 so the output never holds "nan".
func svgNum(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = (v * 100).rounded() / 100
    if r == r.rounded(), abs(r) < 1e15 { return String(Int(r)) }
    // Not a whole number: the hundredths as an integer, written out (String(format:) was a
    // tenth of a contour plot's time). The same text as "%.2f" of r with trailing zeros cut.
    let cents = (v * 100).rounded()
    guard abs(cents) < 1e15 else {
        var s = String(format: "%.2f", r)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }
    let k = Int(cents), magnitude = abs(k), fraction = magnitude % 100
    let digits = fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0" : "") + String(fraction)
    return (k < 0 ? "-" : "") + String(magnitude / 100) + "." + digits
}

/// Rough width in pixels of `text` rendered in a sans-serif font of `size` pixels.
func textWidth(_ text: String, size: Double) -> Double {
    Double(text.count) * size * 0.58
}

/// A pixel rectangle (origin at the top-left, y grows downwards as in SVG).
struct PlotRect {
    var x: Double, y: Double, w: Double, h: Double
    var maxX: Double { x + w }
    var maxY: Double { y + h }
    var midX: Double { x + w / 2 }
    var midY: Double { y + h / 2 }
}

/// Collects SVG elements and renders them into a complete document with a white background.
struct SVGCanvas {
    private(set) var parts: [String] = []
    /// Counter used to make element ids (clip paths) unique within one document.
    var nextID = 0

    /// Appends raw, already escaped SVG markup.
    mutating func add(_ markup: String) { parts.append(markup) }

    /// Returns a fresh id such as "clip3".
    mutating func makeID(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)\(nextID)"
    }

    /// Draws a rectangle; `extra` holds further (escaped) attributes.
    mutating func rect(_ r: PlotRect, fill: String, stroke: String? = nil, strokeWidth: Double = 1, extra: String = "") {
        var s = "<rect x=\"\(svgNum(r.x))\" y=\"\(svgNum(r.y))\" width=\"\(svgNum(max(0, r.w)))\" height=\"\(svgNum(max(0, r.h)))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"\(svgNum(strokeWidth))\"" }
        if !extra.isEmpty { s += " " + extra }
        add(s + "/>")
    }

    /// Draws a straight line segment.
    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                       stroke: String, width: Double = 1, extra: String = "") {
        var s = "<line x1=\"\(svgNum(x1))\" y1=\"\(svgNum(y1))\" x2=\"\(svgNum(x2))\" y2=\"\(svgNum(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(svgNum(width))\""
        if !extra.isEmpty { s += " " + extra }
        add(s + "/>")
    }

    /// Draws text (escaped here). `anchor` is start, middle or end; `rotate` turns it about (x, y).
    mutating func text(_ str: String, x: Double, y: Double, size: Double = 11, anchor: String = "middle",
                       rotate: Double = 0, weight: String? = nil, fill: String = "#222", extra: String = "") {
        var s = "<text x=\"\(svgNum(x))\" y=\"\(svgNum(y))\" font-size=\"\(svgNum(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
        if let weight { s += " font-weight=\"\(weight)\"" }
        if rotate != 0 { s += " transform=\"rotate(\(svgNum(rotate)) \(svgNum(x)) \(svgNum(y)))\"" }
        if !extra.isEmpty { s += " " + extra }
        add(s + ">\(xmlEscape(str))</text>")
    }

    /// Renders the collected elements as a standalone SVG document of the given pixel size.
    func document(width: Double, height: Double) -> String {
        let w = svgNum(width), h = svgNum(height)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        out += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
        for p in parts { out += p; out += "\n" }
        out += "</svg>\n"
        return out
    }
}

/// Builds the `d` attribute of a polyline, starting a new sub-path after every `nil` point
/// so that gaps (NaN, infinities, values a log axis cannot show) break the line.
func pathData(_ points: [(Double, Double)?]) -> String {
    var parts: [String] = []
    var penDown = false
    for p in points {
        guard let (x, y) = p else { penDown = false; continue }
        parts.append((penDown ? "L" : "M") + svgNum(x) + " " + svgNum(y))
        penDown = true
    }
    return parts.joined(separator: " ")
}
