/// The entry points every kernel set provides. The kernel sources (Sources/KernelSource) are
/// compiled once per set, each into its own module with its own `-target-cpu`
/// (KernelsGeneric, KernelsAVX2, KernelsAVX512), and each module's `Implementation` conforms to
/// this protocol; the facade types in `Kernels` (`GEMM`, `VectorMath`, `ReLUNetKernels`) forward
/// to the set chosen at start-up (`KernelSet.active`). Contracts are those of the facade's
/// functions of the same names.
public protocol KernelSetImplementation {
    /// The set's name as `HOST_KERNELS` spells it: "generic", "avx2" or "avx512".
    static var name: String { get }
    /// Floats in the widest vector the set's kernels use (8 for generic and AVX2, 16 for AVX-512).
    static var vectorWidth: Int { get }
    /// Columns of the packed GEMM micro-kernel's tile (two vectors).
    static var gemmTileColumns: Int { get }

    /// C (m x n) = alpha op(A) op(B) + beta C, row-major (`GEMM.sgemm`).
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: WorkerPool)
    /// C = alpha A Bᵀ + beta C on the few-rows path with a hook before each row of B
    /// (`GEMM.fewRowsDotTransposed`); false for shapes that path does not serve.
    static func fewRowsDotTransposed(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                     b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                                     pool: WorkerPool, beforeRow: (Int) -> Void) -> Bool
    /// C (6 x 16) = packed A panel . packed B panel (`GEMM.panelProduct6x16`).
    static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, ldc: Int)
    /// The same, storing the first `rows` rows.
    static func panelProduct6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int)
    /// C (rows x 16) = A's 6-row panels, one after another, . one B panel (`GEMM.panelProducts6x16`).
    static func panelProducts6x16(kc: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>,
                                  c: UnsafeMutablePointer<Float>, ldc: Int)

    /// C_b (rows x columns) (+)= A_b · B_bᵀ for `batch` pairs of row-major matrices with rows of
    /// `length` (`GEMM.rowDotProducts`).
    static func rowDotProducts(batch: Int, a: UnsafePointer<Float>, rows: Int, b: UnsafePointer<Float>, columns: Int,
                               length: Int, accumulate: Bool, into c: UnsafeMutablePointer<Float>, pool: WorkerPool)

    /// V = the Winograd input tiles (Bᵀ d B) of images first..<first+count, stored as `layout` says.
    static func winogradInput(_ plan: WinogradPlan, _ x: UnsafePointer<Float>, first: Int, count: Int,
                              into v: UnsafeMutablePointer<Float>, layout: WinogradTileLayout, pool: WorkerPool)
    /// out = the output tiles (Aᵀ M A) plus the channel's bias, M being [ξ][channel][rowLength].
    static func winogradOutput(_ plan: WinogradPlan, _ m: UnsafePointer<Float>, rowLength: Int, bias: UnsafePointer<Float>?,
                               first: Int, count: Int, into out: UnsafeMutablePointer<Float>, pool: WorkerPool)
    /// Z = the output gradient's tiles (A dy Aᵀ), the adjoint of `winogradOutput`.
    static func winogradOutputGradient(_ plan: WinogradPlan, _ grad: UnsafePointer<Float>, first: Int, count: Int,
                                       into z: UnsafeMutablePointer<Float>, layout: WinogradTileLayout, pool: WorkerPool)

    /// PyTorch's SGD update of `count` parameters in place (`Optimizers.sgd` in Kernels).
    static func sgdUpdate(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, buffer b: UnsafeMutablePointer<Float>?,
                          count: Int, lr: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool, first: Bool)
    /// SGD without momentum on one row of a low-rank gradient (`Optimizers.sgdLowRank` in Kernels).
    static func sgdLowRankUpdate(parameters p: UnsafeMutablePointer<Float>, coefficients c: UnsafePointer<Float>, coefficientStride: Int,
                                 rows x: UnsafePointer<Float>, rowStride: Int, rank: Int, count: Int, lr: Float, weightDecay: Float)
    /// PyTorch's Adam update of `count` parameters in place (`Optimizers.adam` in Kernels).
    static func adamUpdate(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                           firstMoments m: UnsafeMutablePointer<Float>, secondMoments v: UnsafeMutablePointer<Float>, count: Int,
                           stepSize: Float, root2: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float)

    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int)
    static func silu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int)
    static func relu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int)
    static func reluBackward(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int)
    static func siluBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int)

    static func sumRows(_ matrix: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int32>, count: Int,
                        start: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>, length: Int)
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>)
    static func allZero(_ x: UnsafePointer<Float>, count: Int) -> Bool
    static func bitIndices(_ x: UnsafePointer<Float>, count: Int, into indices: UnsafeMutablePointer<Int32>) -> Int
}
