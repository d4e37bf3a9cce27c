import Foundation

// Points, affine transforms and the flattening of curves into polygons, shared by the SVG
// reader, the stroker, the font and the canvas of the plot rasteriser.

/// A point or vector in user or device space (y grows downwards).
struct Vec2: Equatable {
    var x: Double
    var y: Double

    static func + (a: Vec2, b: Vec2) -> Vec2 { Vec2(x: a.x + b.x, y: a.y + b.y) }
    static func - (a: Vec2, b: Vec2) -> Vec2 { Vec2(x: a.x - b.x, y: a.y - b.y) }
    static func * (a: Vec2, k: Double) -> Vec2 { Vec2(x: a.x * k, y: a.y * k) }
    var length: Double { (x * x + y * y).squareRoot() }
    var isFinite: Bool { x.isFinite && y.isFinite }
}

/// The SVG matrix(a b c d e f): x' = a x + c y + e, y' = b x + d y + f.
struct Affine: Equatable {
    var a = 1.0, b = 0.0, c = 0.0, d = 1.0, e = 0.0, f = 0.0

    static let identity = Affine()

    static func translate(_ x: Double, _ y: Double) -> Affine { Affine(e: x, f: y) }
    static func scale(_ x: Double, _ y: Double) -> Affine { Affine(a: x, d: y) }
    /// Rotation by `degrees` (clockwise on screen, as SVG's rotate) about the origin.
    static func rotate(_ degrees: Double) -> Affine {
        let r = degrees * Double.pi / 180
        return Affine(a: cos(r), b: sin(r), c: -sin(r), d: cos(r))
    }

    /// `self` applied after `inner` (SVG's `transform` composes parent * child).
    func concatenating(_ inner: Affine) -> Affine {
        Affine(a: a * inner.a + c * inner.b, b: b * inner.a + d * inner.b,
               c: a * inner.c + c * inner.d, d: b * inner.c + d * inner.d,
               e: a * inner.e + c * inner.f + e, f: b * inner.e + d * inner.f + f)
    }

    func apply(_ p: Vec2) -> Vec2 { Vec2(x: a * p.x + c * p.y + e, y: b * p.x + d * p.y + f) }

    /// How many device units one user unit is, on average (the square root of the determinant).
    var meanScale: Double {
        let s = abs(a * d - b * c).squareRoot()
        return s.isFinite && s > 0 ? s : 1
    }

    /// True when the transform keeps axis-aligned rectangles axis-aligned.
    var isAxisAligned: Bool { abs(b) < 1e-12 && abs(c) < 1e-12 }
}

/// An axis-aligned rectangle in device pixels, used for clipping.
struct ClipRect: Equatable {
    var x0: Double, y0: Double, x1: Double, y1: Double

    func intersection(_ o: ClipRect) -> ClipRect {
        ClipRect(x0: max(x0, o.x0), y0: max(y0, o.y0), x1: min(x1, o.x1), y1: min(y1, o.y1))
    }

    var isEmpty: Bool { !(x1 > x0 && y1 > y0) }
}

/// A polyline in user space; `closed` joins its last point to its first.
struct Subpath {
    var points: [Vec2]
    var closed: Bool
}

enum Curves {
    /// The most segments one curve or circle is cut into.
    static let maxSegments = 256

    /// Points on a circle (or ellipse with radii rx, ry) about `center`, enough that the
    /// chords stay within `tolerance` of the curve; empty for a non-positive or bad radius.
    static func ellipse(center: Vec2, rx: Double, ry: Double, tolerance: Double) -> [Vec2] {
        guard center.isFinite, rx.isFinite, ry.isFinite, rx > 0, ry > 0 else { return [] }
        let n = segments(radius: max(rx, ry), angle: 2 * Double.pi, tolerance: tolerance)
        // Vertices slightly outside the curve, so that the polygon's area is the ellipse's.
        let k = (2 * Double.pi / (Double(n) * sin(2 * Double.pi / Double(n)))).squareRoot()
        return (0..<n).map { i in
            let t = 2 * Double.pi * Double(i) / Double(n)
            return Vec2(x: center.x + k * rx * cos(t), y: center.y + k * ry * sin(t))
        }
    }

    /// Segments needed for an arc of `radius` over `angle` radians within `tolerance`.
    static func segments(radius: Double, angle: Double, tolerance: Double) -> Int {
        let tol = tolerance > 0 && tolerance.isFinite ? tolerance : 0.1
        guard radius > tol else { return max(3, Int((angle / (Double.pi / 2)).rounded(.up))) }
        let step = 2 * acos(max(-1, min(1, 1 - tol / radius)))
        guard step > 0, step.isFinite else { return maxSegments }
        let n = (abs(angle) / step).rounded(.up)
        return Int(min(Double(maxSegments), max(4, n.isFinite ? n : Double(maxSegments))))
    }

    /// The points after `p0` of a quadratic Bézier curve to `p2` with control point `p1`.
    static func quadratic(_ p0: Vec2, _ p1: Vec2, _ p2: Vec2, tolerance: Double) -> [Vec2] {
        let dd = (p0 - p1 * 2 + p2).length / 4
        let n = curveSegments(dd, tolerance)
        return (1...n).map { i in
            let t = Double(i) / Double(n), u = 1 - t
            return p0 * (u * u) + p1 * (2 * u * t) + p2 * (t * t)
        }
    }

    /// The points after `p0` of a cubic Bézier curve to `p3`.
    static func cubic(_ p0: Vec2, _ p1: Vec2, _ p2: Vec2, _ p3: Vec2, tolerance: Double) -> [Vec2] {
        let dd = max((p0 - p1 * 2 + p2).length, (p1 - p2 * 2 + p3).length) * 0.75
        let n = curveSegments(dd, tolerance)
        return (1...n).map { i in
            let t = Double(i) / Double(n), u = 1 - t
            return p0 * (u * u * u) + p1 * (3 * u * u * t) + p2 * (3 * u * t * t) + p3 * (t * t * t)
        }
    }

    /// Segments for a curve whose control polygon deviates by `deviation` (error ~ dev / n²).
    static func curveSegments(_ deviation: Double, _ tolerance: Double) -> Int {
        let tol = tolerance > 0 && tolerance.isFinite ? tolerance : 0.1
        let n = (deviation / tol).squareRoot().rounded(.up)
        guard n.isFinite else { return 1 }
        return Int(min(Double(maxSegments), max(1, n)))
    }

    /// A rectangle with corners rounded by rx, ry (already clamped to half the sides).
    static func roundedRect(x: Double, y: Double, w: Double, h: Double, rx: Double, ry: Double,
                            tolerance: Double) -> [Vec2] {
        guard rx > 0, ry > 0 else {
            return [Vec2(x: x, y: y), Vec2(x: x + w, y: y), Vec2(x: x + w, y: y + h), Vec2(x: x, y: y + h)]
        }
        let n = max(2, segments(radius: max(rx, ry), angle: Double.pi / 2, tolerance: tolerance))
        var out: [Vec2] = []
        // Corner centres clockwise from the top-right, each swept over a quarter turn.
        let corners = [(x + w - rx, y + ry, -Double.pi / 2), (x + w - rx, y + h - ry, 0.0),
                       (x + rx, y + h - ry, Double.pi / 2), (x + rx, y + ry, Double.pi)]
        for (cx, cy, start) in corners {
            for i in 0...n {
                let t = start + Double.pi / 2 * Double(i) / Double(n)
                out.append(Vec2(x: cx + rx * cos(t), y: cy + ry * sin(t)))
            }
        }
        return out
    }
}
