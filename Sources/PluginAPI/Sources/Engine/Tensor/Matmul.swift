import Formats
import Kernels
import KernelSupport

/// Matrix products with gradients, on `GEMM.sgemm`.
extension Tensor {
    /// C = A B for row-major matrices given as (rows, cols); transposes read in place.
    static func gemm(_ a: Tensor, rows m: Int, inner k: Int, transA: Bool, _ b: Tensor, cols n: Int, transB: Bool,
                     into out: Tensor? = nil, beta: Float = 0, aOffset: Int = 0, bOffset: Int = 0, cOffset: Int = 0) -> Tensor {
        let c = out ?? Tensor(zeros: [m, n], zeroed: false)
        capturedKernel("gemm") { [a = a.storage, b = b.storage, c = c.storage] in
            GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a.base + aOffset, lda: transA ? m : k,
                       b: b.base + bOffset, ldb: transB ? k : n, beta: beta, c: c.base + cOffset, ldc: n)
        }
        return c
    }

    /// Matrix product, as `torch.matmul` for these cases: (M, K) x (K, N); batched
    /// (..., M, K) x (K, N) (the batch folds into M); and (B, M, K) x (B, K, N).
    public func matmul(_ other: Tensor) -> Tensor {
        let a = self, b = other
        engineCheck(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let k = a.shape[a.rank - 1]
        engineCheck(b.shape[b.rank - 2] == k, "matmul: \(a.shape) x \(b.shape): inner sizes differ")
        let n = b.shape[b.rank - 1]
        if b.rank == 2 {
            let m = a.count / k
            let out = Tensor.gemm(a, rows: m, inner: k, transA: false, b, cols: n, transB: false)
            let result = Tensor(shape: Array(a.shape.dropLast()) + [n], storage: out.storage)
            return result.recorded("matmul", [a, b]) { g in
                [a.requiresGrad ? Tensor(shape: a.shape, storage: Tensor.gemm(g, rows: m, inner: n, transA: false, b, cols: k, transB: true).storage) : nil,
                 b.requiresGrad ? Tensor.gemm(a, rows: k, inner: m, transA: true, g, cols: n, transB: false) : nil]
            }
        }
        engineCheck(a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0], "matmul: batched shapes \(a.shape) x \(b.shape) are not supported")
        let (batch, m) = (a.shape[0], a.shape[1])
        let out = Tensor(zeros: [batch, m, n], zeroed: false)
        for i in 0..<batch {
            _ = Tensor.gemm(a, rows: m, inner: k, transA: false, b, cols: n, transB: false, into: out,
                            aOffset: i * m * k, bOffset: i * k * n, cOffset: i * m * n)
        }
        return out.recorded("bmm", [a, b]) { g in
            let ga = Tensor(zeros: a.shape, zeroed: false), gb = Tensor(zeros: b.shape, zeroed: false)
            for i in 0..<batch {
                _ = Tensor.gemm(g, rows: m, inner: n, transA: false, b, cols: k, transB: true, into: ga,
                                aOffset: i * m * n, bOffset: i * k * n, cOffset: i * m * k)
                _ = Tensor.gemm(a, rows: k, inner: m, transA: true, g, cols: n, transB: false, into: gb,
                                aOffset: i * m * k, bOffset: i * m * n, cOffset: i * k * n)
            }
            return [ga, gb]
        }
    }
}

/// `F.linear(x, weight, bias)`: x (..., in) times weight (out, in) transposed, plus bias (out).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    engineCheck(x.shape.last == inFeatures, "linear: input \(x.shape) does not end in \(inFeatures) features")
    let rows = x.count / inFeatures
    if !x.requiresGrad, weight.rank == 2, StepRecorder.current != nil {
        return capturedLinear(untrackedInput: x, weight: weight, bias: bias)
    }
    if !x.requiresGrad, weight.rank == 2, let bits = BitRows(x, rows: rows, features: inFeatures) {
        return bitLinear(x, bits, weight: weight, bias: bias)
    }
    if outFeatures == 1 { return singleOutputLinear(x, weight: weight, bias: bias) }
    return denseLinear(x, weight: weight, bias: bias)
}

/// `linear` with one output unit (a network's scalar head): a dot product per row instead of
/// a GEMM whose packing costs more than the product at this size.
func singleOutputLinear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], rows = x.count / inFeatures
    let out = Tensor(zeros: Array(x.shape.dropLast()) + [1], zeroed: false)
    capturedKernel("linear") { singleOutputProduct(x, weight: weight, bias: bias, rows: rows, into: out) }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return out.recorded("linear", inputs) { g in
        // g (rows, 1): dx row r = g_r w, dW = the sum over rows of g_r x_r, db = the sum of g.
        let dx = x.requiresGrad ? Tensor(zeros: x.shape) : nil
        let dw = weight.requiresGrad ? Tensor(zeros: weight.shape) : nil
        capturedKernel("linear_backward") { singleOutputGradients(g, x: x, weight: weight, rows: rows, dx: dx, dw: dw) }
        var grads: [Tensor?] = [dx, dw]
        if let bias { grads.append(bias.requiresGrad ? g.reshape([rows, 1]).sum(axis: 0) : nil) }
        return grads
    }
}

/// out (rows, 1) = bias + x_r · w per row: the one-output layer's product.
func singleOutputProduct(_ x: Tensor, weight: Tensor, bias: Tensor?, rows: Int, into out: Tensor) {
    let inFeatures = weight.shape[1]
    let (xp, wp, op, b) = (x.data, weight.data, out.data, bias?.data[0] ?? 0)
    for r in 0..<rows { op[r] = b + VectorMath.dot(xp + r * inFeatures, wp, count: inFeatures) }
}

/// The one-output layer's gradients from g (rows, 1), added into `dx` and `dw` (zeroed by the
/// caller): dx row r += g_r w, dW += g_r x_r.
func singleOutputGradients(_ g: Tensor, x: Tensor, weight: Tensor, rows: Int, dx: Tensor?, dw: Tensor?) {
    let inFeatures = weight.shape[1]
    let (gp, xp, wp, dxp, dwp) = (g.data, x.data, weight.data, dx?.data, dw?.data)
    for r in 0..<rows {
        let gr = gp[r]
        if let dxp { VectorMath.axpy(gr, wp, dxp + r * inFeatures, count: inFeatures) }
        if let dwp { VectorMath.axpy(gr, xp + r * inFeatures, dwp, count: inFeatures) }
    }
}

/// out = x Wᵀ + bias through GEMM, each row of out starting as the bias; a waiting update of W
/// is applied on the way (`productAppliesPendingUpdate`).
func denseProduct(_ x: Tensor, weight: Tensor, bias: Tensor?, rows: Int, into out: Tensor) {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    if let bias {
        for r in 0..<rows { (out.data + r * outFeatures).update(from: bias.data, count: outFeatures) }
    }
    if !productAppliesPendingUpdate(x, weight: weight, rows: rows, into: out, beta: bias == nil ? 0 : 1) {
        GEMM.sgemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, a: x.data, lda: inFeatures,
                   b: weight.data, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: out.data, ldc: outFeatures)
    }
}

/// out = x Wᵀ + beta out when the weight has an update waiting (`PendingWeightUpdate`) and the
/// product takes the few-rows path: each row of W gets its update just before the pass reads
/// it, so the weight is read and written once for both. False, having done nothing, otherwise
/// (the next access to the weight then applies the update whole).
private func productAppliesPendingUpdate(_ x: Tensor, weight: Tensor, rows: Int, into out: Tensor, beta: Float) -> Bool {
    guard rows <= LowRankGradient.maxRows, let (update, memory) = weight.storage.takePendingUpdate() else { return false }
    defer { weight.storage.finishTakenUpdate() }
    let (inFeatures, outFeatures) = (weight.shape[1], weight.shape[0])
    let fused = GEMM.fewRowsDotTransposed(m: rows, n: outFeatures, k: inFeatures, a: x.data, lda: inFeatures, b: memory, ldb: inFeatures,
                                          beta: beta, c: out.data, ldc: outFeatures) { j in update.applyRow(j, to: memory) }
    if !fused { update.apply(to: memory) }
    return fused
}

/// dW = gᵀ x for `denseLinear`'s backward, or nil when no gradient is needed or when it is
/// left on the weight as its factors (`LowRankGradient`: a batch of a few rows).
private func weightGradient(_ g: Tensor, _ x: Tensor, rows: Int, weight: Tensor) -> Tensor? {
    guard weight.requiresGrad else { return nil }
    if LowRankGradient.applies(to: weight, rows: rows) {
        weight.deferredGradient = LowRankGradient(outputGradient: g, input: x, rows: rows)
        return nil
    }
    return Tensor.gemm(g, rows: weight.shape[0], inner: rows, transA: true, x, cols: weight.shape[1], transB: false)
}

/// `linear` through GEMM, for any input (the reference of the {0,1}-input path).
func denseLinear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    let rows = x.count / inFeatures
    let out = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures], zeroed: false)
    capturedKernel("linear") { denseProduct(x, weight: weight, bias: bias, rows: rows, into: out) }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return out.recorded("linear", inputs) { g in
        // g (rows, out): dx = g W, dW = g^T x, db = sum of g's rows.
        var grads: [Tensor?] = [
            x.requiresGrad ? Tensor(shape: x.shape, storage: Tensor.gemm(g, rows: rows, inner: outFeatures, transA: false, weight, cols: inFeatures, transB: false).storage) : nil,
            weightGradient(g, x, rows: rows, weight: weight),
        ]
        if let bias { grads.append(bias.requiresGrad ? g.reshape([rows, outFeatures]).sum(axis: 0) : nil) }
        return grads
    }
}
