/// The SIMD loops of Parity's fused two-layer ReLU step (explicit 8-wide vectors: the plain
/// loops did not vectorise, measured at about 11 G operations/s). Counts are multiples of 8, so
/// these stay eight lanes wide in every kernel set. Built without Swift's checks like the other kernels; the fused trainer that calls them is
/// tested against the autograd path of the same network.
enum ReLUNetKernels {
    typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// dst = start + sum of the rows `indices` of `matrix` (row length `stride`), 32 floats at a
    /// time held in four registers, so each block is stored once.
    static func sumColumns(_ matrix: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int, stride: Int,
                           start: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>, length: Int) {
        var block = 0
        while block < length {
            var (a0, a1, a2, a3) = (V(), V(), V(), V())
            if let start { (a0, a1, a2, a3) = (load(start + block), load(start + block + 8), load(start + block + 16), load(start + block + 24)) }
            for c in 0..<count {
                let p = matrix + Int(indices[c]) * stride + block
                a0 += load(p); a1 += load(p + 8); a2 += load(p + 16); a3 += load(p + 24)
            }
            store(a0, dst + block); store(a1, dst + block + 8); store(a2, dst + block + 16); store(a3, dst + block + 24)
            block += 32
        }
    }

    /// dst += src, two vectors per iteration.
    static func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            store(load(dst + i) + load(src + i), dst + i)
            store(load(dst + i + 8) + load(src + i + 8), dst + i + 8)
            i += 16
        }
        while i < count { store(load(dst + i) + load(src + i), dst + i); i += 8 }
    }

    /// sum_i a_i max(x_i, 0).
    static func reluDot(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = V(), i = 0
        while i < count {
            let v = load(x + i)
            madd(&acc, load(a + i), v.replacing(with: 0, where: v .< 0))
            i += 8
        }
        return acc.sum()
    }

    /// gAlpha += df relu(pre); pre becomes delta = df alpha 1{pre > 0}; gB += delta.
    static func hingeBackward(_ pre: UnsafeMutablePointer<Float>, alpha: UnsafePointer<Float>, df: Float,
                              gAlpha: UnsafeMutablePointer<Float>, gB: UnsafeMutablePointer<Float>, count: Int) {
        let vdf = V(repeating: df)
        var i = 0
        while i < count {
            let z = load(pre + i)
            let on = z .> 0
            store(load(gAlpha + i) + vdf * V().replacing(with: z, where: on), gAlpha + i)
            let delta = V().replacing(with: vdf * load(alpha + i), where: on)
            store(delta, pre + i)
            store(load(gB + i) + delta, gB + i)
            i += 8
        }
    }

    /// Writes the positions of the non-zero values of x[0..<count] to `indices`; returns how many.
    static func nonzeroIndices(_ x: UnsafePointer<Float>, count: Int, into indices: UnsafeMutablePointer<Int32>) -> Int {
        var found = 0
        for j in 0..<count where x[j] != 0 { indices[found] = Int32(truncatingIfNeeded: j); found += 1 }
        return found
    }

    /// Writes the samples s in `rows` with `selected[s]` whose input `column` is non-zero (x is
    /// row-major, `inputs` per sample) to `samples`; returns how many.
    static func samplesWithInput(_ column: Int, of x: UnsafePointer<Float>, inputs: Int, rows: Range<Int>,
                                        where selected: UnsafePointer<Bool>, into samples: UnsafeMutablePointer<Int32>) -> Int {
        var found = 0
        for s in rows where selected[s] && x[s * inputs + column] != 0 { samples[found] = Int32(truncatingIfNeeded: s); found += 1 }
        return found
    }
}
