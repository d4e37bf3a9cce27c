import Foundation

/// Contour lines and filled bands of a scalar field sampled on a regular grid, by marching
/// squares. Results are in grid coordinates: (column, row), with values[row][col].
/// Cells with a non-finite corner are skipped.
enum MarchingSquares {
    typealias Point = (x: Double, y: Double)

    /// Polylines along which the (piecewise linear) field equals `level`. Saddle cells are
    /// resolved with the cell's mean value. Pieces sharing an edge crossing are joined.
    static func lines(_ values: [[Double]], level: Double) -> [[Point]] {
        let rows = values.count, cols = values.map(\.count).min() ?? 0
        guard rows >= 2, cols >= 2 else { return [] }
        // Edge ids: horizontal edge right of (r, c) is 2k, vertical edge above (r, c) is 2k+1, k = r*cols+c.
        func edgePoint(_ id: Int) -> Point {
            let k = id / 2, r = k / cols, c = k % cols
            let v0 = values[r][c]
            let v1 = id % 2 == 0 ? values[r][c + 1] : values[r + 1][c]
            let t = v1 == v0 ? 0.5 : (level - v0) / (v1 - v0)
            return id % 2 == 0 ? (Double(c) + t, Double(r)) : (Double(c), Double(r) + t)
        }
        var segments: [(Int, Int)] = []
        for r in 0..<(rows - 1) {
            for c in 0..<(cols - 1) {
                let v = [values[r][c], values[r][c + 1], values[r + 1][c + 1], values[r + 1][c]]  // bl br tr tl
                guard v.allSatisfy(\.isFinite) else { continue }
                let inside = v.map { $0 >= level }
                // Edge k joins corner k and k+1: bottom, right, top, left.
                let edges = [2 * (r * cols + c), 2 * (r * cols + c + 1) + 1, 2 * ((r + 1) * cols + c), 2 * (r * cols + c) + 1]
                let crossed = (0..<4).filter { inside[$0] != inside[($0 + 1) % 4] }
                if crossed.count == 2 {
                    segments.append((edges[crossed[0]], edges[crossed[1]]))
                } else if crossed.count == 4 {
                    let centerIn = (v.reduce(0, +) / 4) >= level
                    // Cut off the corners not connected through the centre; corner k lies between edges k-1 and k.
                    for k in 0..<4 where inside[k] != centerIn {
                        segments.append((edges[(k + 3) % 4], edges[k]))
                    }
                }
            }
        }
        return join(segments).map { $0.map(edgePoint) }
    }

    /// Chains segments (pairs of edge ids) into polylines of edge ids; open chains first.
    static func join(_ segments: [(Int, Int)]) -> [[Int]] {
        var byEdge: [Int: [Int]] = [:]
        for (i, s) in segments.enumerated() { byEdge[s.0, default: []].append(i); byEdge[s.1, default: []].append(i) }
        var used = [Bool](repeating: false, count: segments.count)
        var out: [[Int]] = []
        func walk(from start: Int, edge: Int) {
            var chain = [edge], seg = start, cur = edge
            while true {
                used[seg] = true
                let s = segments[seg]
                cur = s.0 == cur ? s.1 : s.0
                chain.append(cur)
                guard let next = byEdge[cur]?.first(where: { !used[$0] }) else { break }
                seg = next
            }
            out.append(chain)
        }
        for (i, s) in segments.enumerated() where !used[i] {
            if byEdge[s.0]!.count == 1 { walk(from: i, edge: s.0) } else if byEdge[s.1]!.count == 1 { walk(from: i, edge: s.1) }
        }
        for (i, s) in segments.enumerated() where !used[i] { walk(from: i, edge: s.0) }
        return out
    }

    /// Polygons covering the region where lo <= value <= hi (each cell clipped linearly
    /// along its edges). Runs of whole cells in a row are merged into one rectangle.
    static func band(_ values: [[Double]], lo: Double, hi: Double) -> [[Point]] {
        let rows = values.count, cols = values.map(\.count).min() ?? 0
        guard rows >= 2, cols >= 2 else { return [] }
        var out: [[Point]] = []
        for r in 0..<(rows - 1) {
            var runStart: Int? = nil
            func closeRun(_ end: Int) {
                if let s = runStart {
                    let (x0, x1, y0, y1) = (Double(s), Double(end), Double(r), Double(r + 1))
                    out.append([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
                }
                runStart = nil
            }
            for c in 0..<(cols - 1) {
                let q: [(Double, Double, Double)] = [
                    (Double(c), Double(r), values[r][c]), (Double(c + 1), Double(r), values[r][c + 1]),
                    (Double(c + 1), Double(r + 1), values[r + 1][c + 1]), (Double(c), Double(r + 1), values[r + 1][c]),
                ]
                guard q.allSatisfy({ $0.2.isFinite }) else { closeRun(c); continue }
                if q.allSatisfy({ $0.2 >= lo && $0.2 <= hi }) {
                    if runStart == nil { runStart = c }
                    continue
                }
                closeRun(c)
                let poly = clip(clip(q, level: lo, keepAbove: true), level: hi, keepAbove: false)
                if poly.count >= 3 { out.append(poly.map { ($0.0, $0.1) }) }
            }
            closeRun(cols - 1)
        }
        return out
    }

    /// Sutherland–Hodgman clip of a polygon with per-vertex values against value >= level
    /// (or <= level), interpolating linearly along edges.
    static func clip(_ poly: [(Double, Double, Double)], level: Double, keepAbove: Bool) -> [(Double, Double, Double)] {
        guard !poly.isEmpty else { return [] }
        func inside(_ p: (Double, Double, Double)) -> Bool { keepAbove ? p.2 >= level : p.2 <= level }
        var out: [(Double, Double, Double)] = []
        for i in poly.indices {
            let p = poly[i], q = poly[(i + 1) % poly.count]
            let pin = inside(p), qin = inside(q)
            if pin { out.append(p) }
            if pin != qin {
                let t = (level - p.2) / (q.2 - p.2)
                out.append((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1), level))
            }
        }
        return out
    }
}
