/// What this copy of the kernel sources is built for. The same files are compiled three times,
/// once per kernel set (targets KernelsGeneric, KernelsAVX2, KernelsAVX512 in the manifest,
/// whose folders hold links to these files), each with its own `-target-cpu` and defines
/// (docs/ARCHITECTURE.md, "Kernel sets").

#if KERNELS_AVX512
/// The widest vector of this kernel set: one zmm register (16 floats).
typealias Wide = SIMD16<Float>
#else
/// The widest vector of this kernel set: one ymm register on AVX2 (8 floats); the generic
/// build splits it into two 4-lane halves (SSE on x86-64, NEON on aarch64).
typealias Wide = SIMD8<Float>
#endif

/// acc += x y. A fused multiply-add where the set has FMA; the generic x86-64 build
/// (KERNELS_NO_FMA) writes a multiply and an add, because without FMA hardware LLVM expands a
/// vector fma into one `fmaf` library call per lane.
@inline(__always)
func madd<V: SIMD>(_ acc: inout V, _ x: V, _ y: V) where V.Scalar == Float {
    #if KERNELS_NO_FMA
    acc += x * y
    #else
    acc.addProduct(x, y)
    #endif
}
