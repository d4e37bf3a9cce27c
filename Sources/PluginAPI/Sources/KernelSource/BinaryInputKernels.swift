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

    /// dst (cols x rows) = src (rows x cols) transposed, in 16 x 16 tiles.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        let tile = 16
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + tile)
            var c0 = 0
            while c0 < cols {
                let c1 = min(cols, c0 + tile)
                for r in r0..<r1 {
                    let from = src + r * cols
                    for c in c0..<c1 { dst[c * rows + r] = from[c] }
                }
                c0 += tile
            }
            r0 += tile
        }
    }

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
