import KernelSupport

/// The optimizers' per-parameter loops in this kernel set, `Wide` lanes at a time. Each lane
/// does the scalar update's operations in the same order (no fused multiply-add), so every
/// set gives the same bits as the scalar loop, which is the reference they are tested against.
enum OptimizerKernels {
    /// PyTorch's SGD: g = grad + wd p; b = g on the first step, else momentum b + (1 - dampening) g;
    /// p -= lr (nesterov ? g + momentum b : b). Without `buffer` (momentum 0): p -= lr g.
    static func sgd(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, buffer b: UnsafeMutablePointer<Float>?,
                    count: Int, lr: Float, momentum: Float, dampening: Float, weightDecay wd: Float, nesterov: Bool, first: Bool) {
        typealias V = Wide
        let lanes = V.scalarCount
        var i = 0
        guard let b else {
            while i + lanes <= count {
                let pr = UnsafeMutableRawPointer(p + i), pv = pr.loadUnaligned(as: V.self)
                pr.storeBytes(of: pv - lr * (UnsafeRawPointer(g + i).loadUnaligned(as: V.self) + wd * pv), as: V.self)
                i += lanes
            }
            while i < count { p[i] -= lr * (g[i] + wd * p[i]); i += 1 }
            return
        }
        let keep = 1 - dampening
        while i + lanes <= count {
            let pr = UnsafeMutableRawPointer(p + i), br = UnsafeMutableRawPointer(b + i)
            let pv = pr.loadUnaligned(as: V.self)
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: V.self) + wd * pv
            let bv = first ? gv : momentum * br.loadUnaligned(as: V.self) + keep * gv
            br.storeBytes(of: bv, as: V.self)
            pr.storeBytes(of: pv - lr * (nesterov ? gv + momentum * bv : bv), as: V.self)
            i += lanes
        }
        while i < count {
            let gi = g[i] + wd * p[i]
            b[i] = first ? gi : momentum * b[i] + keep * gi
            p[i] -= lr * (nesterov ? gi + momentum * b[i] : b[i])
            i += 1
        }
    }

    /// SGD without momentum on one row of a low-rank gradient: p -= lr (g + wd p) with
    /// g = the sum over r < rank of c[r * coefficientStride] x[r * rowStride ..< + count], made
    /// in registers by the operations, in the order, of building g with `axpy` from zero and
    /// calling `sgd` without a buffer (the same bits, without writing g).
    static func sgdLowRank(parameters p: UnsafeMutablePointer<Float>, coefficients c: UnsafePointer<Float>, coefficientStride: Int,
                           rows x: UnsafePointer<Float>, rowStride: Int, rank: Int, count: Int, lr: Float, weightDecay wd: Float) {
        typealias V = Wide
        let lanes = V.scalarCount
        var i = 0
        @inline(__always) func load(_ row: Int) -> V { UnsafeRawPointer(x + row * rowStride + i).loadUnaligned(as: V.self) }
        @inline(__always) func step(_ g: V) {
            let pr = UnsafeMutableRawPointer(p + i), pv = pr.loadUnaligned(as: V.self)
            pr.storeBytes(of: pv - lr * (g + wd * pv), as: V.self)
        }
        // Ranks 1 and 2 (one or two images) written out with their coefficients in registers.
        let c0 = V(repeating: c[0]), c1 = V(repeating: rank > 1 ? c[coefficientStride] : 0)
        switch rank {
        case 1:
            while i + lanes <= count { step(V() + c0 * load(0)); i += lanes }
        case 2:
            while i + lanes <= count { step((V() + c0 * load(0)) + c1 * load(1)); i += lanes }
        default:
            while i + lanes <= count {
                var g = V()
                for r in 0..<rank { g = g + V(repeating: c[r * coefficientStride]) * load(r) }
                step(g)
                i += lanes
            }
        }
        while i < count {
            var g: Float = 0
            for r in 0..<rank { g += c[r * coefficientStride] * x[r * rowStride + i] }
            p[i] -= lr * (g + wd * p[i])
            i += 1
        }
    }

    /// PyTorch's Adam with the step's corrections: g += wd p; m = b1 m + (1 - b1) g;
    /// v = b2 v + (1 - b2) g^2; p -= stepSize m / (sqrt(v) / root2 + eps). Eight lanes at a time
    /// (`VectorMath.squareRoot` is written for SIMD8).
    static func adam(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                     firstMoments m: UnsafeMutablePointer<Float>, secondMoments v: UnsafeMutablePointer<Float>, count: Int,
                     stepSize: Float, root2: Float, beta1 b1: Float, beta2 b2: Float, eps: Float, weightDecay wd: Float) {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= count {
            let pr = UnsafeMutableRawPointer(p + i), mr = UnsafeMutableRawPointer(m + i), vr = UnsafeMutableRawPointer(v + i)
            let pv = pr.loadUnaligned(as: V.self)
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: V.self) + wd * pv
            let mv = b1 * mr.loadUnaligned(as: V.self) + (1 - b1) * gv
            let vv = b2 * vr.loadUnaligned(as: V.self) + (1 - b2) * gv * gv
            mr.storeBytes(of: mv, as: V.self); vr.storeBytes(of: vv, as: V.self)
            pr.storeBytes(of: pv - stepSize * mv / (VectorMath.squareRoot(vv) / root2 + eps), as: V.self)
            i += 8
        }
        while i < count {
            let gi = g[i] + wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            p[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
            i += 1
        }
    }
}
