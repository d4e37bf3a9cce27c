/// The transforms of `WinogradConv`: input tiles (Bᵀ d B), output tiles (Aᵀ M A) and the
/// output gradient (A dy Aᵀ), eight tiles of a row at a time in SIMD lanes; the kernels
/// (G g Gᵀ) and the kernel gradient (Gᵀ dU G) one at a time. Transformed tiles are written
/// where `TileLayout` says, which is where the products read them.
extension WinogradConv {
    typealias V8 = SIMD8<Float>

    /// Runs body(plane) for planes 0..<count on the worker pool, each with its own zeroed
    /// scratch of the plan's padded size.
    static func forEachPlane(_ plan: Plan, count: Int, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let scratchCount = plan.scratchHeight * plan.scratchWidth
        let run = { (range: Range<Int>) in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            scratch.initialize(repeating: 0, count: scratchCount)
            for plane in range { body(plane, scratch) }
        }
        WorkerPool.shared.parallelRanges(count, grain: Swift.max(1, Swift.min(16, count / 8)), run)
    }

    /// Copies an h x w plane into the scratch with `padding` zero rows and columns before it;
    /// the rest of the scratch is zero (only the plane's rectangle is ever written).
    @inline(__always)
    static func copyPadded(_ plan: Plan, _ src: UnsafePointer<Float>, h: Int, w: Int, padding: Int, into scratch: UnsafeMutablePointer<Float>) {
        let width = plan.scratchWidth
        for y in 0..<Swift.min(h, plan.scratchHeight - padding) {
            let count = Swift.min(w, width - padding)
            (scratch + (y + padding) * width + padding).update(from: src + y * w, count: count)
        }
    }

    /// Calls body(channel, origin, tile, lanes) for every run of up to eight tiles along a tile
    /// row, over the `channels` planes (h x w) of images first..<first+count. Each plane is
    /// first copied with `padding` zeros into a scratch of the plan's padded size; origin is
    /// the run's top-left pixel there (rows `plan.scratchWidth` apart) and tile the run's
    /// first index, counting the tiles of the group row by row.
    static func forEachTileRun(_ plan: Plan, _ source: UnsafePointer<Float>, channels: Int, h: Int, w: Int, padding: Int,
                               first: Int, count: Int, _ body: (Int, UnsafePointer<Float>, Int, Int) -> Void) {
        let (tilesW, tilesPerImage, width) = (plan.tilesW, plan.tilesPerImage, plan.scratchWidth)
        forEachPlane(plan, count: count * channels) { plane, scratch in
            let (img, channel) = (plane / channels, plane % channels)
            copyPadded(plan, source + ((first + img) * channels + channel) * h * w, h: h, w: w, padding: padding, into: scratch)
            for ty in 0..<plan.tilesH {
                for tx in stride(from: 0, to: tilesW, by: 8) {
                    body(channel, scratch + 2 * ty * width + 2 * tx, img * tilesPerImage + ty * tilesW + tx, Swift.min(8, tilesW - tx))
                }
            }
        }
    }

    /// V[ξ][c][t] = (Bᵀ d B)_ξ for each 4 x 4 input tile d, eight tiles of a row at a time:
    /// a 16-float load splits into the tiles' even and odd columns.
    static func transformInput(_ plan: Plan, _ x: UnsafePointer<Float>, first: Int, count: Int, into v: UnsafeMutablePointer<Float>,
                               layout: TileLayout) {
        let width = plan.scratchWidth
        forEachTileRun(plan, x, channels: plan.channelsIn, h: plan.inH, w: plan.inW, padding: plan.padding,
                       first: first, count: count) { ch, origin, tile, lanes in
            // Each input row's columns 0..3 for eight tiles, transformed across (d B).
            @inline(__always) func row(_ r: Int) -> (V8, V8, V8, V8) {
                let p = UnsafeRawPointer(origin + r * width)
                let a = p.loadUnaligned(as: SIMD16<Float>.self), b = p.loadUnaligned(fromByteOffset: 8, as: SIMD16<Float>.self)
                let (d0, d1, d2, d3) = (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
            }
            let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
            // Then down (Bᵀ ·), column k of the four rows giving ξ = 4 r + k.
            @inline(__always) func down(_ k: Int, _ d0: V8, _ d1: V8, _ d2: V8, _ d3: V8) {
                layout.store(d0 - d2, into: v, k, channel: ch, tile: tile, lanes: lanes)
                layout.store(d1 + d2, into: v, 4 + k, channel: ch, tile: tile, lanes: lanes)
                layout.store(d2 - d1, into: v, 8 + k, channel: ch, tile: tile, lanes: lanes)
                layout.store(d1 - d3, into: v, 12 + k, channel: ch, tile: tile, lanes: lanes)
            }
            down(0, r0.0, r1.0, r2.0, r3.0)
            down(1, r0.1, r1.1, r2.1, r3.1)
            down(2, r0.2, r1.2, r2.2, r3.2)
            down(3, r0.3, r1.3, r2.3, r3.3)
        }
    }

    /// out[y, x] = (Aᵀ M A) for each tile, plus the channel's bias, clipped to the plane.
    /// M is [ξ][channel][rowLength], as `multiplyTiles` writes it.
    static func transformOutput(_ plan: Plan, _ m: UnsafePointer<Float>, rowLength: Int, bias: UnsafePointer<Float>?, first: Int,
                                count: Int, into out: UnsafeMutablePointer<Float>) {
        let (oc, tilesW, tilesPerImage, outH, outW) = (plan.channelsOut, plan.tilesW, plan.tilesPerImage, plan.outH, plan.outW)
        let stride = oc * rowLength
        WorkerPool.shared.parallelFor(count * oc) { plane in
            let (img, o) = (plane / oc, plane % oc)
            let src = m + o * rowLength + img * tilesPerImage
            let dst = out + ((first + img) * oc + o) * outH * outW
            let b = V8(repeating: bias?[o] ?? 0)
            for ty in 0..<plan.tilesH {
                var tx = 0
                while tx < tilesW {
                    let lanes = Swift.min(8, tilesW - tx), at = src + ty * tilesW + tx
                    // Aᵀ M: rows 0..3 of column k combine into two.
                    @inline(__always) func up(_ k: Int) -> (V8, V8) {
                        let (m0, m1, m2, m3) = (load(at + k * stride, lanes: lanes), load(at + (4 + k) * stride, lanes: lanes),
                                                load(at + (8 + k) * stride, lanes: lanes), load(at + (12 + k) * stride, lanes: lanes))
                        return (m0 + m1 + m2, m1 - m2 - m3)
                    }
                    let (c0, c1, c2, c3) = (up(0), up(1), up(2), up(3))
                    let s0 = (c0.0, c1.0, c2.0, c3.0), s1 = (c0.1, c1.1, c2.1, c3.1)
                    let y = 2 * ty
                    writePairs(s0.0 + s0.1 + s0.2 + b, s0.1 - s0.2 - s0.3 + b, row: dst + y * outW, x: 2 * tx, lanes: lanes, width: outW)
                    if y + 1 < outH {
                        writePairs(s1.0 + s1.1 + s1.2 + b, s1.1 - s1.2 - s1.3 + b, row: dst + (y + 1) * outW, x: 2 * tx, lanes: lanes, width: outW)
                    }
                    tx += 8
                }
            }
        }
    }

    /// Z[ξ][o][t] = (A dy Aᵀ)_ξ for each 2 x 2 tile dy of the output gradient (zero past the
    /// plane's edge): the adjoint of `transformOutput`.
    static func transformOutputGradient(_ plan: Plan, _ grad: UnsafePointer<Float>, first: Int, count: Int, into z: UnsafeMutablePointer<Float>,
                                        layout: TileLayout) {
        let width = plan.scratchWidth
        forEachTileRun(plan, grad, channels: plan.channelsOut, h: plan.outH, w: plan.outW, padding: 0,
                       first: first, count: count) { o, origin, tile, lanes in
            @inline(__always) func row(_ r: Int) -> (V8, V8, V8, V8) {
                let a = UnsafeRawPointer(origin + r * width).loadUnaligned(as: SIMD16<Float>.self)
                let (g0, g1) = (a.evenHalf, a.oddHalf)
                return (g0, g0 + g1, g0 - g1, -g1)
            }
            let (r0, r1) = (row(0), row(1))
            @inline(__always) func down(_ k: Int, _ g0: V8, _ g1: V8) {
                layout.store(g0, into: z, k, channel: o, tile: tile, lanes: lanes)
                layout.store(g0 + g1, into: z, 4 + k, channel: o, tile: tile, lanes: lanes)
                layout.store(g0 - g1, into: z, 8 + k, channel: o, tile: tile, lanes: lanes)
                layout.store(-g1, into: z, 12 + k, channel: o, tile: tile, lanes: lanes)
            }
            down(0, r0.0, r1.0)
            down(1, r0.1, r1.1)
            down(2, r0.2, r1.2)
            down(3, r0.3, r1.3)
        }
    }

    /// U[ξ][o][c] = (G g Gᵀ)_ξ for each 3 x 3 kernel g = weight[o, c], packed as
    /// `packedKernelOffset` says (row o, depth c). With `flipped`, the kernels of the input
    /// gradient's convolution: U[ξ][c][o] from weight[o, c] rotated by 180° (row c, depth o).
    /// `u` must be zeroed: the padding rows of the last panel stay zero.
    static func transformKernels(_ weight: UnsafePointer<Float>, outChannels oc: Int, inChannels c: Int, flipped: Bool,
                                 into u: UnsafeMutablePointer<Float>) {
        let pairs = oc * c
        WorkerPool.shared.parallelRanges(pairs, grain: 256) { range in
            for pair in range {
                let (o, ch) = (pair / c, pair % c)
                let g = weight + pair * 9
                @inline(__always) func tap(_ i: Int) -> Float { flipped ? g[8 - i] : g[i] }
                // g Gᵀ: each row of three taps becomes four.
                @inline(__always) func across(_ r: Int) -> (Float, Float, Float, Float) {
                    let (a, b, d) = (tap(3 * r), tap(3 * r + 1), tap(3 * r + 2))
                    return (a, 0.5 * (a + b + d), 0.5 * (a - b + d), d)
                }
                let (t0, t1, t2) = (across(0), across(1), across(2))
                let (row, k, rows, depth) = flipped ? (ch, o, c, oc) : (o, ch, oc, c)
                // Then G ·: column col of the three rows gives ξ = 4 r + col.
                @inline(__always) func down(_ col: Int, _ a: Float, _ b: Float, _ d: Float) {
                    @inline(__always) func at(_ xi: Int) -> Int { packedKernelOffset(xi, row: row, k: k, rows: rows, depth: depth) }
                    u[at(col)] = a
                    u[at(4 + col)] = 0.5 * (a + b + d)
                    u[at(8 + col)] = 0.5 * (a - b + d)
                    u[at(12 + col)] = d
                }
                down(0, t0.0, t1.0, t2.0)
                down(1, t0.1, t1.1, t2.1)
                down(2, t0.2, t1.2, t2.2)
                down(3, t0.3, t1.3, t2.3)
            }
        }
    }

    /// dw[o, c] = Gᵀ dU[·][o][c] G: the adjoint of `transformKernels` (unflipped).
    static func untransformKernelGradient(_ du: UnsafePointer<Float>, outChannels oc: Int, inChannels c: Int, into dw: UnsafeMutablePointer<Float>) {
        let pairs = oc * c
        WorkerPool.shared.parallelRanges(pairs, grain: 256) { range in
            for pair in range {
                // Gᵀ dU: four rows become three, per column.
                @inline(__always) func up(_ col: Int) -> (Float, Float, Float) {
                    let (a, b, d, e) = (du[col * pairs + pair], du[(4 + col) * pairs + pair],
                                        du[(8 + col) * pairs + pair], du[(12 + col) * pairs + pair])
                    return (a + 0.5 * (b + d), 0.5 * (b - d), 0.5 * (b + d) + e)
                }
                let (c0, c1, c2, c3) = (up(0), up(1), up(2), up(3))
                // Then · G: each row of four becomes three taps.
                let g = dw + pair * 9
                @inline(__always) func across(_ r: Int, _ a: Float, _ b: Float, _ d: Float, _ e: Float) {
                    (g[3 * r], g[3 * r + 1], g[3 * r + 2]) = (a + 0.5 * (b + d), 0.5 * (b - d), 0.5 * (b + d) + e)
                }
                across(0, c0.0, c1.0, c2.0, c3.0)
                across(1, c0.1, c1.1, c2.1, c3.1)
                across(2, c0.2, c1.2, c2.2, c3.2)
            }
        }
    }

    @inline(__always)
    static func load(_ src: UnsafePointer<Float>, lanes: Int) -> V8 {
        if lanes == 8 { return UnsafeRawPointer(src).loadUnaligned(as: V8.self) }
        var value = V8()
        for i in 0..<lanes { value[i] = src[i] }
        return value
    }

    /// row[x + 2i] = even[i], row[x + 2i + 1] = odd[i] for the lanes that fall inside the row.
    @inline(__always)
    static func writePairs(_ even: V8, _ odd: V8, row: UnsafeMutablePointer<Float>, x: Int, lanes: Int, width: Int) {
        if lanes == 8 && x + 16 <= width {
            for i in 0..<8 { row[x + 2 * i] = even[i]; row[x + 2 * i + 1] = odd[i] }
            return
        }
        for i in 0..<lanes {
            row[x + 2 * i] = even[i]
            if x + 2 * i + 1 < width { row[x + 2 * i + 1] = odd[i] }
        }
    }
}
