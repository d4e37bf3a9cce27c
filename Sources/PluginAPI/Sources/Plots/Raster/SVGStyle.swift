import Foundation

/// The painting properties in effect for an element: SVG's inherited presentation
/// attributes (fill, stroke and their details, fonts, text-anchor), plus the product of the
/// `opacity` of the element and its ancestors (group opacity is approximated that way).
struct SVGStyle {
    enum Anchor { case start, middle, end }
    /// Fill colour and its alpha; nil for none.
    var fill: Paint? = (.black, 1)
    /// Stroke colour and its alpha; nil for none.
    var stroke: Paint? = nil
    var strokeStyle = StrokeStyle()
    var fillOpacity = 1.0
    var strokeOpacity = 1.0
    var opacity = 1.0
    var evenOdd = false
    var fontSize = 16.0
    var bold = false
    var anchor = Anchor.start
    /// The `color` property, which `currentColor` refers to.
    var color = RGB.black
    /// paint-order puts the stroke under the fill.
    var strokeFirst = false
    var visible = true

    /// The attributes of an element with its `style` declarations applied over them.
    static func attributes(of node: SVGNode) -> [String: String] {
        guard let css = node.attributes["style"] else { return node.attributes }
        return node.attributes.merging(SVGValues.style(css)) { _, new in new }
    }

    /// This style with an element's attributes applied (unknown or unreadable values are
    /// ignored, so the inherited value stays).
    func applying(_ a: [String: String]) -> SVGStyle {
        var s = self
        if let v = a["color"], let p = SVGValues.paint(v, currentColor: color), let c = p { s.color = c.color }
        if let v = a["fill"], let p = SVGValues.paint(v, currentColor: s.color) { s.fill = p }
        if let v = a["stroke"], let p = SVGValues.paint(v, currentColor: s.color) { s.stroke = p }
        if let v = Self.unit(a["fill-opacity"]) { s.fillOpacity = v }
        if let v = Self.unit(a["stroke-opacity"]) { s.strokeOpacity = v }
        if let v = Self.unit(a["opacity"]) { s.opacity *= v }
        if let v = SVGValues.length(a["stroke-width"]), v >= 0 { s.strokeStyle.width = v }
        if let v = SVGValues.length(a["stroke-miterlimit"]), v >= 1 { s.strokeStyle.miterLimit = v }
        switch a["stroke-linejoin"] {
        case "round": s.strokeStyle.join = .round
        case "bevel": s.strokeStyle.join = .bevel
        case "miter", "miter-clip", "arcs": s.strokeStyle.join = .miter
        default: break
        }
        switch a["stroke-linecap"] {
        case "round": s.strokeStyle.cap = .round
        case "square": s.strokeStyle.cap = .square
        case "butt": s.strokeStyle.cap = .butt
        default: break
        }
        if let v = a["stroke-dasharray"] {
            s.strokeStyle.dashes = v.trimmingCharacters(in: .whitespaces) == "none" ? [] : SVGValues.numbers(v)
        }
        if let v = SVGValues.length(a["stroke-dashoffset"]) { s.strokeStyle.dashOffset = v }
        if let v = a["fill-rule"] { s.evenOdd = v.trimmingCharacters(in: .whitespaces) == "evenodd" }
        if let v = SVGValues.length(a["font-size"]), v > 0 { s.fontSize = min(v, 10_000) }
        if let v = a["font-weight"] {
            let w = v.trimmingCharacters(in: .whitespaces)
            if w == "bold" || w == "bolder" { s.bold = true }
            else if w == "normal" || w == "lighter" { s.bold = false }
            else if let n = Double(w) { s.bold = n >= 600 }
        }
        switch a["text-anchor"]?.trimmingCharacters(in: .whitespaces) {
        case "middle": s.anchor = .middle
        case "end": s.anchor = .end
        case "start": s.anchor = .start
        default: break
        }
        if let v = a["paint-order"] {
            let words = v.split(separator: " ").map(String.init)
            let order = words + ["fill", "stroke", "markers"].filter { !words.contains($0) }
            s.strokeFirst = (order.firstIndex(of: "stroke") ?? 1) < (order.firstIndex(of: "fill") ?? 0)
        }
        switch a["visibility"]?.trimmingCharacters(in: .whitespaces) {
        case "hidden", "collapse": s.visible = false
        case "visible": s.visible = true
        default: break
        }
        return s
    }

    /// An opacity in 0...1 (a percentage is accepted).
    static func unit(_ s: String?) -> Double? {
        guard let s, let v = SVGValues.length(s) else { return nil }
        return min(1, max(0, s.contains("%") ? v / 100 : v))
    }
}
