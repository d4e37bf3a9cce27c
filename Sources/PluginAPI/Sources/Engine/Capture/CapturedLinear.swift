import Formats
import Kernels
import KernelSupport

/// Which of `linear`'s paths a captured layer took on its latest run: decided from the input's
/// values by the forward kernel each time, read by the backward kernel.
private final class LinearPath {
    var bits: BitRows?
}

/// `linear` while a step is captured, for an input that needs no gradient. Eager `linear`
/// picks its path from the values of x (the {0,1}-input path, `BitRows`), and a replay gets
/// new values, so here the forward kernel decides again on every run and the backward kernel
/// follows it: the bit path, the one-output dot products, or the GEMM, through the eager
/// paths' own kernels (`bitRowsProduct`, `singleOutputProduct`, `denseProduct`, ...), so the
/// numbers are those of the eager path it stands for. (No low-rank gradient and no waiting update: a replayed
/// step's gradients are plain buffers.)
func capturedLinear(untrackedInput x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0], rows = x.count / inFeatures
    let out = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures], zeroed: false)
    let weightT = Tensor(zeros: [inFeatures, outFeatures], zeroed: false)
    let path = LinearPath()
    capturedKernel("linear") {
        path.bits = BitRows(x, rows: rows, features: inFeatures)
        if let bits = path.bits {
            VectorMath.transpose(weight.data, rows: outFeatures, cols: inFeatures, into: weightT.data)
            Tensor.bitRowsProduct(bits, weightT: weightT, bias: bias, outFeatures: outFeatures, into: out)
        } else if outFeatures == 1 {
            singleOutputProduct(x, weight: weight, bias: bias, rows: rows, into: out)
        } else {
            denseProduct(x, weight: weight, bias: bias, rows: rows, into: out)
        }
    }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return out.recorded("linear", inputs) { g in
        let dw = weight.requiresGrad ? Tensor(zeros: weight.shape, zeroed: false) : nil
        let db = bias?.requiresGrad == true ? Tensor(zeros: [outFeatures], zeroed: false) : nil
        capturedKernel("linear_backward") {
            if let bits = path.bits {
                if let dw {
                    Tensor.bitRowsWeightGradientT(bits, g: g, outFeatures: outFeatures, into: weightT)
                    VectorMath.transpose(weightT.data, rows: inFeatures, cols: outFeatures, into: dw.data)
                }
                if let db { Tensor.columnSums(g, rows: rows, cols: outFeatures, into: db) }
                return
            }
            if let dw {
                if outFeatures == 1 {
                    dw.zero_()
                    singleOutputGradients(g, x: x, weight: weight, rows: rows, dx: nil, dw: dw)
                } else {
                    _ = Tensor.gemm(g, rows: outFeatures, inner: rows, transA: true, x, cols: inFeatures, transB: false, into: dw)
                }
            }
            if let db { Tensor.sumKernel(g.data, outer: 1, n: rows, inner: outFeatures, into: db.data) }
        }
        return [nil, dw] + (bias == nil ? [] : [db])
    }
}
