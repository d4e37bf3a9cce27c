import Foundation

/// Draws an SVG element tree onto a `RasterCanvas`: containers (svg, g, a), shapes (rect,
/// circle, ellipse, line, polyline, polygon, path) and text, with inherited styles,
/// transforms and rectangular clip paths. Everything else is skipped.
struct SVGRenderer {
    var canvas: RasterCanvas
    /// clipPath elements by id.
    let clipPaths: [String: SVGNode]
    /// Flattening tolerance in device pixels.
    static let tolerance = 0.12

    init(canvas: RasterCanvas, document: SVGNode) {
        self.canvas = canvas
        var found: [String: SVGNode] = [:]
        func collect(_ node: SVGNode) {
            if node.name == "clipPath", let id = node.attributes["id"], found[id] == nil { found[id] = node }
            for child in node.children where !child.name.isEmpty { collect(child) }
        }
        collect(document)
        clipPaths = found
    }

    /// Elements whose content is never drawn directly.
    static let skipped: Set<String> = ["defs", "clipPath", "mask", "symbol", "marker", "pattern", "linearGradient",
                                       "radialGradient", "title", "desc", "metadata", "style", "script", "filter",
                                       "image", "use", "foreignObject"]

    /// Draws the element children of `node`.
    mutating func renderChildren(of node: SVGNode, style: SVGStyle, ctm: Affine, clip: ClipRect) {
        for child in node.children where !child.name.isEmpty {
            render(child, style: style, ctm: ctm, clip: clip)
        }
    }

    mutating func render(_ node: SVGNode, style parent: SVGStyle, ctm parentCTM: Affine, clip parentClip: ClipRect) {
        guard !Self.skipped.contains(node.name) else { return }
        let attrs = SVGStyle.attributes(of: node)
        if attrs["display"]?.trimmingCharacters(in: .whitespaces) == "none" { return }
        let style = parent.applying(attrs)
        let ctm = attrs["transform"].map { parentCTM.concatenating(SVGValues.transform($0)) } ?? parentCTM
        var clip = parentClip
        if let ref = attrs["clip-path"], let rect = clipRect(ref, ctm: ctm) { clip = clip.intersection(rect) }
        guard !clip.isEmpty else { return }
        switch node.name {
        case "svg", "g", "a", "switch":
            renderChildren(of: node, style: style, ctm: ctm, clip: clip)
        case "text":
            if style.visible { drawText(node, attrs: attrs, style: style, ctm: ctm, clip: clip) }
        default:
            guard style.visible else { return }
            let tol = Self.tolerance / ctm.meanScale
            guard let shape = Self.geometry(node.name, attrs, tolerance: tol) else { return }
            paint(shape, filled: node.name != "line", style: style, ctm: ctm, clip: clip, tolerance: tol)
        }
    }

    /// The outline of a basic shape in user space, or nil for an element that is not one.
    static func geometry(_ name: String, _ a: [String: String], tolerance: Double) -> [Subpath]? {
        func num(_ key: String) -> Double { SVGValues.length(a[key]) ?? 0 }
        switch name {
        case "rect":
            let x = num("x"), y = num("y"), w = num("width"), h = num("height")
            guard w > 0, h > 0 else { return [] }
            var rx = SVGValues.length(a["rx"]), ry = SVGValues.length(a["ry"])
            if rx == nil { rx = ry }
            if ry == nil { ry = rx }
            let r = (min(max(0, rx ?? 0), w / 2), min(max(0, ry ?? 0), h / 2))
            return [Subpath(points: Curves.roundedRect(x: x, y: y, w: w, h: h, rx: r.0, ry: r.1, tolerance: tolerance), closed: true)]
        case "circle":
            let r = num("r")
            return [Subpath(points: Curves.ellipse(center: Vec2(x: num("cx"), y: num("cy")), rx: r, ry: r, tolerance: tolerance), closed: true)]
        case "ellipse":
            return [Subpath(points: Curves.ellipse(center: Vec2(x: num("cx"), y: num("cy")), rx: num("rx"), ry: num("ry"), tolerance: tolerance), closed: true)]
        case "line":
            return [Subpath(points: [Vec2(x: num("x1"), y: num("y1")), Vec2(x: num("x2"), y: num("y2"))], closed: false)]
        case "polyline", "polygon":
            return [Subpath(points: SVGValues.points(a["points"] ?? ""), closed: name == "polygon")]
        case "path":
            return SVGValues.path(a["d"] ?? "", tolerance: tolerance)
        default:
            return nil
        }
    }

    /// Fills (unless `filled` is false) and strokes `shape`, in the order paint-order asks.
    mutating func paint(_ shape: [Subpath], filled: Bool, style: SVGStyle, ctm: Affine, clip: ClipRect, tolerance: Double) {
        func doFill(_ canvas: inout RasterCanvas) {
            guard filled, let fill = style.fill else { return }
            let polys = shape.map { $0.points.map(ctm.apply) }
            canvas.fill(polys, color: fill.color, alpha: fill.alpha * style.fillOpacity * style.opacity, clip: clip,
                        evenOdd: style.evenOdd)
        }
        func doStroke(_ canvas: inout RasterCanvas) {
            guard let stroke = style.stroke, style.strokeStyle.width > 0 else { return }
            let pieces = Stroker.outline(shape, style: style.strokeStyle, tolerance: tolerance)
            canvas.fill(pieces.map { $0.map(ctm.apply) }, color: stroke.color,
                        alpha: stroke.alpha * style.strokeOpacity * style.opacity, clip: clip)
        }
        if style.strokeFirst {
            doStroke(&canvas); doFill(&canvas)
        } else {
            doFill(&canvas); doStroke(&canvas)
        }
    }

    /// A text element: its text (white space collapsed) at its first x, y (plus dx, dy),
    /// aligned by text-anchor, in the regular or bold plot font.
    mutating func drawText(_ node: SVGNode, attrs: [String: String], style: SVGStyle, ctm: Affine, clip: ClipRect) {
        let raw = node.allText.map { $0 == "\n" || $0 == "\t" || $0 == "\r" ? " " : $0 }
        var text = ""
        for ch in raw where !(ch == " " && (text.isEmpty || text.hasSuffix(" "))) { text.append(ch) }
        while text.hasSuffix(" ") { text.removeLast() }
        guard !text.isEmpty else { return }
        let x = (SVGValues.numbers(attrs["x"] ?? "").first ?? 0) + (SVGValues.numbers(attrs["dx"] ?? "").first ?? 0)
        let y = (SVGValues.numbers(attrs["y"] ?? "").first ?? 0) + (SVGValues.numbers(attrs["dy"] ?? "").first ?? 0)
        let font = style.bold ? PlotFont.bold : PlotFont.regular
        let laid = font.layout(text, size: style.fontSize)
        let shift: Double
        switch style.anchor {
        case .start: shift = 0
        case .middle: shift = -laid.width / 2
        case .end: shift = -laid.width
        }
        let placed = ctm.concatenating(.translate(x + shift, y))
        let tol = Self.tolerance / placed.meanScale
        paint(laid.contours.map { Subpath(points: $0, closed: true) }, filled: true, style: style, ctm: placed,
              clip: clip, tolerance: tol)
    }

    /// The device rectangle of a `url(#id)` clip path made of rectangles (or other shapes,
    /// by their bounding box); nil when it cannot be found or holds nothing usable.
    func clipRect(_ ref: String, ctm: Affine) -> ClipRect? {
        let t = ref.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("url(#"), t.hasSuffix(")") else { return nil }
        let id = String(t.dropFirst(5).dropLast())
        guard let node = clipPaths[id] else { return nil }
        let own = node.attributes["transform"].map { ctm.concatenating(SVGValues.transform($0)) } ?? ctm
        var box: ClipRect? = nil
        for child in node.children where !child.name.isEmpty {
            let attrs = SVGStyle.attributes(of: child)
            let m = attrs["transform"].map { own.concatenating(SVGValues.transform($0)) } ?? own
            guard let shape = Self.geometry(child.name, attrs, tolerance: 0.5 / m.meanScale) else { continue }
            for p in shape.flatMap(\.points) {
                let q = m.apply(p)
                guard q.isFinite else { continue }
                if let b = box {
                    box = ClipRect(x0: min(b.x0, q.x), y0: min(b.y0, q.y), x1: max(b.x1, q.x), y1: max(b.y1, q.y))
                } else {
                    box = ClipRect(x0: q.x, y0: q.y, x1: q.x, y1: q.y)
                }
            }
        }
        return box
    }
}
