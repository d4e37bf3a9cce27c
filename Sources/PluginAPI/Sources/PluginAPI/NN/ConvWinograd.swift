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
        /// channel each, four times the planes they come from) stay within 8 MB, in the
        /// last-level cache next to the GEMM, and within a quarter of the layer's output, so
        /// that these transient buffers stay small next to what a training step holds (as
        /// `ConvGeometry.group`).
        var group: Int {
            let perImage = 16 * Swift.max(channelsIn, channelsOut) * tilesPerImage
            let budget = Swift.min(1 << 21, Swift.max(1 << 16, n * channelsOut * outH * outW / 4))
            return Swift.max(1, Swift.min(n, budget / perImage))
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
        let (c, oc, group) = (plan.channelsIn, plan.channelsOut, plan.group)
        let maxTiles = group * plan.tilesPerImage
        let inputs = Tensor(zeros: [TileLayout.channelPanels(width: GEMM.nr, channels: c, tiles: maxTiles).count], zeroed: false)
        let grads = Tensor(zeros: [TileLayout.channelPanels(width: GEMM.mr, channels: oc, tiles: maxTiles).count], zeroed: false)
        let du = Tensor(zeros: [16, oc, c], zeroed: false)
        var first = 0
        while first < plan.n {
            let count = Swift.min(group, plan.n - first), tiles = count * plan.tilesPerImage
            let inputLayout = TileLayout.channelPanels(width: GEMM.nr, channels: c, tiles: tiles)
            let gradLayout = TileLayout.channelPanels(width: GEMM.mr, channels: oc, tiles: tiles)
            Self.transformInput(plan, x, first: first, count: count, into: inputs.data, layout: inputLayout)
            Self.transformOutputGradient(plan, grad, first: first, count: count, into: grads.data, layout: gradLayout)
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
    /// [ξ][tile / 16][channel][tile % 16]. Tiles past the last are never written or read back.
    case tilePanels(channels: Int, tiles: Int)
    /// An operand of dU_ξ = Z_ξ V_ξᵀ (k = tile): panels of `width` channels (6 for the A
    /// side, 16 for the B side), [ξ][channel / width][tile][channel % width].
    case channelPanels(width: Int, channels: Int, tiles: Int)

    var paddedTiles: Int {
        switch self {
        case .tilePanels(_, let tiles): return (tiles + GEMM.nr - 1) / GEMM.nr * GEMM.nr
        case .channelPanels(_, _, let tiles): return tiles
        }
    }

    /// Floats in all 16 matrices.
    var count: Int {
        switch self {
        case .tilePanels(let channels, _): return 16 * channels * paddedTiles
        case .channelPanels(let width, let channels, let tiles): return 16 * ((channels + width - 1) / width) * width * tiles
        }
    }

    @inline(__always)
    func offset(_ xi: Int, channel: Int, tile: Int) -> Int {
        switch self {
        case .tilePanels(let channels, _):
            let panels = paddedTiles / GEMM.nr
            return ((xi * panels + tile / GEMM.nr) * channels + channel) * GEMM.nr + tile % GEMM.nr
        case .channelPanels(let width, let channels, let tiles):
            let panels = (channels + width - 1) / width
            return ((xi * panels + channel / width) * tiles + tile) * width + channel % width
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
        case .channelPanels(let width, _, _):
            for i in 0..<lanes { dst[i * width] = value[i] }
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
            for s in (run * 4)..<Swift.min(tilePanels, run * 4 + 4) {
                for r in 0..<kernelPanels {
                    GEMM.kernel6x16(kc: c, a: a + r * c * mr, b: b + s * c * nr, c: out + r * mr * rowLength + s * nr,
                                    ldc: rowLength, alpha: 1, beta: 0, rows: Swift.min(mr, oc - r * mr), cols: nr)
                }
            }
        }
    }

    /// dU_ξ (outChannels x inChannels) (+)= Z_ξ · V_ξᵀ for all 16 ξ, summing over the tiles in
    /// runs of 256 so a pair of panels stays in L1. One pool item per (ξ, 16 input channels):
    /// each dU element is summed by one thread in a fixed order.
    static func multiplyKernelGradients(grads z: UnsafePointer<Float>, inputs v: UnsafePointer<Float>, outChannels oc: Int,
                                        inChannels c: Int, tiles: Int, accumulate: Bool, into du: UnsafeMutablePointer<Float>) {
        let (mr, nr) = (GEMM.mr, GEMM.nr)
        let gradPanels = (oc + mr - 1) / mr, inputPanels = (c + nr - 1) / nr
        WorkerPool.shared.parallelFor(16 * inputPanels) { item in
            let (xi, s) = (item / inputPanels, item % inputPanels)
            let b = v + (xi * inputPanels + s) * tiles * nr, out = du + xi * oc * c + s * nr
            var k = 0
            while k < tiles {
                let kc = Swift.min(256, tiles - k)
                for r in 0..<gradPanels {
                    let a = z + ((xi * gradPanels + r) * tiles + k) * mr
                    GEMM.kernel6x16(kc: kc, a: a, b: b + k * nr, c: out + r * mr * c, ldc: c, alpha: 1,
                                    beta: accumulate || k > 0 ? 1 : 0, rows: Swift.min(mr, oc - r * mr), cols: Swift.min(nr, c - s * nr))
                }
                k += kc
            }
        }
    }
}
