/// The loops behind the engine's linear layer on {0,1} inputs (`Engine/Tensor/BinaryLinear.swift`):
/// when an input row is bits, x W^T is the sum of W's columns where x is 1, and the weight
/// gradient adds each sample's output gradient only into the columns of its active inputs.
/// Explicit 8-wide vectors (the plain loops did not vectorise), four at a time so a 32-float
/// block of the sum stays in registers over all the summed rows; built without Swift's checks
/// like the other kernels and tested against scalar loops in every kernel set.
enum BinaryInputKernels {
    typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// dst[0..<length] = start (or 0) + the sum, in order, of the rows `indices[0..<count]` of
    /// `matrix` (rows `stride` apart).
    static func sumRows(_ matrix: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int32>, count: Int,
                        start: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>, length: Int) {
        // Blocks of 64, 32 or 8 floats held in registers over all the rows; a length that is
        // not a multiple ends with one block overlapping the previous one, which recomputes a
        // few sums in the same order (the same values) instead of a slow narrow tail.
        for width in [64, 32, 8] where length >= width {
            var block = 0
            while block + width <= length {
                sumBlock(width, at: block, matrix, stride: stride, indices: indices, count: count, start: start, into: dst)
                block += width
            }
            if block < length { sumBlock(width, at: length - width, matrix, stride: stride, indices: indices, count: count, start: start, into: dst) }
            return
        }
        for i in 0..<length {
            var a = start?[i] ?? 0
            for c in 0..<count { a += matrix[Int(indices[c]) * stride + i] }
            dst[i] = a
        }
    }

    /// One block of `sumRows`: dst[at..<at+width] for width 64 (eight independent sums, which
    /// keep the adds' latency hidden), 32 or 8.
    @inline(__always)
    private static func sumBlock(_ width: Int, at block: Int, _ matrix: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int32>,
                                 count: Int, start: UnsafePointer<Float>?, into dst: UnsafeMutablePointer<Float>) {
        let o = dst + block
        switch width {
        case 64:
            var a = (V(), V(), V(), V(), V(), V(), V(), V())
            if let start {
                let p = start + block
                a = (load(p), load(p + 8), load(p + 16), load(p + 24), load(p + 32), load(p + 40), load(p + 48), load(p + 56))
            }
            for c in 0..<count {
                let p = matrix + Int(indices[c]) * stride + block
                a.0 += load(p); a.1 += load(p + 8); a.2 += load(p + 16); a.3 += load(p + 24)
                a.4 += load(p + 32); a.5 += load(p + 40); a.6 += load(p + 48); a.7 += load(p + 56)
            }
            store(a.0, o); store(a.1, o + 8); store(a.2, o + 16); store(a.3, o + 24)
            store(a.4, o + 32); store(a.5, o + 40); store(a.6, o + 48); store(a.7, o + 56)
        case 32:
            var a = (V(), V(), V(), V())
            if let start { let p = start + block; a = (load(p), load(p + 8), load(p + 16), load(p + 24)) }
            for c in 0..<count {
                let p = matrix + Int(indices[c]) * stride + block
                a.0 += load(p); a.1 += load(p + 8); a.2 += load(p + 16); a.3 += load(p + 24)
            }
            store(a.0, o); store(a.1, o + 8); store(a.2, o + 16); store(a.3, o + 24)
        default:
            var a = start.map { load($0 + block) } ?? V()
            for c in 0..<count { a += load(matrix + Int(indices[c]) * stride + block) }
            store(a, o)
        }
    }

    /// Whether x[0..<count] are all zero.
    static func allZero(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if any(load(x + i) .!= 0) { return false }
            i += 8
        }
        while i < count { if x[i] != 0 { return false }; i += 1 }
        return true
    }

    /// dst (cols x rows) = src (rows x cols) transposed: 8 x 8 blocks in registers (three
    /// rounds of interleaving rows i and i + 4 transpose a block), the edges one value at a
    /// time; the generic set (SSE2, no wide shuffles) copies value by value.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        var r0 = 0
        #if !KERNELS_GENERIC
        while r0 + 8 <= rows {
            var c0 = 0
            while c0 + 8 <= cols {
                let p = src + r0 * cols + c0
                var r = (load(p), load(p + cols), load(p + 2 * cols), load(p + 3 * cols),
                         load(p + 4 * cols), load(p + 5 * cols), load(p + 6 * cols), load(p + 7 * cols))
                for _ in 0..<3 {
                    r = (interleaveLow(r.0, r.4), interleaveHigh(r.0, r.4), interleaveLow(r.1, r.5), interleaveHigh(r.1, r.5),
                         interleaveLow(r.2, r.6), interleaveHigh(r.2, r.6), interleaveLow(r.3, r.7), interleaveHigh(r.3, r.7))
                }
                let o = dst + c0 * rows + r0
                store(r.0, o); store(r.1, o + rows); store(r.2, o + 2 * rows); store(r.3, o + 3 * rows)
                store(r.4, o + 4 * rows); store(r.5, o + 5 * rows); store(r.6, o + 6 * rows); store(r.7, o + 7 * rows)
                c0 += 8
            }
            for r in r0..<r0 + 8 { for c in c0..<cols { dst[c * rows + r] = src[r * cols + c] } }
            r0 += 8
        }
        #endif
        for r in r0..<rows { for c in 0..<cols { dst[c * rows + r] = src[r * cols + c] } }
    }

    #if !KERNELS_GENERIC
    /// (a0, b0, a1, b1, a2, b2, a3, b3) and (a4, b4, ..., a7, b7): one shuffle each.
    @inline(__always) static func interleaveLow(_ a: V, _ b: V) -> V { V(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]) }
    @inline(__always) static func interleaveHigh(_ a: V, _ b: V) -> V { V(a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7]) }
    #endif

    /// Writes the positions j of the non-zero x[j], j < count, to `indices` (ascending) and
    /// returns how many; returns -1 when some x[j] is neither 0 nor 1. No branch per value.
    static func bitIndices(_ x: UnsafePointer<Float>, count: Int, into indices: UnsafeMutablePointer<Int32>) -> Int {
        var found = 0, other = 0
        for j in 0..<count {
            let v = x[j]
            indices[found] = Int32(truncatingIfNeeded: j)
            let nonzero = v != 0 ? 1 : 0
            found += nonzero
            other |= nonzero & (v != 1 ? 1 : 0)
        }
        return other != 0 ? -1 : found
    }
}
