import KernelSupport

/// The Winograd F(2x2, 3x3) convolution's tile transforms, in each kernel set: input tiles
/// (Bᵀ d B), output tiles (Aᵀ M A) and the output gradient (A dy Aᵀ), eight tiles of a row at a
/// time in SIMD lanes (eight in every set: the plan's scratch rows and the 16-tile panels are
/// laid out for it). Transformed tiles are written where `WinogradTileLayout` says, which is
/// where the products read them. The engine's `WinogradConv` (Engine/NN/ConvWinograd.swift)
/// plans the convolution, transforms the kernels and runs the products.
enum WinogradTransforms {
    typealias V8 = SIMD8<Float>

    /// Runs body(plane) for planes 0..<count on the worker pool, each with its own zeroed
    /// scratch of the plan's padded size.
    static func forEachPlane(_ plan: WinogradPlan, count: Int, pool: WorkerPool, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let scratchCount = plan.scratchHeight * plan.scratchWidth
        let run = { (range: Range<Int>) in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            scratch.initialize(repeating: 0, count: scratchCount)
            for plane in range { body(plane, scratch) }
        }
        pool.parallelRanges(count, grain: Swift.max(1, Swift.min(16, count / 8)), run)
    }

    /// Copies an h x w plane into the scratch with `padding` zero rows and columns before it;
    /// the rest of the scratch is zero (only the plane's rectangle is ever written).
    @inline(__always)
    static func copyPadded(_ plan: WinogradPlan, _ src: UnsafePointer<Float>, h: Int, w: Int, padding: Int, into scratch: UnsafeMutablePointer<Float>) {
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
    static func forEachTileRun(_ plan: WinogradPlan, _ source: UnsafePointer<Float>, channels: Int, h: Int, w: Int, padding: Int,
                               first: Int, count: Int, pool: WorkerPool, _ body: (Int, UnsafePointer<Float>, Int, Int) -> Void) {
        let (tilesW, tilesPerImage, width) = (plan.tilesW, plan.tilesPerImage, plan.scratchWidth)
        forEachPlane(plan, count: count * channels, pool: pool) { plane, scratch in
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
    static func transformInput(_ plan: WinogradPlan, _ x: UnsafePointer<Float>, first: Int, count: Int, into v: UnsafeMutablePointer<Float>,
                               layout: WinogradTileLayout, pool: WorkerPool) {
        let width = plan.scratchWidth
        forEachTileRun(plan, x, channels: plan.channelsIn, h: plan.inH, w: plan.inW, padding: plan.padding,
                       first: first, count: count, pool: pool) { ch, origin, tile, lanes in
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
                store(layout, d0 - d2, into: v, k, channel: ch, tile: tile, lanes: lanes)
                store(layout, d1 + d2, into: v, 4 + k, channel: ch, tile: tile, lanes: lanes)
                store(layout, d2 - d1, into: v, 8 + k, channel: ch, tile: tile, lanes: lanes)
                store(layout, d1 - d3, into: v, 12 + k, channel: ch, tile: tile, lanes: lanes)
            }
            down(0, r0.0, r1.0, r2.0, r3.0)
            down(1, r0.1, r1.1, r2.1, r3.1)
            down(2, r0.2, r1.2, r2.2, r3.2)
            down(3, r0.3, r1.3, r2.3, r3.3)
        }
    }

    /// out[y, x] = (Aᵀ M A) for each tile, plus the channel's bias, clipped to the plane.
    /// M is [ξ][channel][rowLength], as `multiplyTiles` writes it.
    static func transformOutput(_ plan: WinogradPlan, _ m: UnsafePointer<Float>, rowLength: Int, bias: UnsafePointer<Float>?, first: Int,
                                count: Int, into out: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let (oc, tilesW, tilesPerImage, outH, outW) = (plan.channelsOut, plan.tilesW, plan.tilesPerImage, plan.outH, plan.outW)
        let stride = oc * rowLength
        pool.parallelFor(count * oc) { plane in
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
    static func transformOutputGradient(_ plan: WinogradPlan, _ grad: UnsafePointer<Float>, first: Int, count: Int, into z: UnsafeMutablePointer<Float>,
                                        layout: WinogradTileLayout, pool: WorkerPool) {
        let width = plan.scratchWidth
        forEachTileRun(plan, grad, channels: plan.channelsOut, h: plan.outH, w: plan.outW, padding: 0,
                       first: first, count: count, pool: pool) { o, origin, tile, lanes in
            @inline(__always) func row(_ r: Int) -> (V8, V8, V8, V8) {
                let a = UnsafeRawPointer(origin + r * width).loadUnaligned(as: SIMD16<Float>.self)
                let (g0, g1) = (a.evenHalf, a.oddHalf)
                return (g0, g0 + g1, g0 - g1, -g1)
            }
            let (r0, r1) = (row(0), row(1))
            @inline(__always) func down(_ k: Int, _ g0: V8, _ g1: V8) {
                store(layout, g0, into: z, k, channel: o, tile: tile, lanes: lanes)
                store(layout, g0 + g1, into: z, 4 + k, channel: o, tile: tile, lanes: lanes)
                store(layout, g0 - g1, into: z, 8 + k, channel: o, tile: tile, lanes: lanes)
                store(layout, -g1, into: z, 12 + k, channel: o, tile: tile, lanes: lanes)
            }
            down(0, r0.0, r1.0)
            down(1, r0.1, r1.1)
            down(2, r0.2, r1.2)
            down(3, r0.3, r1.3)
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

    /// Writes lanes 0..<lanes of `value` as tiles tile..<tile+lanes of (ξ, channel).
    @inline(__always)
    static func store(_ layout: WinogradTileLayout, _ value: V8, into base: UnsafeMutablePointer<Float>, _ xi: Int, channel: Int, tile: Int, lanes: Int) {
        let dst = base + layout.offset(xi, channel: channel, tile: tile)
        switch layout {
        case .tilePanels:
            let width = WinogradTileLayout.panelWidth
            if lanes == 8 && tile % 8 == 0 {
                UnsafeMutableRawPointer(dst).storeBytes(of: value, as: V8.self)
            } else if tile % width + lanes <= width {
                for i in 0..<lanes { dst[i] = value[i] }
            } else {
                for i in 0..<lanes { base[layout.offset(xi, channel: channel, tile: tile + i)] = value[i] }
            }
        case .rows:
            if lanes == 8 {
                UnsafeMutableRawPointer(dst).storeBytes(of: value, as: V8.self)
            } else {
                for i in 0..<lanes { dst[i] = value[i] }
            }
        }
    }
}
