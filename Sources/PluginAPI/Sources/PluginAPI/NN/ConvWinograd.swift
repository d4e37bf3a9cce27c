/// Winograd F(2x2, 3x3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural
/// Networks", 2015) for 3x3 kernels with stride 1 and no dilation: most of a ResNet's work.
///
/// Every 2 x 2 block of output pixels (a *tile*) comes from a 4 x 4 block d of padded input.
/// With V = Bᵀ d B per input channel and U = G g Gᵀ per kernel, the tile is Aᵀ (Σ_c U ⊙ V) A:
/// 16 multiplies per channel pair where im2col spends 36. Summed over channels, the 16
/// elementwise products are 16 matrix products M_ξ (OC x T) = U_ξ (OC x C) · V_ξ (C x T)
/// over the T tiles of a group of images. The transforms write their results straight into
/// the panels GEMM's 6 x 16 micro-kernel reads, and all 16 products of a group run in one
/// pass over the worker pool (16 separate `sgemm` calls spent more on packing and dispatch
/// than on the products, which are small: k = C).
///
/// The gradients are adjoints of the same linear maps. The input's is this convolution again,
/// of the output gradient with the kernels flipped and their channels swapped (padding 2 - p).
/// The kernel's is dU_ξ = Σ_tiles (A dY Aᵀ)_ξ · V_ξᵀ, then dW = Gᵀ dU G.
///
/// The transform matrices have entries 0, ±1 and ±1/2, so results agree with im2col to a few
/// units in the last place of the sums (tested against the direct definition).
struct WinogradConv {
    /// One convolution in Winograd form: `channelsIn` planes of inH x inW read with `padding`
    /// zeros around them, `channelsOut` planes of outH x outW written.
    struct Plan {
        var n, channelsIn, channelsOut, inH, inW, outH, outW, padding: Int
        var tilesH: Int { (outH + 1) / 2 }
        var tilesW: Int { (outW + 1) / 2 }
        var tilesPerImage: Int { tilesH * tilesW }
        /// Images per group: the transformed input and output (16 floats per tile and
        /// channel each, four times the planes they come from) stay within
        /// `ConvGeometry.transientBudget` (in the last-level cache next to the products, and
        /// small next to what a training step holds).
        var group: Int {
            let perImage = 16 * Swift.max(channelsIn, channelsOut) * tilesPerImage
            return Swift.max(1, Swift.min(n, ConvGeometry.transientBudget(outputCount: n * channelsOut * outH * outW) / perImage))
        }
        /// Row length of the zero-padded scratch copy of a plane: whole 8-tile vectors plus
        /// room for the 16-float loads that split even and odd columns.
        var scratchWidth: Int { 2 * ((tilesW + 7) / 8 * 8) + 16 }
        var scratchHeight: Int { 2 * tilesH + 2 }
    }

    let geo: ConvGeometry

    /// Whether the kernel shape is one this algorithm computes (3x3, stride 1, no dilation,
    /// padding at most 2 so the input gradient's padding 2 - p is not negative).
    static func computes(_ geo: ConvGeometry) -> Bool {
        geo.kh == 3 && geo.kw == 3 && geo.stride == 1 && geo.dilation == 1 && geo.padding <= 2 && geo.oh > 0 && geo.ow > 0
    }

    /// Whether it is the faster choice (measured on this machine, forward and backward, against
    /// im2col): enough channels that the products, not the transforms, dominate, and either
    /// rows of at least 8 tiles (full SIMD lanes in the transforms) or 64 channels or more.
    /// Twice as fast on ResNet18's layers; slower on the digits ResNet's 16 channels of 4 x 4.
    static func isFaster(_ geo: ConvGeometry) -> Bool {
        computes(geo) && geo.c >= 16 && geo.oc >= 16 && (geo.ow >= 16 || Swift.min(geo.c, geo.oc) >= 64)
    }

    var forwardPlan: Plan {
        Plan(n: geo.n, channelsIn: geo.c, channelsOut: geo.oc, inH: geo.h, inW: geo.w, outH: geo.oh, outW: geo.ow, padding: geo.padding)
    }

    /// The input gradient's convolution: output gradient in, input gradient out.
    var backwardDataPlan: Plan {
        Plan(n: geo.n, channelsIn: geo.oc, channelsOut: geo.c, inH: geo.oh, inW: geo.ow, outH: geo.h, outW: geo.w, padding: 2 - geo.padding)
    }

    /// out (N, OC, OH, OW) = conv(x, weight) + bias.
    func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let plan = forwardPlan
        let u = Tensor(zeros: [Self.packedKernelCount(rows: geo.oc, depth: geo.c)])
        Self.transformKernels(weight, outChannels: geo.oc, inChannels: geo.c, flipped: false, into: u.data)
        Self.convolve(plan, input: x, kernels: u.data, bias: bias, into: out)
    }

    /// dx (N, C, H, W) = the adjoint of `forward` in x, applied to grad (N, OC, OH, OW).
    func backwardData(grad: UnsafePointer<Float>, weight: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let plan = backwardDataPlan
        let u = Tensor(zeros: [Self.packedKernelCount(rows: geo.c, depth: geo.oc)])
        Self.transformKernels(weight, outChannels: geo.oc, inChannels: geo.c, flipped: true, into: u.data)
        Self.convolve(plan, input: grad, kernels: u.data, bias: nil, into: dx)
    }

    /// dw (OC, C, 3, 3) = the adjoint of `forward` in the weight, applied to grad.
    func backwardWeight(grad: UnsafePointer<Float>, x: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        let plan = forwardPlan
        // Wide layers (128 channels or more: small maps, few tiles per image) take groups of at
        // least 1,024 tiles, so the dot products over them are long enough to run at full
        // speed: ResNet18's 4 x 4 layer took 53 ms with 32-tile groups, 32 ms so. Narrower
        // layers keep the forward's groups, within the memory budget of a small network.
        let minimum = Swift.max(plan.channelsIn, plan.channelsOut) >= 128 ? (1024 + plan.tilesPerImage - 1) / plan.tilesPerImage : 1
        let group = Swift.min(plan.n, Swift.max(plan.group, minimum))
        let (c, oc) = (plan.channelsIn, plan.channelsOut)
        let maxTiles = group * plan.tilesPerImage
        let inputs = Tensor(zeros: [TileLayout.rows(channels: c, tiles: maxTiles).count], zeroed: false)
        let grads = Tensor(zeros: [TileLayout.rows(channels: oc, tiles: maxTiles).count], zeroed: false)
        let du = Tensor(zeros: [16, oc, c], zeroed: false)
        var first = 0
        while first < plan.n {
            let count = Swift.min(group, plan.n - first), tiles = count * plan.tilesPerImage
            Self.transformInput(plan, x, first: first, count: count, into: inputs.data, layout: .rows(channels: c, tiles: tiles))
            Self.transformOutputGradient(plan, grad, first: first, count: count, into: grads.data, layout: .rows(channels: oc, tiles: tiles))
            Self.multiplyKernelGradients(grads: grads.data, inputs: inputs.data, outChannels: oc, inChannels: c, tiles: tiles,
                                         accumulate: first > 0, into: du.data)
            first += count
        }
        Self.untransformKernelGradient(du.data, outChannels: oc, inChannels: c, into: dw)
    }

    /// One Winograd convolution: per group of images, transform the input tiles, 16 products
    /// with the transformed kernels (packed by `transformKernels`), transform back.
    static func convolve(_ plan: Plan, input: UnsafePointer<Float>, kernels u: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let (c, oc, group) = (plan.channelsIn, plan.channelsOut, plan.group)
        let maxLayout = TileLayout.tilePanels(channels: c, tiles: group * plan.tilesPerImage)
        let v = Tensor(zeros: [maxLayout.count], zeroed: false)
        let m = Tensor(zeros: [16 * oc * maxLayout.paddedTiles], zeroed: false)
        var first = 0
        while first < plan.n {
            let count = Swift.min(group, plan.n - first)
            let layout = TileLayout.tilePanels(channels: c, tiles: count * plan.tilesPerImage)
            transformInput(plan, input, first: first, count: count, into: v.data, layout: layout)
            multiplyTiles(kernels: u, tiles: v.data, layout: layout, outChannels: oc, inChannels: c, into: m.data)
            transformOutput(plan, m.data, rowLength: layout.paddedTiles, bias: bias, first: first, count: count, into: out)
            first += count
        }
    }
}

/// Where the transformed value of (ξ, channel, tile) lives among the 16 matrices of a group:
/// in the panels `GEMM.kernel6x16` reads, so that the products pack nothing.
enum TileLayout {
    /// B operand of M_ξ = U_ξ V_ξ (k = channel, n = tile): panels of 16 tiles,
    /// [ξ][tile / 16][channel][tile % 16]. The last panel's lanes past the last tile are never
    /// written: the products read them, but their columns of M are never transformed back.
    case tilePanels(channels: Int, tiles: Int)
    /// An operand of dU_ξ = Z_ξ V_ξᵀ: one row of tiles per (ξ, channel), [ξ][channel][tile].
    case rows(channels: Int, tiles: Int)

    var paddedTiles: Int {
        switch self {
        case .tilePanels(_, let tiles): return (tiles + GEMM.nr - 1) / GEMM.nr * GEMM.nr
        case .rows(_, let tiles): return tiles
        }
    }

    /// Floats in all 16 matrices.
    var count: Int {
        switch self {
        case .tilePanels(let channels, _): return 16 * channels * paddedTiles
        case .rows(let channels, let tiles): return 16 * channels * tiles
        }
    }

    @inline(__always)
    func offset(_ xi: Int, channel: Int, tile: Int) -> Int {
        switch self {
        case .tilePanels(let channels, _):
            let panels = paddedTiles / GEMM.nr
            return ((xi * panels + tile / GEMM.nr) * channels + channel) * GEMM.nr + tile % GEMM.nr
        case .rows(let channels, let tiles):
            return (xi * channels + channel) * tiles + tile
        }
    }

    /// Writes lanes 0..<lanes of `value` as tiles tile..<tile+lanes of (ξ, channel).
    @inline(__always)
    func store(_ value: SIMD8<Float>, into base: UnsafeMutablePointer<Float>, _ xi: Int, channel: Int, tile: Int, lanes: Int) {
        let dst = base + offset(xi, channel: channel, tile: tile)
        switch self {
        case .tilePanels:
            if lanes == 8 && tile % 8 == 0 {
                UnsafeMutableRawPointer(dst).storeBytes(of: value, as: SIMD8<Float>.self)
            } else if tile % GEMM.nr + lanes <= GEMM.nr {
                for i in 0..<lanes { dst[i] = value[i] }
            } else {
                for i in 0..<lanes { base[offset(xi, channel: channel, tile: tile + i)] = value[i] }
            }
        case .rows:
            if lanes == 8 {
                UnsafeMutableRawPointer(dst).storeBytes(of: value, as: SIMD8<Float>.self)
            } else {
                for i in 0..<lanes { dst[i] = value[i] }
            }
        }
    }
}

// MARK: - The 16 products

extension WinogradConv {
    /// Floats of the transformed kernels packed for the products: 16 matrices of `rows`
    /// (padded to whole 6-row panels) by `depth`.
    static func packedKernelCount(rows: Int, depth: Int) -> Int { 16 * ((rows + GEMM.mr - 1) / GEMM.mr) * GEMM.mr * depth }

    /// Where (ξ, row, k) of the transformed kernels lives: [ξ][row / 6][k][row % 6], the A
    /// panels of `GEMM.kernel6x16`.
    @inline(__always)
    static func packedKernelOffset(_ xi: Int, row: Int, k: Int, rows: Int, depth: Int) -> Int {
        let panels = (rows + GEMM.mr - 1) / GEMM.mr
        return ((xi * panels + row / GEMM.mr) * depth + k) * GEMM.mr + row % GEMM.mr
    }

    /// M_ξ (outChannels x paddedTiles, row-major, ξ-major) = U_ξ · V_ξ for all 16 ξ: one pool
    /// pass over (ξ, run of tile panels); a tile panel (k x 16) stays in L1 while every
    /// kernel panel passes over it.
    static func multiplyTiles(kernels u: UnsafePointer<Float>, tiles v: UnsafePointer<Float>, layout: TileLayout,
                              outChannels oc: Int, inChannels c: Int, into m: UnsafeMutablePointer<Float>) {
        let (mr, nr) = (GEMM.mr, GEMM.nr)
        let rowLength = layout.paddedTiles, tilePanels = rowLength / nr, kernelPanels = (oc + mr - 1) / mr
        let runs = (tilePanels + 3) / 4
        WorkerPool.shared.parallelFor(16 * runs) { item in
            let (xi, run) = (item / runs, item % runs)
            let a = u + xi * kernelPanels * mr * c, b = v + xi * tilePanels * c * nr, out = m + xi * oc * rowLength
            // One call per column of tiles (all the kernel panels): the kernel set is chosen at
            // run time, and a call per 6 x 16 product measured 3-6% of the forward pass.
            for s in (run * 4)..<Swift.min(tilePanels, run * 4 + 4) {
                GEMM.panelProducts6x16(kc: c, a: a, rows: oc, b: b + s * c * nr, c: out + s * nr, ldc: rowLength)
            }
        }
    }

    /// dU_ξ (outChannels x inChannels) (+)= Z_ξ · V_ξᵀ for all 16 ξ, both in `.rows` layout:
    /// dot products over the tiles, a 3 x 3 block of them at a time (nine 8-lane accumulators,
    /// six loads per nine fused multiply-adds). One pool item per (ξ, three rows of dU): each
    /// element is summed by one thread in a fixed order.
    static func multiplyKernelGradients(grads z: UnsafePointer<Float>, inputs v: UnsafePointer<Float>, outChannels oc: Int,
                                        inChannels c: Int, tiles: Int, accumulate: Bool, into du: UnsafeMutablePointer<Float>) {
        typealias V8 = SIMD8<Float>
        let rowBlocks = (oc + 2) / 3, colBlocks = (c + 2) / 3
        WorkerPool.shared.parallelFor(16 * rowBlocks) { item in
            let (xi, block) = (item / rowBlocks, item % rowBlocks)
            let o0 = block * 3, rows = Swift.min(3, oc - o0)
            // Rows past the last repeat it; their sums are not stored.
            @inline(__always) func zRow(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(z + (xi * oc + Swift.min(o0 + i, oc - 1)) * tiles) }
            let (z0, z1, z2) = (zRow(0), zRow(1), zRow(2))
            for cb in 0..<colBlocks {
                let c0 = cb * 3, cols = Swift.min(3, c - c0)
                @inline(__always) func vRow(_ j: Int) -> UnsafeRawPointer { UnsafeRawPointer(v + (xi * c + Swift.min(c0 + j, c - 1)) * tiles) }
                let (v0, v1, v2) = (vRow(0), vRow(1), vRow(2))
                var (s00, s01, s02, s10, s11, s12, s20, s21, s22) = (V8(), V8(), V8(), V8(), V8(), V8(), V8(), V8(), V8())
                @inline(__always) func step(_ offset: Int, _ lanes: Int) {
                    @inline(__always) func at(_ row: UnsafeRawPointer) -> V8 {
                        lanes == 8 ? row.loadUnaligned(fromByteOffset: offset, as: V8.self)
                            : load((row + offset).assumingMemoryBound(to: Float.self), lanes: lanes)
                    }
                    let (b0, b1, b2) = (at(v0), at(v1), at(v2))
                    var a = at(z0)
                    s00.addProduct(a, b0); s01.addProduct(a, b1); s02.addProduct(a, b2)
                    a = at(z1)
                    s10.addProduct(a, b0); s11.addProduct(a, b1); s12.addProduct(a, b2)
                    a = at(z2)
                    s20.addProduct(a, b0); s21.addProduct(a, b1); s22.addProduct(a, b2)
                }
                var t = 0
                while t + 8 <= tiles { step(t * 4, 8); t += 8 }
                if t < tiles { step(t * 4, tiles - t) }
                @inline(__always) func sum(_ i: Int, _ j: Int) -> Float {
                    switch i * 3 + j {
                    case 0: return s00.sum()
                    case 1: return s01.sum()
                    case 2: return s02.sum()
                    case 3: return s10.sum()
                    case 4: return s11.sum()
                    case 5: return s12.sum()
                    case 6: return s20.sum()
                    case 7: return s21.sum()
                    default: return s22.sum()
                    }
                }
                for i in 0..<rows {
                    let out = du + (xi * oc + o0 + i) * c + c0
                    for j in 0..<cols { out[j] = accumulate ? out[j] + sum(i, j) : sum(i, j) }
                }
            }
        }
    }
}
