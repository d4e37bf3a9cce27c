import KernelSupport

/// This set's pointer-level vector kernels (VectorKernels.swift) and, compiled in from the same
/// file as the common module's, the eight-lane value functions (VectorMathValues.swift).
enum VectorMath {}

/// This kernel set, as the facade in `Kernels` calls it: each entry point forwards to this
/// module's copy of the kernels, built for the set's CPU.
public enum Implementation: KernelSetImplementation {
    #if KERNELS_AVX512
    public static var name: String { "avx512" }
    #elseif KERNELS_GENERIC
    public static var name: String { "generic" }
    #else
    public static var name: String { "avx2" }
    #endif
    public static var vectorWidth: Int { Wide.scalarCount }
    public static var gemmTileColumns: Int { GEMM.nr }

    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool) {
        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc, pool: pool)
    }
    public static func fewRowsDotTransposed(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                            b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                                            pool: WorkerPool, beforeRow: (Int) -> Void) -> Bool {
        GEMM.fewRowsDotTransposed(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
                                  pool: pool, beforeRow: beforeRow)
    }
    public static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                        c: UnsafeMutablePointer<Float>, ldc: Int) {
        GEMM.panelProduct6x16(kc: kc, a: a, b: b, c: c, ldc: ldc)
    }
    public static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int) {
        GEMM.panelProduct6x16(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows)
    }
    public static func panelProducts6x16(kc: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>,
                                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        GEMM.panelProducts6x16(kc: kc, a: a, rows: rows, b: b, c: c, ldc: ldc)
    }

    public static func rowDotProducts(batch: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>, columns: Int,
                                      length: Int, accumulate: Bool, into c: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        RowDotKernels.products(batch: batch, a: a, rows: rows, b: b, columns: columns, length: length,
                               accumulate: accumulate, into: c, pool: pool)
    }

    public static func winogradInput(_ plan: WinogradPlan, _ x: UnsafePointer<Float>, first: Int, count: Int,
                                     into v: UnsafeMutablePointer<Float>, layout: WinogradTileLayout, pool: WorkerPool) {
        WinogradTransforms.transformInput(plan, x, first: first, count: count, into: v, layout: layout, pool: pool)
    }
    public static func winogradOutput(_ plan: WinogradPlan, _ m: UnsafePointer<Float>, rowLength: Int, bias: UnsafePointer<Float>?,
                                      first: Int, count: Int, into out: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        WinogradTransforms.transformOutput(plan, m, rowLength: rowLength, bias: bias, first: first, count: count, into: out, pool: pool)
    }
    public static func winogradOutputGradient(_ plan: WinogradPlan, _ grad: UnsafePointer<Float>, first: Int, count: Int,
                                              into z: UnsafeMutablePointer<Float>, layout: WinogradTileLayout, pool: WorkerPool) {
        WinogradTransforms.transformOutputGradient(plan, grad, first: first, count: count, into: z, layout: layout, pool: pool)
    }

    public static func sgdUpdate(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, buffer b: UnsafeMutablePointer<Float>?,
                                 count: Int, lr: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool, first: Bool) {
        OptimizerKernels.sgd(parameters: p, gradients: g, buffer: b, count: count, lr: lr, momentum: momentum, dampening: dampening,
                             weightDecay: weightDecay, nesterov: nesterov, first: first)
    }
    public static func sgdLowRankUpdate(parameters p: UnsafeMutablePointer<Float>, coefficients c: UnsafePointer<Float>, coefficientStride: Int,
                                        rows x: UnsafePointer<Float>, rowStride: Int, rank: Int, count: Int, lr: Float, weightDecay: Float) {
        OptimizerKernels.sgdLowRank(parameters: p, coefficients: c, coefficientStride: coefficientStride, rows: x, rowStride: rowStride,
                                    rank: rank, count: count, lr: lr, weightDecay: weightDecay)
    }
    public static func adamUpdate(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                                  firstMoments m: UnsafeMutablePointer<Float>, secondMoments v: UnsafeMutablePointer<Float>, count: Int,
                                  stepSize: Float, root2: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float) {
        OptimizerKernels.adam(parameters: p, gradients: g, firstMoments: m, secondMoments: v, count: count, stepSize: stepSize, root2: root2,
                              beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
    }

    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        VectorMath.dot(x, y, count: count)
    }
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.axpy(a, x, y, count: count)
    }
    public static func silu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.silu(x, into: out, count: count)
    }
    public static func relu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.relu(x, into: out, count: count)
    }
    public static func reluBackward(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.reluBackward(dy, y, into: dx, count: count)
    }
    public static func siluBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.siluBackward(dy, x, into: dx, count: count)
    }

    public static func sumRows(_ matrix: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int32>, count: Int,
                               start: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>, length: Int) {
        BinaryInputKernels.sumRows(matrix, stride: stride, indices: indices, count: count, start: start, into: dst, length: length)
    }
    public static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        BinaryInputKernels.transpose(src, rows: rows, cols: cols, into: dst)
    }
    public static func allZero(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        BinaryInputKernels.allZero(x, count: count)
    }
    public static func bitIndices(_ x: UnsafePointer<Float>, count: Int, into indices: UnsafeMutablePointer<Int32>) -> Int {
        BinaryInputKernels.bitIndices(x, count: count, into: indices)
    }
}
