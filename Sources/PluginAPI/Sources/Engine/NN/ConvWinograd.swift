import Kernels
import KernelSupport

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

    var forwardPlan: WinogradPlan {
        WinogradPlan(n: geo.n, channelsIn: geo.c, channelsOut: geo.oc, inH: geo.h, inW: geo.w, outH: geo.oh, outW: geo.ow, padding: geo.padding)
    }

    /// The input gradient's convolution: output gradient in, input gradient out.
    var backwardDataPlan: WinogradPlan {
        WinogradPlan(n: geo.n, channelsIn: geo.oc, channelsOut: geo.c, inH: geo.oh, inW: geo.ow, outH: geo.h, outW: geo.w, padding: 2 - geo.padding)
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
        let inputs = Tensor(zeros: [WinogradTileLayout.rows(channels: c, tiles: maxTiles).count], zeroed: false)
        let grads = Tensor(zeros: [WinogradTileLayout.rows(channels: oc, tiles: maxTiles).count], zeroed: false)
        let du = Tensor(zeros: [16, oc, c], zeroed: false)
        var first = 0
        while first < plan.n {
            let count = Swift.min(group, plan.n - first), tiles = count * plan.tilesPerImage
            WinogradKernels.input(plan, x, first: first, count: count, into: inputs.data, layout: .rows(channels: c, tiles: tiles))
            WinogradKernels.outputGradient(plan, grad, first: first, count: count, into: grads.data, layout: .rows(channels: oc, tiles: tiles))
            // dU_ξ (oc x c) (+)= Z_ξ · V_ξᵀ for all 16 ξ: dot products over the tiles.
            GEMM.rowDotProducts(batch: 16, a: grads.data, rows: oc, b: inputs.data, columns: c, length: tiles,
                                accumulate: first > 0, into: du.data)
            first += count
        }
        Self.untransformKernelGradient(du.data, outChannels: oc, inChannels: c, into: dw)
    }

    /// One Winograd convolution: per group of images, transform the input tiles, 16 products
    /// with the transformed kernels (packed by `transformKernels`), transform back.
    static func convolve(_ plan: WinogradPlan, input: UnsafePointer<Float>, kernels u: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let (c, oc, group) = (plan.channelsIn, plan.channelsOut, plan.group)
        let maxLayout = WinogradTileLayout.tilePanels(channels: c, tiles: group * plan.tilesPerImage)
        let v = Tensor(zeros: [maxLayout.count], zeroed: false)
        let m = Tensor(zeros: [16 * oc * maxLayout.paddedTiles], zeroed: false)
        var first = 0
        while first < plan.n {
            let count = Swift.min(group, plan.n - first)
            let layout = WinogradTileLayout.tilePanels(channels: c, tiles: count * plan.tilesPerImage)
            WinogradKernels.input(plan, input, first: first, count: count, into: v.data, layout: layout)
            multiplyTiles(kernels: u, tiles: v.data, layout: layout, outChannels: oc, inChannels: c, into: m.data)
            WinogradKernels.output(plan, m.data, rowLength: layout.paddedTiles, bias: bias, first: first, count: count, into: out)
            first += count
        }
    }
}

extension WinogradPlan {
    /// Images per group: the transformed input and output (16 floats per tile and channel
    /// each, four times the planes they come from) stay within `ConvGeometry.transientBudget`
    /// (in the last-level cache next to the products, and small next to what a training step
    /// holds).
    var group: Int {
        let perImage = 16 * Swift.max(channelsIn, channelsOut) * tilesPerImage
        return Swift.max(1, Swift.min(n, ConvGeometry.transientBudget(outputCount: n * channelsOut * outH * outW) / perImage))
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
    static func multiplyTiles(kernels u: UnsafePointer<Float>, tiles v: UnsafePointer<Float>, layout: WinogradTileLayout,
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
}
