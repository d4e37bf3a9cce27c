import Formats

/// Max, average and adaptive average pooling over NCHW maps, with gradients.

/// `F.max_pool2d(x, kernel, stride)` (no padding, floor mode). The gradient goes to the first
/// maximum of each window, as PyTorch's.
public func maxPool2d(_ x: Tensor, kernel: Int, stride: Int? = nil) -> Tensor {
    let s = stride ?? kernel
    engineCheck(x.rank == 4, "max_pool2d needs NCHW input, got \(x.shape)")
    engineCheck(kernel > 0 && s > 0, "max_pool2d: kernel \(kernel) and stride \(s) must be >= 1")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = poolOutputSize(h, w, kernel: kernel, stride: s)
    engineCheck(oh > 0 && ow > 0, "max_pool2d: kernel \(kernel) does not fit \(x.shape)")
    let out = Tensor(zeros: [n, c, oh, ow], zeroed: false)
    let argmax = WindowIndices(count: out.count)
    capturedKernel("max_pool2d") {
        let (o, at) = (out.data, argmax.base)
        for plane in 0..<(n * c) {
            let src = x.data + plane * h * w
            for y in 0..<oh {
                for xo in 0..<ow {
                    var best = -Float.infinity, index = (y * s) * w + xo * s
                    for i in 0..<kernel {
                        for j in 0..<kernel {
                            let idx = (y * s + i) * w + xo * s + j
                            if src[idx] > best || src[idx].isNaN { best = src[idx]; index = idx; if best.isNaN { break } }
                        }
                    }
                    let q = (plane * oh + y) * ow + xo
                    o[q] = best
                    at[q] = Int32(index)
                }
            }
        }
    }
    return out.recorded("max_pool2d", [x]) { g in
        let dx = Tensor(zeros: x.shape)
        capturedKernel("max_pool2d_backward") {
            let (d, gp, at) = (dx.data, g.data, argmax.base)
            for plane in 0..<(n * c) {
                for q in 0..<(oh * ow) {
                    let o = plane * oh * ow + q
                    d[plane * h * w + Int(at[o])] += gp[o]
                }
            }
        }
        return [dx]
    }
}

/// `F.avg_pool2d(x, kernel, stride)` (no padding, floor mode).
public func avgPool2d(_ x: Tensor, kernel: Int, stride: Int? = nil) -> Tensor {
    let s = stride ?? kernel
    engineCheck(x.rank == 4, "avg_pool2d needs NCHW input, got \(x.shape)")
    engineCheck(kernel > 0 && s > 0, "avg_pool2d: kernel \(kernel) and stride \(s) must be >= 1")
    let (h, w) = (x.shape[2], x.shape[3])
    let (oh, ow) = poolOutputSize(h, w, kernel: kernel, stride: s)
    engineCheck(oh > 0 && ow > 0, "avg_pool2d: kernel \(kernel) does not fit \(x.shape)")
    let windows = (0..<oh).map { y in (y * s)..<(y * s + kernel) }
    let columns = (0..<ow).map { xo in (xo * s)..<(xo * s + kernel) }
    return windowAverage(x, rows: windows, columns: columns, name: "avg_pool2d")
}

/// `F.adaptive_avg_pool2d(x, (outH, outW))`: window i spans floor(i H / outH) ..< ceil((i+1) H / outH).
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int) = (1, 1)) -> Tensor {
    engineCheck(x.rank == 4, "adaptive_avg_pool2d needs NCHW input, got \(x.shape)")
    engineCheck(outputSize.0 > 0 && outputSize.1 > 0, "adaptive_avg_pool2d: output size \(outputSize) must be positive")
    let (h, w) = (x.shape[2], x.shape[3])
    engineCheck(h > 0 && w > 0, "adaptive_avg_pool2d: empty input \(x.shape)")
    func spans(_ size: Int, _ out: Int) -> [Range<Int>] {
        (0..<out).map { i in (i * size / out)..<(((i + 1) * size + out - 1) / out) }
    }
    return windowAverage(x, rows: spans(h, outputSize.0), columns: spans(w, outputSize.1), name: "adaptive_avg_pool2d")
}

/// Averages each (row window x column window) of every plane.
func windowAverage(_ x: Tensor, rows: [Range<Int>], columns: [Range<Int>], name: String) -> Tensor {
    engineCheck(x.rank == 4, "\(name) needs NCHW input, got \(x.shape)")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = (rows.count, columns.count)
    let out = Tensor(zeros: [n, c, oh, ow], zeroed: false)
    capturedKernel(name) {
        let o = out.data
        for plane in 0..<(n * c) {
            let src = x.data + plane * h * w
            for (y, ry) in rows.enumerated() {
                for (xo, rx) in columns.enumerated() {
                    var sum: Float = 0
                    for i in ry { for j in rx { sum += src[i * w + j] } }
                    o[(plane * oh + y) * ow + xo] = sum / Float(ry.count * rx.count)
                }
            }
        }
    }
    return out.recorded(name, [x]) { g in
        let dx = Tensor(zeros: x.shape)
        capturedKernel(name + "_backward") {
            let gp = g.data
            for plane in 0..<(n * c) {
                let dst = dx.data + plane * h * w
                for (y, ry) in rows.enumerated() {
                    for (xo, rx) in columns.enumerated() {
                        let share = gp[(plane * oh + y) * ow + xo] / Float(ry.count * rx.count)
                        for i in ry { for j in rx { dst[i * w + j] += share } }
                    }
                }
            }
        }
        return [dx]
    }
}

/// The window index of each output of `maxPool2d`, written by its forward kernel and read by
/// its backward kernel (kept from one to the other, and from one replay to the next).
final class WindowIndices {
    let base: UnsafeMutablePointer<Int32>

    init(count: Int) {
        base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { base.deallocate() }
}

/// Output size of a pooling window without padding, floor mode: floor((size - kernel) / stride)
/// + 1, 0 where the window does not fit.
func poolOutputSize(_ h: Int, _ w: Int, kernel: Int, stride: Int) -> (Int, Int) {
    (ConvGeometry.outputSize(h, kernel: kernel, stride: stride, padding: 0, dilation: 1),
     ConvGeometry.outputSize(w, kernel: kernel, stride: stride, padding: 0, dilation: 1))
}
