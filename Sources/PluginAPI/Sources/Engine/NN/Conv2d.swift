import Formats
import Kernels
import KernelSupport

/// 2-D convolution (cross-correlation, as PyTorch) by im2col + GEMM, with gradients.
///
/// Shapes: x (N, C, H, W), weight (OC, C, KH, KW), bias (OC), out (N, OC, OH, OW) with
/// OH = (H + 2 pad - dil (KH - 1) - 1) / stride + 1. Images are processed in groups whose
/// im2col matrix (C KH KW x G OH OW) stays under a few MB: one GEMM per group keeps small
/// images (the 4 x 4 maps of the digits ResNet) from becoming many tiny products, and the
/// column matrix is rebuilt in backward rather than kept, to save memory.
public struct ConvGeometry: Equatable {
    /// The geometry of a convolution with these sizes (no check; `conv2d` checks its arguments).
    public init(n: Int, c: Int, h: Int, w: Int, oc: Int, kh: Int, kw: Int, stride: Int, padding: Int, dilation: Int) {
        (self.n, self.c, self.h, self.w, self.oc, self.kh, self.kw) = (n, c, h, w, oc, kh, kw)
        (self.stride, self.padding, self.dilation) = (stride, padding, dilation)
    }

    /// Batch size, input channels, input height and width, output channels, kernel height and width,
    /// stride, zero padding and dilation.
    public var n, c, h, w, oc, kh, kw, stride, padding, dilation: Int
    /// Output height, 0 when the kernel does not fit (rounded down, as PyTorch: integer
    /// division alone would round a negative span up to a window that reads past the input).
    public var oh: Int { Self.outputSize(h, kernel: kh, stride: stride, padding: padding, dilation: dilation) }
    /// Output width, 0 when the kernel does not fit (as `oh`).
    public var ow: Int { Self.outputSize(w, kernel: kw, stride: stride, padding: padding, dilation: dilation) }

    /// floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1, or 0 when that is
    /// below 1 or an argument is out of range (stride or dilation below 1, negative padding).
    public static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        guard size > 0, kernel > 0, stride > 0, dilation > 0, padding >= 0 else { return 0 }
        let span = size + 2 * padding - dilation * (kernel - 1) - 1
        return span < 0 ? 0 : span / stride + 1
    }
    /// Rows of the column matrix: C KH KW.
    public var k: Int { c * kh * kw }
    /// Columns of one image's column matrix: OH OW, the output pixels of a channel.
    public var p: Int { oh * ow }

    /// Images per GEMM. The column matrix is capped at 8 MB, wide enough for the GEMM to run
    /// near its peak yet in the last-level cache (measured: 1, 3 and 7 images of the ResNet18
    /// stage took 115, 107 and 148 ms), and at a quarter of the layer's output, so that this
    /// transient buffer stays small next to the activations a training step holds.
    var group: Int {
        Swift.max(1, Swift.min(n, Self.transientBudget(outputCount: n * oc * p) / Swift.max(1, k * p)))
    }

    /// Floats a convolution may hold in transient buffers (im2col's column matrix, Winograd's
    /// transformed tiles): at most 8 MB, and at most a quarter of the layer's output (but
    /// 256 KB at least).
    static func transientBudget(outputCount: Int) -> Int {
        Swift.min(1 << 21, Swift.max(1 << 16, outputCount / 4))
    }

    /// Builds the column matrix for images first..<first+g: col[(c, kh, kw), (g, oh, ow)].
    package func im2col(_ x: UnsafePointer<Float>, first: Int, count g: Int, into col: UnsafeMutablePointer<Float>) {
        let columns = g * p
        if usesGatherTable { return gatherIm2col(x, first: first, count: g, into: col) }
        WorkerPool.shared.parallelFor(c) { ch in
            for i in 0..<kh {
                for j in 0..<kw {
                    let row = col + ((ch * kh + i) * kw + j) * columns
                    for img in 0..<g {
                        let plane = x + ((first + img) * c + ch) * h * w
                        let dst = row + img * p
                        for y in 0..<oh {
                            let sy = y * stride - padding + i * dilation
                            let out = dst + y * ow
                            if sy < 0 || sy >= h { out.update(repeating: 0, count: ow); continue }
                            let src = plane + sy * w
                            if stride == 1 {
                                // Contiguous in x except at the padded edges.
                                let shift = j * dilation - padding
                                let lo = Swift.max(0, -shift), hi = Swift.min(ow, w - shift)
                                if lo > 0 { out.update(repeating: 0, count: Swift.min(lo, ow)) }
                                if hi > lo { (out + lo).update(from: src + lo + shift, count: hi - lo) }
                                if hi < ow { (out + Swift.max(hi, 0)).update(repeating: 0, count: ow - Swift.max(hi, 0)) }
                            } else {
                                for xo in 0..<ow {
                                    let sx = xo * stride - padding + j * dilation
                                    out[xo] = sx >= 0 && sx < w ? src[sx] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the column matrix back into image gradients (the adjoint of `im2col`).
    package func col2im(_ col: UnsafePointer<Float>, first: Int, count g: Int, into dx: UnsafeMutablePointer<Float>) {
        let columns = g * p
        if usesGatherTable { return scatterCol2im(col, first: first, count: g, into: dx) }
        WorkerPool.shared.parallelFor(c) { ch in
            for i in 0..<kh {
                for j in 0..<kw {
                    let row = col + ((ch * kh + i) * kw + j) * columns
                    for img in 0..<g {
                        let plane = dx + ((first + img) * c + ch) * h * w
                        let src = row + img * p
                        for y in 0..<oh {
                            let sy = y * stride - padding + i * dilation
                            if sy < 0 || sy >= h { continue }
                            let dst = plane + sy * w
                            if stride == 1 {
                                let shift = j * dilation - padding
                                let lo = Swift.max(0, -shift), hi = Swift.min(ow, w - shift)
                                if hi > lo {
                                    let (d, s) = (dst + shift, src + y * ow)
                                    for xo in lo..<hi { d[xo] += s[xo] }
                                }
                            } else {
                                for xo in 0..<ow {
                                    let sx = xo * stride - padding + j * dilation
                                    if sx >= 0 && sx < w { dst[sx] += src[y * ow + xo] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// im2col and col2im for small output maps (rows shorter than 16): copying a row of a few
/// floats with memcpy/memset costs more than the copy, so each column position reads its
/// source pixel through a table of offsets (-1 for padding), built once per call.
extension ConvGeometry {
    /// Whether `im2col`/`col2im` take the table path.
    var usesGatherTable: Bool { ow < 16 }

    /// For kernel position (i, j) and output pixel q: the offset of the source pixel in its
    /// plane, or -1 where the kernel reads padding. Layout [(i kw + j) p + q].
    func gatherTable() -> [Int32] {
        var table = [Int32](repeating: -1, count: kh * kw * p)
        for i in 0..<kh {
            for j in 0..<kw {
                for y in 0..<oh {
                    let sy = y * stride - padding + i * dilation
                    guard sy >= 0 && sy < h else { continue }
                    for xo in 0..<ow {
                        let sx = xo * stride - padding + j * dilation
                        if sx >= 0 && sx < w { table[(i * kw + j) * p + y * ow + xo] = Int32(sy * w + sx) }
                    }
                }
            }
        }
        return table
    }

    /// Whether a pass over `elements` column entries is worth splitting over threads.
    func worthParallel(_ elements: Int) -> Bool { elements >= 1 << 16 }

    func gatherIm2col(_ x: UnsafePointer<Float>, first: Int, count g: Int, into col: UnsafeMutablePointer<Float>) {
        let columns = g * p, taps = kh * kw, (c, h, w, p) = (c, h, w, p)
        gatherTable().withUnsafeBufferPointer { table in
            let table = table.baseAddress.unsafelyUnwrapped
            let body = { (ch: Int) in
                for img in 0..<g {
                    let plane = x + ((first + img) * c + ch) * h * w
                    for r in 0..<taps {
                        let dst = col + (ch * taps + r) * columns + img * p
                        let offsets = table + r * p
                        for q in 0..<p {
                            let o = Int(offsets[q])
                            dst[q] = o >= 0 ? plane[o] : 0
                        }
                    }
                }
            }
            if worthParallel(k * columns) { WorkerPool.shared.parallelFor(c, body) } else { for ch in 0..<c { body(ch) } }
        }
    }

    func scatterCol2im(_ col: UnsafePointer<Float>, first: Int, count g: Int, into dx: UnsafeMutablePointer<Float>) {
        let columns = g * p, taps = kh * kw, (c, h, w, p) = (c, h, w, p)
        gatherTable().withUnsafeBufferPointer { table in
            let table = table.baseAddress.unsafelyUnwrapped
            let body = { (ch: Int) in
                for img in 0..<g {
                    let plane = dx + ((first + img) * c + ch) * h * w
                    for r in 0..<taps {
                        let src = col + (ch * taps + r) * columns + img * p
                        let offsets = table + r * p
                        for q in 0..<p {
                            let o = Int(offsets[q])
                            if o >= 0 { plane[o] += src[q] }
                        }
                    }
                }
            }
            if worthParallel(k * columns) { WorkerPool.shared.parallelFor(c, body) } else { for ch in 0..<c { body(ch) } }
        }
    }
}

extension ConvGeometry {
    /// The transient buffers of `forward` and `backward`: the column matrix and the product
    /// of one group of images.
    func groupBuffers() -> (col: Tensor, tmp: Tensor) {
        (Tensor(zeros: [k, group * p], zeroed: false), Tensor(zeros: [oc, group * p], zeroed: false))
    }

    /// out = W * col per group of images, plus bias, in the buffers of `groupBuffers()`.
    /// x (N, C, H, W), out (N, OC, OH, OW).
    func forward(x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor, col: Tensor, tmp: Tensor) {
        var first = 0
        while first < n {
            let count = Swift.min(group, n - first)
            let columns = count * p
            im2col(x.data, first: first, count: count, into: col.data)
            GEMM.sgemm(transA: false, transB: false, m: oc, n: columns, k: k, a: weight.data, lda: k,
                       b: col.data, ldb: columns, c: tmp.data, ldc: columns)
            for img in 0..<count {
                for o in 0..<oc {
                    let dst = out.data + ((first + img) * oc + o) * p, src = tmp.data + o * columns + img * p
                    let b = bias?.data[o] ?? 0
                    for q in 0..<p { dst[q] = src[q] + b }
                }
            }
            first += count
        }
    }

    /// dW = g col^T and dx = col2im(W^T g), per group of images, in the buffers of
    /// `groupBuffers()`. The column matrix is rebuilt here rather than kept from the forward
    /// pass, so the graph holds no per-layer buffers.
    func backward(grad: Tensor, x: Tensor, weight: Tensor, dx: Tensor?, dw: Tensor?, col: Tensor, tmp: Tensor) {
        var first = 0
        while first < n {
            let count = Swift.min(group, n - first)
            let columns = count * p
            for img in 0..<count {
                for o in 0..<oc {
                    let dst = tmp.data + o * columns + img * p, src = grad.data + ((first + img) * oc + o) * p
                    for q in 0..<p { dst[q] = src[q] }
                }
            }
            if let dw {
                im2col(x.data, first: first, count: count, into: col.data)
                GEMM.sgemm(transA: false, transB: true, m: oc, n: k, k: columns, a: tmp.data, lda: columns,
                           b: col.data, ldb: columns, beta: first == 0 ? 0 : 1, c: dw.data, ldc: k)
            }
            if let dx {
                GEMM.sgemm(transA: true, transB: false, m: k, n: columns, k: oc, a: weight.data, lda: k,
                           b: tmp.data, ldb: columns, c: col.data, ldc: columns)
                col2im(col.data, first: first, count: count, into: dx.data)
            }
            first += count
        }
    }
}

/// How `conv2d` computes. `.automatic` takes Winograd F(2x2, 3x3) for 3x3, stride-1,
/// undilated kernels where it measured faster (at least 16 channels in and out, and 64 of
/// them or output rows of 16 pixels: ResNet18's layers, about twice as fast there, see
/// `host bench`), im2col + GEMM otherwise. `.im2col` and `.winograd` force one; Winograd
/// only computes 3x3, stride 1, dilation 1, padding at most 2.
public enum ConvAlgorithm: Sendable {
    /// Let `conv2d` choose, or force im2col + GEMM or Winograd (see the type).
    case automatic, im2col, winograd
}

/// `F.conv2d(x, weight, bias, stride, padding, dilation)`.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                   algorithm: ConvAlgorithm = .automatic) -> Tensor {
    engineCheck(x.rank == 4 && weight.rank == 4 && x.shape[1] == weight.shape[1],
                 "conv2d: input \(x.shape) and weight \(weight.shape) do not match (NCHW and (OC, C, KH, KW))")
    let geo = ConvGeometry(n: x.shape[0], c: x.shape[1], h: x.shape[2], w: x.shape[3], oc: weight.shape[0],
                           kh: weight.shape[2], kw: weight.shape[3], stride: stride, padding: padding, dilation: dilation)
    engineCheck(stride > 0 && dilation > 0 && padding >= 0,
                "conv2d: stride \(stride), dilation \(dilation) and padding \(padding) must be >= 1, >= 1 and >= 0")
    engineCheck(geo.oh > 0 && geo.ow > 0, "conv2d: a \(geo.kh)x\(geo.kw) kernel does not fit input \(x.shape) with padding \(padding)")
    engineCheck(algorithm != .winograd || WinogradConv.computes(geo),
                 "conv2d: Winograd computes 3x3 kernels with stride 1, dilation 1 and padding <= 2, not \(weight.shape) s\(stride) p\(padding) d\(dilation)")
    let winograd = algorithm == .winograd || (algorithm == .automatic && WinogradConv.isFaster(geo))
    let out = Tensor(zeros: [geo.n, geo.oc, geo.oh, geo.ow], zeroed: false)
    if winograd {
        capturedKernel("conv2d") {
            WinogradConv(geo: geo).forward(x: x.data, weight: weight.data, bias: bias.map { UnsafePointer($0.data) }, into: out.data)
        }
    } else {
        let (col, tmp) = geo.groupBuffers()
        capturedKernel("conv2d") { geo.forward(x: x, weight: weight, bias: bias, into: out, col: col, tmp: tmp) }
    }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return out.recorded("conv2d", inputs) { grad in
        var dx: Tensor?, dw: Tensor?
        if winograd {
            let conv = WinogradConv(geo: geo)
            if x.requiresGrad {
                let target = Tensor(zeros: x.shape, zeroed: false)
                capturedKernel("conv2d_backward_data") { conv.backwardData(grad: grad.data, weight: weight.data, into: target.data) }
                dx = target
            }
            if weight.requiresGrad {
                let target = Tensor(zeros: weight.shape, zeroed: false)
                capturedKernel("conv2d_backward_weight") { conv.backwardWeight(grad: grad.data, x: x.data, into: target.data) }
                dw = target
            }
        } else {
            let (gx, gw) = (x.requiresGrad ? Tensor(zeros: x.shape) : nil, weight.requiresGrad ? Tensor(zeros: weight.shape, zeroed: false) : nil)
            let (col, tmp) = geo.groupBuffers()
            capturedKernel("conv2d_backward") { geo.backward(grad: grad, x: x, weight: weight, dx: gx, dw: gw, col: col, tmp: tmp) }
            (dx, dw) = (gx, gw)
        }
        var grads: [Tensor?] = [dx, dw]
        if let bias {
            grads.append(bias.requiresGrad ? grad.reshape([geo.n, geo.oc, geo.p]).sum(axes: [0, 2]) : nil)
        }
        return grads
    }
}
