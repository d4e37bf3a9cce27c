import Foundation

/// How a stroke is drawn: SVG's stroke-width, -linejoin, -linecap, -miterlimit, -dasharray
/// and -dashoffset.
struct StrokeStyle {
    enum Join { case miter, round, bevel }
    enum Cap { case butt, round, square }
    var width: Double = 1
    var join: Join = .miter
    var cap: Cap = .butt
    var miterLimit: Double = 4
    var dashes: [Double] = []
    var dashOffset: Double = 0
}

/// Turns polylines into the polygons that cover their stroke: one quadrilateral per segment,
/// one piece per join and cap, all wound the same way so that a nonzero fill unites them.
enum Stroker {
    /// The most dash pieces one stroke is cut into; beyond it the stroke is drawn solid.
    static let maxDashes = 100_000

    /// Stroke outline of `subpaths`; `tolerance` is the flattening tolerance in user units.
    static func outline(_ subpaths: [Subpath], style: StrokeStyle, tolerance: Double) -> [[Vec2]] {
        let hw = style.width / 2
        guard hw > 0, hw.isFinite else { return [] }
        var pieces: [[Vec2]] = []
        for sp in dashed(subpaths, style) {
            stroke(sp, hw: hw, style: style, tolerance: tolerance, into: &pieces)
        }
        return pieces
    }

    /// The subpaths cut into dashes (open subpaths), or unchanged when there is no usable dash
    /// pattern. An odd-length pattern is repeated, as SVG says.
    static func dashed(_ subpaths: [Subpath], _ style: StrokeStyle) -> [Subpath] {
        var pattern = style.dashes
        guard !pattern.isEmpty, pattern.allSatisfy({ $0 >= 0 && $0.isFinite }) else { return subpaths }
        if pattern.count % 2 == 1 { pattern += pattern }
        let period = pattern.reduce(0, +)
        guard period > 0 else { return subpaths }
        var total = 0.0
        for sp in subpaths {
            let pts = sp.closed && sp.points.count > 1 ? sp.points + [sp.points[0]] : sp.points
            for i in pts.indices.dropFirst() { total += (pts[i] - pts[i - 1]).length }
        }
        guard total.isFinite, total / period * Double(pattern.count) < Double(maxDashes) else { return subpaths }
        var out: [Subpath] = []
        for sp in subpaths {
            let pts = sp.closed && sp.points.count > 1 ? sp.points + [sp.points[0]] : sp.points
            guard pts.count >= 2 else { continue }
            // Position in the pattern at the start of this subpath.
            var offset = style.dashOffset.isFinite ? style.dashOffset.truncatingRemainder(dividingBy: period) : 0
            if offset < 0 { offset += period }
            var index = 0
            while offset >= pattern[index] { offset -= pattern[index]; index = (index + 1) % pattern.count }
            var left = pattern[index] - offset
            var on = index % 2 == 0
            var current: [Vec2] = on ? [pts[0]] : []
            for i in 1..<pts.count {
                var a = pts[i - 1]
                let b = pts[i]
                var segment = (b - a).length
                while segment > left {
                    let p = a + (b - a) * (left / segment)
                    if on {
                        current.append(p)
                        if current.count >= 2 { out.append(Subpath(points: current, closed: false)) }
                        current = []
                    } else {
                        current = [p]
                    }
                    on.toggle()
                    segment -= left
                    a = p
                    index = (index + 1) % pattern.count
                    left = pattern[index]
                }
                left -= segment
                if on { current.append(b) }
            }
            if on, current.count >= 2 { out.append(Subpath(points: current, closed: false)) }
        }
        return out
    }

    static func stroke(_ sp: Subpath, hw: Double, style: StrokeStyle, tolerance: Double, into pieces: inout [[Vec2]]) {
        var pts: [Vec2] = []
        for p in sp.points where p.isFinite {
            if let last = pts.last, (p - last).length < 1e-9 { continue }
            pts.append(p)
        }
        let closed = sp.closed && pts.count >= 3
        if closed, let first = pts.first, let last = pts.last, (first - last).length < 1e-9 { pts.removeLast() }
        guard pts.count >= 2 else {
            // A zero-length subpath shows as a dot with round or square caps.
            if let p = pts.first {
                if style.cap == .round { add(Curves.ellipse(center: p, rx: hw, ry: hw, tolerance: tolerance), to: &pieces) }
                if style.cap == .square {
                    add([Vec2(x: p.x - hw, y: p.y - hw), Vec2(x: p.x + hw, y: p.y - hw),
                         Vec2(x: p.x + hw, y: p.y + hw), Vec2(x: p.x - hw, y: p.y + hw)], to: &pieces)
                }
            }
            return
        }
        let n = pts.count
        let segmentCount = closed ? n : n - 1
        for i in 0..<segmentCount {
            let a = pts[i], b = pts[(i + 1) % n]
            let d = direction(a, b)
            let nrm = Vec2(x: -d.y, y: d.x) * hw
            add([a + nrm, b + nrm, b - nrm, a - nrm], to: &pieces)
        }
        let joins = closed ? Array(0..<n) : Array(1..<(n - 1))
        for i in joins {
            let p = pts[i], prev = pts[(i + n - 1) % n], next = pts[(i + 1) % n]
            join(at: p, d0: direction(prev, p), d1: direction(p, next), hw: hw, style: style,
                 tolerance: tolerance, into: &pieces)
        }
        if !closed {
            cap(at: pts[0], direction: direction(pts[1], pts[0]), hw: hw, style: style, tolerance: tolerance, into: &pieces)
            cap(at: pts[n - 1], direction: direction(pts[n - 2], pts[n - 1]), hw: hw, style: style, tolerance: tolerance, into: &pieces)
        }
    }

    static func direction(_ a: Vec2, _ b: Vec2) -> Vec2 {
        let d = b - a, l = d.length
        return l > 0 ? d * (1 / l) : Vec2(x: 1, y: 0)
    }

    static func join(at p: Vec2, d0: Vec2, d1: Vec2, hw: Double, style: StrokeStyle, tolerance: Double,
                     into pieces: inout [[Vec2]]) {
        let cross = d0.x * d1.y - d0.y * d1.x
        let dot = d0.x * d1.x + d0.y * d1.y
        guard abs(cross) > 1e-9 || dot < 0 else { return }
        let side: Double = cross > 0 ? -1 : 1
        let n0 = Vec2(x: -d0.y, y: d0.x) * (hw * side), n1 = Vec2(x: -d1.y, y: d1.x) * (hw * side)
        let cosHalf = ((1 + dot) / 2).squareRoot()     // cos of half the turn
        switch style.join {
        case .round:
            // A bevel is indistinguishable from the round join when the turn is slight.
            if hw * (1 - cosHalf) < tolerance {
                add([p, p + n0, p + n1], to: &pieces)
            } else {
                add(Curves.ellipse(center: p, rx: hw, ry: hw, tolerance: tolerance), to: &pieces)
            }
        case .miter:
            let sum = n0 + n1, l = sum.length
            if cosHalf > 1e-9, 1 / cosHalf <= style.miterLimit, l > 0 {
                let tip = p + sum * (hw / cosHalf / l)
                add([p, p + n0, tip, p + n1], to: &pieces)
            } else {
                add([p, p + n0, p + n1], to: &pieces)
            }
        case .bevel:
            add([p, p + n0, p + n1], to: &pieces)
        }
    }

    /// A cap at `p`, the end of a stroke running in `direction`.
    static func cap(at p: Vec2, direction d: Vec2, hw: Double, style: StrokeStyle, tolerance: Double,
                    into pieces: inout [[Vec2]]) {
        switch style.cap {
        case .butt: return
        case .round: add(Curves.ellipse(center: p, rx: hw, ry: hw, tolerance: tolerance), to: &pieces)
        case .square:
            let nrm = Vec2(x: -d.y, y: d.x) * hw, ext = d * hw
            add([p + nrm, p + nrm + ext, p - nrm + ext, p - nrm], to: &pieces)
        }
    }

    /// Appends `poly` wound with positive signed area, so that every piece adds to the winding.
    static func add(_ poly: [Vec2], to pieces: inout [[Vec2]]) {
        guard poly.count >= 3 else { return }
        var area = 0.0
        for i in poly.indices {
            let a = poly[i], b = poly[(i + 1) % poly.count]
            area += a.x * b.y - b.x * a.y
        }
        guard area != 0, area.isFinite else { return }
        pieces.append(area > 0 ? poly : poly.reversed())
    }
}
