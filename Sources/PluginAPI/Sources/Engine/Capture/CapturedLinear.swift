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
/// follows it: the bit path, the one-output dot products, or the GEMM, with the numbers of
/// the eager path it stands for. (No low-rank gradient and no waiting update: a replayed
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
            let b = bias?.data[0] ?? 0
            for r in 0..<rows { out.data[r] = b + VectorMath.dot(x.data + r * inFeatures, weight.data, count: inFeatures) }
        } else {
            if let bias {
                for r in 0..<rows { (out.data + r * outFeatures).update(from: bias.data, count: outFeatures) }
            }
            GEMM.sgemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, a: x.data, lda: inFeatures,
                       b: weight.data, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: out.data, ldc: outFeatures)
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
                    dw.data.update(repeating: 0, count: inFeatures)
                    for r in 0..<rows { VectorMath.axpy(g.data[r], x.data + r * inFeatures, dw.data, count: inFeatures) }
                } else {
                    GEMM.sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows, a: g.data, lda: outFeatures,
                               b: x.data, ldb: inFeatures, beta: 0, c: dw.data, ldc: inFeatures)
                }
            }
            if let db { Tensor.sumKernel(g.data, outer: 1, n: rows, inner: outFeatures, into: db.data) }
        }
        return [nil, dw] + (bias == nil ? [] : [db])
    }
}
