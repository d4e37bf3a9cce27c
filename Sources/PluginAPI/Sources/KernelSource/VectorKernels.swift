/// The pointer-level vector kernels of `VectorMath` in this kernel set: dot product, axpy, SiLU
/// and its gradient over contiguous floats, `Wide` lanes at a time.
extension VectorMath {
    /// The dot product of two contiguous float vectors (the GEMM's kernel).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        GEMM.dot(x, y, count: count)
    }

    /// y += a x over `count` contiguous floats, `Wide` lanes at a time.
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = Wide
        let va = V(repeating: a)
        var p = 0
        while p + V.scalarCount <= count {
            let out = UnsafeMutableRawPointer(y + p)
            out.storeBytes(of: out.loadUnaligned(as: V.self) + va * UnsafeRawPointer(x + p).loadUnaligned(as: V.self), as: V.self)
            p += V.scalarCount
        }
        while p < count { y[p] += a * x[p]; p += 1 }
    }

    /// out[i] = x[i] sigmoid(x[i]) (eight lanes: `sigmoid` is written for SIMD8).
    static func silu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: v * sigmoid(v), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { out[i] = x[i] * sigmoidScalar(x[i]); i += 1 }
    }

    /// dx[i] = dy[i] s (1 + x (1 - s)) with s = sigmoid(x[i]): the gradient of SiLU.
    static func siluBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
            let s = sigmoid(v)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: g * s * (1 + v * (1 - s)), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { let s = sigmoidScalar(x[i]); dx[i] = dy[i] * s * (1 + x[i] * (1 - s)); i += 1 }
    }

    /// out[i] = max(x[i], 0), NaN kept (as `x < 0 ? 0 : x`).
    static func relu(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = Wide
        var i = 0
        while i + V.scalarCount <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: v.replacing(with: 0, where: v .< 0), as: V.self)
            i += V.scalarCount
        }
        while i < count { out[i] = x[i] < 0 ? 0 : x[i]; i += 1 }
    }

    /// dx[i] = dy[i] where y[i] > 0, else 0: the gradient of ReLU from its output y.
    static func reluBackward(_ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = Wide
        var i = 0
        while i + V.scalarCount <= count {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: V.self), g = UnsafeRawPointer(dy + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: V().replacing(with: g, where: v .> 0), as: V.self)
            i += V.scalarCount
        }
        while i < count { dx[i] = y[i] > 0 ? dy[i] : 0; i += 1 }
    }
}
