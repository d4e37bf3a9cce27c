import Foundation

/// The outline font the rasteriser writes text with (DejaVu Sans Condensed, regular and
/// bold, see PlotFontData.swift): glyph outlines flattened into polygons once, laid out with
/// their advance widths, and scaled to any size, so text stays sharp at every scale and angle.
final class PlotFont: @unchecked Sendable {
    struct Glyph {
        /// Advance width in font units.
        var advance: Double
        /// Closed contours in font units, y up; TrueType winding (nonzero fill).
        var contours: [[Vec2]]
        var minX = 0.0, maxX = 0.0, maxY = 0.0
    }

    let glyphs: [UInt32: Glyph]
    let unitsPerEm = PlotFontData.unitsPerEm

    static let regular = PlotFont(PlotFontData.regular)
    static let bold = PlotFont(PlotFontData.bold)

    /// Flattening tolerance of the outlines in font units (1/500 em).
    static let tolerance = 4.0

    init(_ data: String) {
        var table: [UInt32: Glyph] = [:]
        for line in data.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, let code = UInt32(fields[0], radix: 16), let advance = Double(fields[1]) else { continue }
            var glyph = Glyph(advance: advance, contours: fields.count > 2 ? Self.contours(fields[2]) : [])
            let points = glyph.contours.joined()
            glyph.minX = points.map(\.x).min() ?? 0
            glyph.maxX = points.map(\.x).max() ?? 0
            glyph.maxY = points.map(\.y).max() ?? 0
            table[code] = glyph
        }
        glyphs = table
    }

    /// Parses "M dx,dy L dx,dy Q dx,dy,dx,dy Z" (every number relative to the previous point).
    static func contours(_ outline: Substring) -> [[Vec2]] {
        var result: [[Vec2]] = []
        var current: [Vec2] = []
        var pen = Vec2(x: 0, y: 0)
        var command: Character = "M"
        var numbers: [Double] = []
        func finish() {
            switch command {
            case "M":
                if current.count >= 3 { result.append(current) }
                if numbers.count == 2 { pen = pen + Vec2(x: numbers[0], y: numbers[1]) }
                current = [pen]
            case "L":
                if numbers.count == 2 { pen = pen + Vec2(x: numbers[0], y: numbers[1]); current.append(pen) }
            case "Q":
                if numbers.count == 4 {
                    let c = pen + Vec2(x: numbers[0], y: numbers[1])
                    let end = c + Vec2(x: numbers[2], y: numbers[3])
                    current += Curves.quadratic(pen, c, end, tolerance: tolerance)
                    pen = end
                }
            default:
                if current.count >= 3 { result.append(current) }
                current = []
            }
            numbers = []
        }
        // A small scanner: a command letter, then comma-separated integers.
        var token = ""
        for ch in outline {
            if "MLQZ".contains(ch) {
                if !token.isEmpty { numbers.append(Double(token) ?? 0); token = "" }
                finish()
                command = ch
            } else if ch == "," {
                numbers.append(Double(token) ?? 0); token = ""
            } else {
                token.append(ch)
            }
        }
        if !token.isEmpty { numbers.append(Double(token) ?? 0) }
        finish()
        if current.count >= 3 { result.append(current) }
        return result
    }

    /// The glyph for `scalar`, or for "?" when the font has none.
    func glyph(_ scalar: Unicode.Scalar) -> Glyph? {
        glyphs[scalar.value] ?? glyphs[63]
    }

    /// True for combining marks, which are drawn over the character before them.
    static func isCombining(_ scalar: Unicode.Scalar) -> Bool {
        (0x300...0x36F).contains(scalar.value)
    }

    /// The outlines of `text` at `size` pixels per em, starting at the origin on the baseline
    /// (y grows downwards), and the advance width in pixels.
    func layout(_ text: String, size: Double) -> (contours: [[Vec2]], width: Double) {
        let k = size / unitsPerEm
        var contours: [[Vec2]] = []
        var pen = 0.0
        var base: (pen: Double, glyph: Glyph)? = nil
        for scalar in text.unicodeScalars {
            if Self.isCombining(scalar) {
                // Centre the mark over the previous glyph and lift it above a tall one.
                guard let (basePen, baseGlyph) = base, let mark = glyphs[scalar.value] else { continue }
                let dx = basePen + baseGlyph.advance / 2 - (mark.minX + mark.maxX) / 2
                let markBottom = mark.contours.joined().map(\.y).min() ?? 0
                let dy = max(0, baseGlyph.maxY + 100 - markBottom)
                for c in mark.contours {
                    contours.append(c.map { Vec2(x: ($0.x + dx) * k, y: -($0.y + dy) * k) })
                }
                continue
            }
            guard let g = glyph(scalar) else { continue }
            for c in g.contours {
                contours.append(c.map { Vec2(x: ($0.x + pen) * k, y: -$0.y * k) })
            }
            base = (pen, g)
            pen += g.advance
        }
        return (contours, pen * k)
    }
}
