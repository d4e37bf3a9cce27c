import Foundation

/// A dense row-major matrix of Doubles, for the solves that single precision cannot do
/// (kernel regression with a nearly constant kernel matrix).
public struct DMatrix: Equatable, Sendable {
    public var rows: Int, columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "DMatrix: \(values.count) values for \(rows) x \(columns)")
        self.rows = rows; self.columns = columns; self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.init(rows: rows, columns: columns, values: [Double](repeating: value, count: rows * columns))
    }

    public subscript(i: Int, j: Int) -> Double {
        get { values[i * columns + j] }
        set { values[i * columns + j] = newValue }
    }

    /// Row i as an array.
    public func row(_ i: Int) -> [Double] { Array(values[i * columns..<(i + 1) * columns]) }
}

/// Double-precision kernels: A B^T, Cholesky and LU solves, with naive references in the tests.
public enum DoubleLinearAlgebra {
    /// Dot product of two contiguous vectors, four 4-wide accumulators.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
        typealias V = SIMD4<Double>
        var (s0, s1, s2, s3) = (V(), V(), V(), V())
        let (rx, ry) = (UnsafeRawPointer(x), UnsafeRawPointer(y))
        var p = 0
        while p + 16 <= count {
            s0.addProduct(rx.loadUnaligned(fromByteOffset: p * 8, as: V.self), ry.loadUnaligned(fromByteOffset: p * 8, as: V.self))
            s1.addProduct(rx.loadUnaligned(fromByteOffset: p * 8 + 32, as: V.self), ry.loadUnaligned(fromByteOffset: p * 8 + 32, as: V.self))
            s2.addProduct(rx.loadUnaligned(fromByteOffset: p * 8 + 64, as: V.self), ry.loadUnaligned(fromByteOffset: p * 8 + 64, as: V.self))
            s3.addProduct(rx.loadUnaligned(fromByteOffset: p * 8 + 96, as: V.self), ry.loadUnaligned(fromByteOffset: p * 8 + 96, as: V.self))
            p += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while p < count { sum += x[p] * y[p]; p += 1 }
        return sum
    }

    /// A B^T for A (m x d) and B (n x d): every entry a dot product of two rows; rows of the
    /// result split over the worker pool.
    public static func multiplyTransposed(_ a: DMatrix, _ b: DMatrix, pool: WorkerPool = .shared) -> DMatrix {
        precondition(a.columns == b.columns, "A B^T needs rows of the same length")
        var out = DMatrix(rows: a.rows, columns: b.rows)
        let d = a.columns, n = b.rows
        a.values.withUnsafeBufferPointer { ap in
            b.values.withUnsafeBufferPointer { bp in
                out.values.withUnsafeMutableBufferPointer { op in
                    let (ap, bp, op) = (ap.baseAddress.unsafelyUnwrapped, bp.baseAddress.unsafelyUnwrapped, op.baseAddress.unsafelyUnwrapped)
                    pool.parallelRanges(a.rows, grain: max(1, 4096 / max(n, 1))) { range in
                        for i in range { for j in 0..<n { op[i * n + j] = dot(ap + i * d, bp + j * d, d) } }
                    }
                }
            }
        }
        return out
    }

    /// The lower-triangular L with L L^T = A, or nil when A is not (numerically) positive
    /// definite. Blocked, right-looking: factor a 64-wide diagonal block, solve the panel below
    /// it, subtract the panel's outer product from the trailing matrix (dot products of
    /// contiguous 64-long row pieces, rows over the worker pool), go on with the trailing matrix.
    public static func cholesky(_ a: DMatrix, pool: WorkerPool = .shared) -> DMatrix? {
        precondition(a.rows == a.columns, "Cholesky needs a square matrix")
        let n = a.rows, nb = 64
        var l = a
        var failed = false
        l.values.withUnsafeMutableBufferPointer { lp in
            let lp = lp.baseAddress.unsafelyUnwrapped
            var kb = 0
            while kb < n {
                let b = Swift.min(nb, n - kb)
                // 1. The diagonal block, unblocked (its trailing updates are already applied).
                for c in 0..<b {
                    let row = lp + (kb + c) * n + kb
                    let pivot = row[c] - dot(row, row, c)
                    guard pivot > 0, pivot.isFinite else { failed = true; return }
                    row[c] = pivot.squareRoot()
                    for r in c + 1..<b {
                        let other = lp + (kb + r) * n + kb
                        other[c] = (other[c] - dot(other, row, c)) / row[c]
                    }
                }
                let below = n - kb - b
                guard below > 0 else { break }
                // 2. The panel: each row below solves against the block's rows.
                pool.parallelRanges(below, grain: Swift.max(16, below / 32)) { range in
                    for r in range {
                        let row = lp + (kb + b + r) * n + kb
                        for c in 0..<b {
                            let diagonalRow = lp + (kb + c) * n + kb
                            row[c] = (row[c] - dot(row, diagonalRow, c)) / diagonalRow[c]
                        }
                    }
                }
                // 3. The trailing update A22 -= L21 L21^T, lower triangle only. L21 is copied
                //    transposed (b x below) so each output row is updated 16 columns at a time
                //    from contiguous rows of it, with no horizontal sums.
                let panel = UnsafeMutablePointer<Double>.allocate(capacity: b * below)
                defer { panel.deallocate() }
                for r in 0..<below { for c in 0..<b { panel[c * below + r] = lp[(kb + b + r) * n + kb + c] } }
                // Rows in groups of 64, columns in chunks of 256: a 64 x 256 piece of the panel
                // (128 KB) stays in L2 while the group's rows pass over it.
                let chunk = 256
                pool.parallelRanges(below, grain: 64) { range in
                    var j0 = 0
                    while j0 < range.upperBound {
                        var r = Swift.max(range.lowerBound, j0)
                        while r < range.upperBound {
                            let end = Swift.min(j0 + chunk, r + 1)
                            if r + 1 < range.upperBound {
                                // Two rows share each load of the panel; the second row's one
                                // extra column (its diagonal side) is done alone.
                                let first: UnsafeMutablePointer<Double> = lp + (kb + b + r) * n + kb
                                let second: UnsafeMutablePointer<Double> = first + n
                                trailingRowPairUpdate(rows: (first + b + j0, second + b + j0), factors: (UnsafePointer(first), UnsafePointer(second)),
                                                      panel: panel + j0, stride: below, count: end - j0, depth: b)
                                let end2 = Swift.min(j0 + chunk, r + 2)
                                if end2 > end {
                                    trailingRowUpdate(row: second + b + end, factors: second, panel: panel + end, stride: below, count: end2 - end, depth: b)
                                }
                                r += 2
                            } else {
                                trailingRowUpdate(row: lp + (kb + b + r) * n + kb + b + j0, factors: lp + (kb + b + r) * n + kb,
                                                  panel: panel + j0, stride: below, count: end - j0, depth: b)
                                r += 1
                            }
                        }
                        j0 += chunk
                    }
                }
                kb += b
            }
            // Zero the upper triangle.
            for i in 0..<n { for j in i + 1..<n { lp[i * n + j] = 0 } }
        }
        return failed ? nil : l
    }

    /// row[0..<count] -= sum over c < depth of factors[c] * panel[c * stride + 0..<count].
    @inline(__always)
    static func trailingRowUpdate(row: UnsafeMutablePointer<Double>, factors: UnsafePointer<Double>, panel: UnsafePointer<Double>,
                                  stride: Int, count: Int, depth: Int) {
        typealias V = SIMD4<Double>
        var j = 0
        while j + 16 <= count {
            let out = UnsafeMutableRawPointer(row + j)
            var (a0, a1, a2, a3) = (out.loadUnaligned(as: V.self), out.loadUnaligned(fromByteOffset: 32, as: V.self),
                                    out.loadUnaligned(fromByteOffset: 64, as: V.self), out.loadUnaligned(fromByteOffset: 96, as: V.self))
            for c in 0..<depth {
                let f = V(repeating: -factors[c])
                let p = UnsafeRawPointer(panel + c * stride + j)
                a0.addProduct(f, p.loadUnaligned(as: V.self)); a1.addProduct(f, p.loadUnaligned(fromByteOffset: 32, as: V.self))
                a2.addProduct(f, p.loadUnaligned(fromByteOffset: 64, as: V.self)); a3.addProduct(f, p.loadUnaligned(fromByteOffset: 96, as: V.self))
            }
            out.storeBytes(of: a0, as: V.self); out.storeBytes(of: a1, toByteOffset: 32, as: V.self)
            out.storeBytes(of: a2, toByteOffset: 64, as: V.self); out.storeBytes(of: a3, toByteOffset: 96, as: V.self)
            j += 16
        }
        while j < count {
            var sum = row[j]
            for c in 0..<depth { sum -= factors[c] * panel[c * stride + j] }
            row[j] = sum
            j += 1
        }
    }

    /// `trailingRowUpdate` for two rows over the same `count` columns.
    @inline(__always)
    static func trailingRowPairUpdate(rows: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
                                      factors: (UnsafePointer<Double>, UnsafePointer<Double>),
                                      panel: UnsafePointer<Double>, stride: Int, count: Int, depth: Int) {
        typealias V = SIMD4<Double>
        var j = 0
        while j + 16 <= count {
            let (o0, o1) = (UnsafeMutableRawPointer(rows.0 + j), UnsafeMutableRawPointer(rows.1 + j))
            var (a0, a1, a2, a3) = (o0.loadUnaligned(as: V.self), o0.loadUnaligned(fromByteOffset: 32, as: V.self),
                                    o0.loadUnaligned(fromByteOffset: 64, as: V.self), o0.loadUnaligned(fromByteOffset: 96, as: V.self))
            var (b0, b1, b2, b3) = (o1.loadUnaligned(as: V.self), o1.loadUnaligned(fromByteOffset: 32, as: V.self),
                                    o1.loadUnaligned(fromByteOffset: 64, as: V.self), o1.loadUnaligned(fromByteOffset: 96, as: V.self))
            for c in 0..<depth {
                let (f, g) = (V(repeating: -factors.0[c]), V(repeating: -factors.1[c]))
                let p = UnsafeRawPointer(panel + c * stride + j)
                let (p0, p1) = (p.loadUnaligned(as: V.self), p.loadUnaligned(fromByteOffset: 32, as: V.self))
                let (p2, p3) = (p.loadUnaligned(fromByteOffset: 64, as: V.self), p.loadUnaligned(fromByteOffset: 96, as: V.self))
                a0.addProduct(f, p0); a1.addProduct(f, p1); a2.addProduct(f, p2); a3.addProduct(f, p3)
                b0.addProduct(g, p0); b1.addProduct(g, p1); b2.addProduct(g, p2); b3.addProduct(g, p3)
            }
            o0.storeBytes(of: a0, as: V.self); o0.storeBytes(of: a1, toByteOffset: 32, as: V.self)
            o0.storeBytes(of: a2, toByteOffset: 64, as: V.self); o0.storeBytes(of: a3, toByteOffset: 96, as: V.self)
            o1.storeBytes(of: b0, as: V.self); o1.storeBytes(of: b1, toByteOffset: 32, as: V.self)
            o1.storeBytes(of: b2, toByteOffset: 64, as: V.self); o1.storeBytes(of: b3, toByteOffset: 96, as: V.self)
            j += 16
        }
        if j < count {
            trailingRowUpdate(row: rows.0 + j, factors: factors.0, panel: panel + j, stride: stride, count: count - j, depth: depth)
            trailingRowUpdate(row: rows.1 + j, factors: factors.1, panel: panel + j, stride: stride, count: count - j, depth: depth)
        }
    }

    /// The unblocked Cholesky factorisation, row by row: the reference for `cholesky`.
    public static func choleskyReference(_ a: DMatrix, pool: WorkerPool = .shared) -> DMatrix? {
        precondition(a.rows == a.columns, "Cholesky needs a square matrix")
        let n = a.rows
        var l = DMatrix(rows: n, columns: n)
        var failed = false
        l.values.withUnsafeMutableBufferPointer { lp in
            let lp = lp.baseAddress.unsafelyUnwrapped
            for j in 0..<n {
                let pivot = a[j, j] - dot(lp + j * n, lp + j * n, j)
                guard pivot > 0, pivot.isFinite else { failed = true; return }
                let diagonal = pivot.squareRoot()
                lp[j * n + j] = diagonal
                let below = n - j - 1
                let body = { (i: Int) in lp[i * n + j] = (a.values[i * n + j] - dot(lp + i * n, lp + j * n, j)) / diagonal }
                if below * j > 1 << 16 {
                    pool.parallelRanges(below, grain: max(8, below / 16)) { range in for r in range { body(j + 1 + r) } }
                } else {
                    for i in j + 1..<n { body(i) }
                }
            }
        }
        return failed ? nil : l
    }

    /// Solves L L^T x = b given the Cholesky factor L (both passes as dot products of
    /// contiguous rows: of L forwards, of a transposed copy of L backwards).
    public static func choleskySolve(_ l: DMatrix, _ b: [Double]) -> [Double] {
        choleskySolve(l, transposed: transpose(l), b)
    }

    /// `choleskySolve` with L^T given (for repeated solves with one factor).
    public static func choleskySolve(_ l: DMatrix, transposed lt: DMatrix, _ b: [Double]) -> [Double] {
        let n = l.rows
        var y = b
        l.values.withUnsafeBufferPointer { lp in
            lt.values.withUnsafeBufferPointer { tp in
                y.withUnsafeMutableBufferPointer { yp in
                    let (lp, tp, yp) = (lp.baseAddress.unsafelyUnwrapped, tp.baseAddress.unsafelyUnwrapped, yp.baseAddress.unsafelyUnwrapped)
                    for i in 0..<n { yp[i] = (yp[i] - dot(lp + i * n, yp, i)) / lp[i * n + i] }
                    for i in stride(from: n - 1, through: 0, by: -1) {
                        yp[i] = (yp[i] - dot(tp + i * n + i + 1, yp + i + 1, n - i - 1)) / tp[i * n + i]
                    }
                }
            }
        }
        return y
    }

    /// The transpose.
    public static func transpose(_ a: DMatrix) -> DMatrix {
        var t = DMatrix(rows: a.columns, columns: a.rows)
        let tile = 32
        for i0 in stride(from: 0, to: a.rows, by: tile) {
            for j0 in stride(from: 0, to: a.columns, by: tile) {
                for i in i0..<Swift.min(i0 + tile, a.rows) {
                    for j in j0..<Swift.min(j0 + tile, a.columns) { t.values[j * a.rows + i] = a.values[i * a.columns + j] }
                }
            }
        }
        return t
    }

    /// Solves A x = b by LU with partial pivoting; nil when A is singular.
    public static func luSolve(_ a: DMatrix, _ b: [Double]) -> [Double]? {
        precondition(a.rows == a.columns && b.count == a.rows, "LU solve needs a square matrix and a matching right side")
        let n = a.rows
        var m = a, x = b
        for col in 0..<n {
            var pivotRow = col
            for r in col + 1..<n where abs(m[r, col]) > abs(m[pivotRow, col]) { pivotRow = r }
            guard m[pivotRow, col] != 0, m[pivotRow, col].isFinite else { return nil }
            if pivotRow != col {
                for c in 0..<n { m.values.swapAt(col * n + c, pivotRow * n + c) }
                x.swapAt(col, pivotRow)
            }
            for r in col + 1..<n {
                let factor = m[r, col] / m[col, col]
                if factor == 0 { continue }
                for c in col..<n { m[r, c] -= factor * m[col, c] }
                x[r] -= factor * x[col]
            }
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = x[i]
            for c in i + 1..<n { s -= m[i, c] * x[c] }
            x[i] = s / m[i, i]
        }
        return x
    }

    /// A x.
    public static func multiply(_ a: DMatrix, _ x: [Double]) -> [Double] {
        (0..<a.rows).map { i in a.values.withUnsafeBufferPointer { ap in x.withUnsafeBufferPointer { xp in
            dot(ap.baseAddress.unsafelyUnwrapped + i * a.columns, xp.baseAddress.unsafelyUnwrapped, a.columns) } } }
    }

    /// ||A x - b|| / ||b||.
    public static func relativeResidual(_ a: DMatrix, _ x: [Double], _ b: [Double]) -> Double {
        let r = zip(multiply(a, x), b).map { $0 - $1 }
        let norm = { (v: [Double]) in v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        return norm(r) / max(norm(b), .leastNormalMagnitude)
    }

    /// The 2-norm condition number of a symmetric positive definite matrix from its Cholesky
    /// factor: the largest eigenvalue by power iteration over the smallest by inverse
    /// iteration (a few dozen steps: an estimate, good to a few digits).
    public static func conditionNumber(_ a: DMatrix, cholesky l: DMatrix, iterations: Int? = nil) -> Double {
        // Each inverse iteration reads all of L twice: fewer of them for large matrices.
        let iterations = iterations ?? (a.rows <= 1000 ? 40 : 15)
        let n = a.rows
        let lt = transpose(l)
        func normalized(_ v: [Double]) -> [Double] { let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / s } }
        var v = normalized((0..<n).map { Double(($0 * 7919) % 101) + 1 })
        var largest = 0.0
        for _ in 0..<iterations { let w = multiply(a, v); largest = zip(w, v).reduce(0) { $0 + $1.0 * $1.1 }; v = normalized(w) }
        var u = normalized((0..<n).map { Double(($0 * 104_729) % 97) + 1 })
        var inverse = 0.0
        for _ in 0..<iterations { let w = choleskySolve(l, transposed: lt, u); inverse = zip(w, u).reduce(0) { $0 + $1.0 * $1.1 }; u = normalized(w) }
        return largest * inverse
    }
}
