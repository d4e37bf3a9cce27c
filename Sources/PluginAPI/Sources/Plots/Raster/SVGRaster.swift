import Foundation
import Formats

/// Renders the SVG documents the plots write into images, with no outside renderer.
public enum SVGRaster {
    /// The largest image `image(svg:scale:)` makes, in pixels.
    static let maxPixels = 40_000_000
    /// The largest width or height, in pixels.
    static let maxSide = 20_000

    /// Renders `svg` into an RGB image on white, `scale` pixels per SVG pixel (2 gives sharp
    /// figures in documents). Understands the subset our plots use: rect (with rx), circle,
    /// ellipse, line, polyline, polygon and path (curves flattened, arcs as lines); fill and
    /// stroke colours (#rgb, #rrggbb, rgb(), named), their opacities, widths, joins, caps and
    /// dashes; g with inherited attributes, transforms and rectangular clip paths; and text in
    /// an embedded DejaVu Sans Condensed (regular and bold) with text-anchor, font-size, rotation and
    /// paint-order. Other elements are skipped, and bad values are ignored, never fatal.
    /// Throws when there is no `svg` element with a usable size, or when the image would be
    /// larger than 40 megapixels or 20,000 pixels on a side.
    public static func image(svg: String, scale: Double = 2) throws -> Image {
        func bad(_ what: String) -> PluginError {
            .invalidInput("cannot rasterise the SVG: \(what)", hint: "plots write SVG with a width and height in pixels")
        }
        guard scale.isFinite, scale > 0 else { throw bad("the scale \(scale) is not a positive number") }
        let document = SVGReader.parse(svg)
        guard let root = document.children.first(where: { !$0.name.isEmpty }), root.name == "svg" else {
            throw bad("no svg element")
        }
        let viewBox = SVGValues.numbers(root.attributes["viewBox"] ?? "")
        let hasViewBox = viewBox.count == 4 && viewBox[2] > 0 && viewBox[3] > 0
        func size(_ key: String, _ fallback: Int) -> Double? {
            guard let s = root.attributes[key], !s.contains("%"), let v = SVGValues.length(s), v > 0 else {
                return hasViewBox ? viewBox[fallback] : nil
            }
            return v
        }
        guard let width = size("width", 2), let height = size("height", 3) else { throw bad("no width and height") }
        let w = (width * scale).rounded(.up), h = (height * scale).rounded(.up)
        guard w >= 1, h >= 1, w <= Double(maxSide), h <= Double(maxSide), w * h <= Double(maxPixels) else {
            throw bad("\(svgNum(w)) x \(svgNum(h)) pixels is more than the rasteriser makes")
        }
        var base = Affine.scale(scale, scale)
        if hasViewBox {
            var sx = width / viewBox[2], sy = height / viewBox[3]
            var tx = 0.0, ty = 0.0
            if root.attributes["preserveAspectRatio"]?.trimmingCharacters(in: .whitespaces) != "none" {
                let s = min(sx, sy)
                tx = (width - viewBox[2] * s) / 2; ty = (height - viewBox[3] * s) / 2
                sx = s; sy = s
            }
            base = base.concatenating(Affine(a: sx, d: sy, e: tx - viewBox[0] * sx, f: ty - viewBox[1] * sy))
        }
        var renderer = SVGRenderer(canvas: RasterCanvas(width: Int(w), height: Int(h)), document: document)
        let style = SVGStyle().applying(SVGStyle.attributes(of: root))
        renderer.renderChildren(of: root, style: style, ctm: base, clip: renderer.canvas.bounds)
        return Image(width: Int(w), height: Int(h), channels: 3, pixels: renderer.canvas.pixels)
    }
}
