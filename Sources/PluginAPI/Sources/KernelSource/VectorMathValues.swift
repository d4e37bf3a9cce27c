import Foundation
#if canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

/// Elementwise transcendental functions of eight-lane values, inlined into their callers. This
/// file is compiled into the common module `Kernels` (public, used inline by PluginAPI's layers)
/// and into each kernel set (for `silu`), from one source. Each has a scalar reference beside it
/// (`Foundation.exp`, `sigmoidScalar`), and the tests compare the two over the whole float range
/// that matters.
extension VectorMath {
    /// Square roots of eight lanes in one instruction (`vsqrtps`) on x86: the standard
    /// library's `SIMD8.squareRoot()` takes the lanes one at a time, each with a branch to
    /// `sqrtf` for negative input. Same values (IEEE square root is correctly rounded).
    @inline(__always)
    public static func squareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
        #if canImport(_Builtin_intrinsics.intel) && arch(x86_64) && !KERNELS_NO_FMA
        return _mm256_sqrt_ps(x)
        #else
        return x.squareRoot()
        #endif
    }

    /// e^x for eight lanes: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by a degree-6 polynomial
    /// (Cephes' expf coefficients), 2^n put into the exponent bits. Within 2 ulp of
    /// `Foundation.exp` on [-87, 88]; below -87.3 it returns 0, above 88.3 e^88.3 (finite)
    /// (the callers only feed it into 1 / (1 + e)). NaN stays NaN.
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let (low, high) = (SIMD8<Float>(repeating: -87.3), SIMD8<Float>(repeating: 88.3))
        // Selects rather than `clamped`, which the compiler leaves as a call per vector; NaN
        // lanes pass through here and are restored at the end.
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // n = round(x log2 e) by adding 1.5 * 2^23, which leaves n in the low mantissa bits
        // (vector conversions between Float and Int32 are not vectorized by the compiler).
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = clamped * 1.44269504088896341 + magic
        let n = shifted - magic
        // r = x - n ln 2, with ln 2 split in two so the product is exact.
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * (r * r) + r + 1
        let k = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let bits = (k &+ 127) &<< 23
        let scaled = er * unsafeBitCast(bits, to: SIMD8<Float>.self)
        var out = scaled.replacing(with: 0, where: x .< -87.3)
        out.replace(with: x, where: x .!= x)   // NaN in, NaN out
        return out
    }

    /// The logistic function 1 / (1 + e^-x) for eight lanes.
    @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

}

/// The logistic function 1 / (1 + e^-x), computed without overflow for either sign of x (the
/// scalar reference of `VectorMath.sigmoid`; `torch.sigmoid` on one value).
@inlinable
public func sigmoidScalar(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : { let e = Foundation.exp(x); return e / (1 + e) }()
}
