import KernelSupport

/// The active kernel set's entry points, chosen once (`KernelSet.active`).
let activeKernels: any KernelSetImplementation.Type = KernelSet.active.implementation

/// Single-precision matrix multiply, row-major: C (m x n) = alpha * op(A) * op(B) + beta * C,
/// where op(A) is m x k (A itself, or A transposed when `transA`) and op(B) is k x n.
///
/// `reference` is the naive triple loop the fast paths are tested against; `sgemm` forwards to
/// the kernel set chosen at start-up (Sources/KernelSource/GEMM.swift has the fast paths: a
/// direct loop for small products, thin-shape kernels, and the packed BLIS-style path with a
/// 6 x 2-vector micro-kernel). Each C element is computed by one thread in a fixed order, so
/// results do not depend on the thread count.
public enum GEMM {
    /// The tile of `panelProduct6x16`: 6 rows of A by 16 columns of B, in every kernel set
    /// (ConvWinograd lays its panels out for it).
    package static let mr = 6, nr = 16

    /// The naive definition, in Double: the reference every fast path is tested against.
    public static func reference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
    }

    /// The fast matrix multiply (same contract as `reference`), in the active kernel set.
    @inline(__always)
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                             pool: WorkerPool = .shared) {
        activeKernels.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                            beta: beta, c: c, ldc: ldc, pool: pool)
    }

    /// C (m x n) = alpha A Bᵀ + beta C (B stored n x k) for a few rows of A (m <= 4: a linear
    /// layer on one or a few inputs), calling `beforeRow(j)` just before row j of B is first read,
    /// from the thread that reads it: what lets a weight's pending update be applied on the pass
    /// that reads it. The same numbers as `sgemm`. Returns false, having done nothing, for
    /// shapes `sgemm` does not take this path for.
    public static func fewRowsDotTransposed(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                            b: UnsafePointer<Float>, ldb: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                                            pool: WorkerPool = .shared, beforeRow: (Int) -> Void) -> Bool {
        activeKernels.fewRowsDotTransposed(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
                                           pool: pool, beforeRow: beforeRow)
    }

    /// C (6 x 16, rows `ldc` apart) = A panel . B panel over `kc` steps, for callers whose
    /// operands already lie as packed panels do: step p's six values of A at a[6p ..< 6p + 6],
    /// its sixteen of B at b[16p ..< 16p + 16]. Sixteen columns in every kernel set.
    @inline(__always)
    public static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                        c: UnsafeMutablePointer<Float>, ldc: Int) {
        activeKernels.panelProduct6x16(kc: kc, a: a, b: b, c: c, ldc: ldc)
    }

    /// The same product, storing only the first `rows` (1...6) rows of C: for the last panel of
    /// a matrix whose height is not a multiple of six (the panel's extra rows are read, never
    /// stored).
    @inline(__always)
    public static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int) {
        activeKernels.panelProduct6x16(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows)
    }

    /// C (rows x 16, rows `ldc` apart) = A . B panel, where A is ceil(rows / 6) packed 6-row
    /// panels of `kc` steps one after another (panel r at a + 6 kc r; the last one's rows past
    /// `rows` are read, never stored): `panelProduct6x16` down a column of C, one call.
    @inline(__always)
    public static func panelProducts6x16(kc: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>,
                                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        activeKernels.panelProducts6x16(kc: kc, a: a, rows: rows, b: b, c: c, ldc: ldc)
    }

    /// C_b (rows x columns) = A_b · B_bᵀ, or C_b += A_b · B_bᵀ when `accumulate`, for `batch`
    /// pairs one after another: A_b is `rows` x `length`, B_b `columns` x `length`, C_b
    /// `rows` x `columns`, all row-major and contiguous. For products whose inner dimension is
    /// long and the result small (the Winograd kernel gradient); each element is summed by one
    /// thread in a fixed order.
    @inline(__always)
    package static func rowDotProducts(batch: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>, columns: Int,
                                       length: Int, accumulate: Bool, into c: UnsafeMutablePointer<Float>, pool: WorkerPool = .shared) {
        activeKernels.rowDotProducts(batch: batch, a: a, rows: rows, b: b, columns: columns, length: length,
                                     accumulate: accumulate, into: c, pool: pool)
    }
}

/// The Winograd F(2x2, 3x3) convolution's tile transforms in the active kernel set (contracts
/// in KernelSupport's `KernelSetImplementation`); the engine's `WinogradConv` calls them.
package enum WinogradKernels {
    @inline(__always)
    package static func input(_ plan: WinogradPlan, _ x: UnsafePointer<Float>, first: Int, count: Int,
                              into v: UnsafeMutablePointer<Float>, layout: WinogradTileLayout, pool: WorkerPool = .shared) {
        activeKernels.winogradInput(plan, x, first: first, count: count, into: v, layout: layout, pool: pool)
    }
    @inline(__always)
    package static func output(_ plan: WinogradPlan, _ m: UnsafePointer<Float>, rowLength: Int, bias: UnsafePointer<Float>?,
                               first: Int, count: Int, into out: UnsafeMutablePointer<Float>, pool: WorkerPool = .shared) {
        activeKernels.winogradOutput(plan, m, rowLength: rowLength, bias: bias, first: first, count: count, into: out, pool: pool)
    }
    @inline(__always)
    package static func outputGradient(_ plan: WinogradPlan, _ grad: UnsafePointer<Float>, first: Int, count: Int,
                                       into z: UnsafeMutablePointer<Float>, layout: WinogradTileLayout, pool: WorkerPool = .shared) {
        activeKernels.winogradOutputGradient(plan, grad, first: first, count: count, into: z, layout: layout, pool: pool)
    }
}

/// The optimizers' per-parameter updates in the active kernel set; the engine's `SGD` and
/// `Adam` call them. Every set gives the bits of the scalar loop (each lane does its
/// operations in the same order).
public enum Optimizers {
    /// PyTorch's SGD: g = grad + wd p; b = g on the first step, else momentum b + (1 - dampening) g;
    /// p -= lr (nesterov ? g + momentum b : b). Without `buffer` (momentum 0): p -= lr g.
    @inline(__always)
    public static func sgd(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, buffer b: UnsafeMutablePointer<Float>?,
                            count: Int, lr: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool, first: Bool) {
        activeKernels.sgdUpdate(parameters: p, gradients: g, buffer: b, count: count, lr: lr, momentum: momentum, dampening: dampening,
                                weightDecay: weightDecay, nesterov: nesterov, first: first)
    }

    /// SGD without momentum on one row of a gradient given as `rank` rows x_r (`rowStride`
    /// apart) and their coefficients (`coefficientStride` apart): p -= lr (g + wd p) with
    /// g = sum of c_r x_r, the bits of making g with `VectorMath.axpy` from zero and calling
    /// `sgd`, without writing g.
    @inline(__always)
    public static func sgdLowRank(parameters p: UnsafeMutablePointer<Float>, coefficients c: UnsafePointer<Float>, coefficientStride: Int,
                                  rows x: UnsafePointer<Float>, rowStride: Int, rank: Int, count: Int, lr: Float, weightDecay: Float) {
        activeKernels.sgdLowRankUpdate(parameters: p, coefficients: c, coefficientStride: coefficientStride, rows: x, rowStride: rowStride,
                                       rank: rank, count: count, lr: lr, weightDecay: weightDecay)
    }

    /// PyTorch's Adam with the step's corrections: g += wd p; m = b1 m + (1 - b1) g;
    /// v = b2 v + (1 - b2) g^2; p -= stepSize m / (sqrt(v) / root2 + eps).
    @inline(__always)
    public static func adam(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                             firstMoments m: UnsafeMutablePointer<Float>, secondMoments v: UnsafeMutablePointer<Float>, count: Int,
                             stepSize: Float, root2: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float) {
        activeKernels.adamUpdate(parameters: p, gradients: g, firstMoments: m, secondMoments: v, count: count, stepSize: stepSize,
                                 root2: root2, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
    }
}

/// Vector kernels over contiguous floats (in the active kernel set) and, in
/// VectorMathValues.swift, the eight-lane value functions (`exp`, `sigmoid`, `squareRoot`).
public enum VectorMath {
    /// The dot product of two contiguous float vectors.
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        activeKernels.dot(x, y, count: count)
    }

    /// y += a x over `count` contiguous floats.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        activeKernels.axpy(a, x, y, count: count)
    }

    /// out[i] = x[i] sigmoid(x[i]).
    public static func silu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        activeKernels.silu(x, into: out, count: count)
    }

    /// dst (cols x rows) = src (rows x cols) transposed (8 x 8 blocks in registers where the set
    /// has wide shuffles; the source is in Sources/KernelSource/BinaryInputKernels.swift).
    public static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        activeKernels.transpose(src, rows: rows, cols: cols, into: dst)
    }

    /// out[i] = max(x[i], 0), NaN kept.
    public static func relu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        activeKernels.relu(x, into: out, count: count)
    }

    /// dx[i] = dy[i] where y[i] > 0, else 0: the gradient of ReLU from its output y.
    public static func reluBackward(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        activeKernels.reluBackward(dy, y, into: dx, count: count)
    }

    /// dx[i] = dy[i] s (1 + x (1 - s)) with s = sigmoid(x[i]): the gradient of SiLU.
    public static func siluBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        activeKernels.siluBackward(dy, x, into: dx, count: count)
    }
}

/// The loops of the engine's linear layer on {0,1} inputs, in the active kernel set (see
/// Sources/KernelSource/BinaryInputKernels.swift).
public enum BinaryInputKernels {
    /// dst[0..<length] = start (or 0) + the sum, in order, of the rows `indices[0..<count]` of
    /// `matrix` (rows `stride` apart).
    public static func sumRows(_ matrix: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int32>, count: Int,
                               start: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>, length: Int) {
        activeKernels.sumRows(matrix, stride: stride, indices: indices, count: count, start: start, into: dst, length: length)
    }

    /// Whether x[0..<count] are all zero.
    public static func allZero(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        activeKernels.allZero(x, count: count)
    }

    /// Writes the positions of the non-zero x[j], j < count, to `indices` (ascending) and returns
    /// how many; -1 when some x[j] is neither 0 nor 1.
    public static func bitIndices(_ x: UnsafePointer<Float>, count: Int, into indices: UnsafeMutablePointer<Int32>) -> Int {
        activeKernels.bitIndices(x, count: count, into: indices)
    }
}
