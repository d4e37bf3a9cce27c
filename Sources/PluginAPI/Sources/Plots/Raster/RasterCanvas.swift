import Foundation

/// An opaque RGB colour, 0...255 per channel.
struct RGB: Equatable {
    var r: Double, g: Double, b: Double
    static let black = RGB(r: 0, g: 0, b: 0)
    static let white = RGB(r: 255, g: 255, b: 255)
}

/// An RGB pixel buffer that fills polygons with anti-aliased edges.
///
/// A fill is a scanline pass over the polygons' edges with the nonzero (or even-odd) rule:
/// each pixel row is sampled on `subsamples` horizontal lines; on each line the inside spans
/// are found exactly and each pixel gets the exact fraction of its width they cover. So
/// overlapping pieces of one shape (the segments and joins of a stroke, the glyphs of a text,
/// the cells of a contour band) are united without seams or doubled edges, horizontal
/// coverage is exact, and vertical coverage has `subsamples` levels.
struct RasterCanvas {
    let width: Int
    let height: Int
    /// Row-major RGB bytes.
    var pixels: [UInt8]
    static let subsamples = 16

    /// Per-row coverage work space: partial coverage per pixel and the running full-coverage
    /// deltas, both `width + 2` long, zero outside a fill.
    private var area: [Float]
    private var delta: [Float]

    init(width: Int, height: Int, background: RGB = .white) {
        self.width = max(0, width)
        self.height = max(0, height)
        pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
        for i in 0..<(self.width * self.height) {
            pixels[3 * i] = UInt8(background.r); pixels[3 * i + 1] = UInt8(background.g); pixels[3 * i + 2] = UInt8(background.b)
        }
        area = [Float](repeating: 0, count: self.width + 2)
        delta = [Float](repeating: 0, count: self.width + 2)
    }

    /// The whole canvas as a clip rectangle.
    var bounds: ClipRect { ClipRect(x0: 0, y0: 0, x1: Double(width), y1: Double(height)) }

    /// One polygon edge, stored top to bottom; `winding` is +1 when it ran downwards.
    private struct Edge {
        var x0: Double, y0: Double, y1: Double, slope: Double, winding: Int
    }

    /// Device coordinates are kept within this magnitude so that no arithmetic overflows.
    static let coordinateLimit = 1e7

    /// Fills the union of `polygons` (device pixels, each implicitly closed) with `color`
    /// at `alpha` (0...1), inside `clip`. Non-finite points drop their polygon.
    mutating func fill(_ polygons: [[Vec2]], color: RGB, alpha: Double, clip: ClipRect, evenOdd: Bool = false) {
        guard alpha > 0, alpha.isFinite else { return }
        let box = clip.intersection(bounds)
        guard !box.isEmpty else { return }
        var edges: [Edge] = []
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        let limit = Self.coordinateLimit
        for poly in polygons where poly.count >= 2 && poly.allSatisfy(\.isFinite) {
            let pts = poly.map { Vec2(x: min(limit, max(-limit, $0.x)), y: min(limit, max(-limit, $0.y))) }
            for i in pts.indices {
                let p = pts[i], q = pts[(i + 1) % pts.count]
                minX = min(minX, p.x); maxX = max(maxX, p.x)
                guard p.y != q.y else { continue }
                let (top, bottom, winding) = p.y < q.y ? (p, q, 1) : (q, p, -1)
                edges.append(Edge(x0: top.x, y0: top.y, y1: bottom.y,
                                  slope: (bottom.x - top.x) / (bottom.y - top.y), winding: winding))
                minY = min(minY, top.y); maxY = max(maxY, bottom.y)
            }
        }
        guard !edges.isEmpty else { return }
        let x0 = max(box.x0, minX), x1 = min(box.x1, maxX)
        let rowStart = Int(max(box.y0, minY).rounded(.down)), rowEnd = Int(min(box.y1, maxY).rounded(.up))
        guard x1 > x0, rowEnd > rowStart else { return }
        edges.sort { $0.y0 < $1.y0 }
        var active: [Int] = []
        var crossings: [(x: Double, winding: Int)] = []
        var next = 0
        let s = Self.subsamples
        let weight = Float(1) / Float(s)
        let src = (Float(color.r), Float(color.g), Float(color.b))
        let a = Float(min(1, alpha))
        for row in rowStart..<rowEnd {
            var touchedLo = Int.max, touchedHi = Int.min
            for k in 0..<s {
                let sy = Double(row) + (Double(k) + 0.5) / Double(s)
                guard sy >= box.y0, sy < box.y1 else { continue }
                while next < edges.count, edges[next].y0 <= sy { active.append(next); next += 1 }
                active.removeAll { edges[$0].y1 <= sy }
                guard active.count >= 2 else { continue }
                crossings.removeAll(keepingCapacity: true)
                for i in active {
                    let e = edges[i]
                    crossings.append((e.x0 + (sy - e.y0) * e.slope, e.winding))
                }
                crossings.sort { $0.x < $1.x }
                var w = 0
                var start = 0.0
                for c in crossings {
                    let before = w
                    w += c.winding
                    let insideBefore = evenOdd ? before & 1 != 0 : before != 0
                    let insideAfter = evenOdd ? w & 1 != 0 : w != 0
                    if !insideBefore && insideAfter { start = c.x }
                    if insideBefore && !insideAfter {
                        addSpan(max(start, x0), min(c.x, x1), weight: weight, lo: &touchedLo, hi: &touchedHi)
                    }
                }
            }
            if touchedLo <= touchedHi { compositeRow(row, from: touchedLo, to: touchedHi, color: src, alpha: a) }
        }
    }

    /// Adds one subsample line's coverage of [xa, xb) to the row work space.
    private mutating func addSpan(_ xa: Double, _ xb: Double, weight: Float, lo: inout Int, hi: inout Int) {
        guard xb > xa else { return }
        let ia = Int(xa.rounded(.down)), ib = Int(xb.rounded(.down))
        guard ia >= 0, ib <= width else { return }
        if ia == ib {
            area[ia] += Float(xb - xa) * weight
        } else {
            area[ia] += Float(Double(ia + 1) - xa) * weight
            delta[ia + 1] += weight
            delta[ib] -= weight
            area[ib] += Float(xb - Double(ib)) * weight
        }
        lo = min(lo, ia); hi = max(hi, ib)
    }

    /// Blends the accumulated coverage of one row into the pixels and clears the work space.
    private mutating func compositeRow(_ row: Int, from lo: Int, to hi: Int, color: (Float, Float, Float), alpha: Float) {
        var running: Float = 0
        for x in lo...hi {
            running += delta[x]
            let coverage = min(1, running + area[x])
            area[x] = 0; delta[x] = 0
            guard x < width, coverage > 0.002 else { continue }
            let t = coverage * alpha
            let i = (row * width + x) * 3
            pixels[i] = blend(pixels[i], color.0, t)
            pixels[i + 1] = blend(pixels[i + 1], color.1, t)
            pixels[i + 2] = blend(pixels[i + 2], color.2, t)
        }
    }

    @inline(__always)
    private func blend(_ dst: UInt8, _ src: Float, _ t: Float) -> UInt8 {
        let d = Float(dst)
        return UInt8(max(0, min(255, (d + (src - d) * t).rounded())))
    }
}
