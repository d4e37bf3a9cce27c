import Foundation
import PluginAPI

/// The second moments the linear CIFAR experiments need, accumulated in double precision
/// from single-precision matrix products (the engine's matmul) over chunks of images (each chunk's products are exact to
/// float rounding of a few thousand terms; the sum over chunks is in double).
struct CIFARMoments {
    /// Per-pixel mean (3,072) and label mean (10) over the images.
    var pixelMean: [Double], labelMean: [Double]
    /// Centred X^T X (3,072 x 3,072) and centred X^T Y (3,072 x 10) with Y one-hot.
    var gram: DMatrix, cross: DMatrix
    var count: Int

    static let d = 3072, classes = 10

    init(_ set: ByteImages, chunk: Int = 2048) {
        let (d, k, n) = (Self.d, Self.classes, set.count)
        count = n
        var mean = [Double](repeating: 0, count: d), labelMean = [Double](repeating: 0, count: k)
        for i in 0..<n {
            for (q, pixel) in set.pixels[i * d..<(i + 1) * d].enumerated() { mean[q] += Double(pixel) }
        }
        for label in set.labels { labelMean[label] += 1 }
        pixelMean = mean.map { $0 / (255 * Double(max(n, 1))) }
        self.labelMean = labelMean.map { $0 / Double(max(n, 1)) }
        gram = DMatrix(rows: d, columns: d)
        cross = DMatrix(rows: d, columns: k)
        let centredLabels = self.labelMean.map(Float.init)
        var first = 0
        while first < n {
            let range = first..<min(first + chunk, n)
            let x = centred(set, range)
            let y = Tensor(range.flatMap { i in (0..<k).map { c in (set.labels[i] == c ? 1 : 0) - centredLabels[c] } }, shape: [range.count, k])
            let xT = x.T
            for (i, value) in xT.matmul(x).values.enumerated() { gram.values[i] += Double(value) }
            for (i, value) in xT.matmul(y).values.enumerated() { cross.values[i] += Double(value) }
            first = range.upperBound
        }
    }

    /// Images `range` of `set` minus the pixel mean, divided by their channel's std, as
    /// (count, 3072) floats: the starter's `Normalize(mean, std)` then centring, so PCA sees
    /// the same X as the starter's (least squares and CCA do not depend on the scaling).
    func centred(_ set: ByteImages, _ range: Range<Int>) -> Tensor {
        let mean = Tensor(pixelMean.map(Float.init), shape: [1, Self.d])
        let scale = Tensor((0..<Self.d).map { 1 / CIFARBatcher.std[$0 / 1024] }, shape: [1, Self.d])
        return noGrad { (set.rows(range) - mean) * scale }
    }

    /// The centred images of `set` times the columns of `w` (3,072 x m): (count, m).
    func project(_ set: ByteImages, _ w: DMatrix) -> [[Double]] {
        let m = w.columns
        let weights = Tensor(w.values.map(Float.init), shape: [Self.d, m])
        var out: [[Double]] = []
        var first = 0
        while first < set.count {
            let range = first..<min(first + 2048, set.count)
            let y = centred(set, range).matmul(weights).values.map(Double.init)
            for r in 0..<range.count { out.append(Array(y[r * m..<(r + 1) * m])) }
            first = range.upperBound
        }
        return out
    }

    /// The Cholesky factor L of A = `gram + ridge I`, raising the ridge (from `relativeRidge`
    /// times the mean diagonal, 0 allowed) by 100x until the factor exists. Returns L, the
    /// ridge, and A.
    func regularisedCholesky(relativeRidge: Double) -> (factor: DMatrix, ridge: Double, matrix: DMatrix) {
        let scale = (0..<Self.d).reduce(0.0) { $0 + gram[$1, $1] } / Double(Self.d)
        var ridge = relativeRidge * scale
        while true {
            var a = gram
            for i in 0..<Self.d { a.values[i * Self.d + i] += ridge }
            if let l = DoubleLinearAlgebra.cholesky(a) { return (l, ridge, a) }
            ridge = ridge == 0 ? 1e-10 * scale : ridge * 100
        }
    }
}

/// Small dense symmetric eigenproblems and triangular solves.
enum SmallLinearAlgebra {
    /// Eigenvalues (descending) and unit eigenvectors (columns, same order) of a symmetric
    /// matrix by cyclic Jacobi rotations. For the 10 x 10 matrices of CCA.
    static func symmetricEigen(_ input: DMatrix) -> ([Double], DMatrix) {
        let n = input.rows
        var a = input, v = DMatrix(rows: n, columns: n)
        for i in 0..<n { v.values[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p, q] * a[p, q] } }
            if off < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p, q]) > 1e-300 {
                    let theta = (a[q, q] - a[p, p]) / (2 * a[p, q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k, p], a[k, q])
                        a.values[k * n + p] = c * akp - s * akq
                        a.values[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p, k], a[q, k])
                        a.values[p * n + k] = c * apk - s * aqk
                        a.values[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k, p], v[k, q])
                        v.values[k * n + p] = c * vkp - s * vkq
                        v.values[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0, $0] > a[$1, $1] }
        var vectors = DMatrix(rows: n, columns: n)
        for (j, source) in order.enumerated() { for i in 0..<n { vectors.values[i * n + j] = v[i, source] } }
        return (order.map { a[$0, $0] }, vectors)
    }

    /// Solves L y = b (forward) or L^T y = b (backward) for lower-triangular L.
    static func triangularSolve(_ l: DMatrix, _ b: [Double], transposed: Bool) -> [Double] {
        let n = l.rows
        var y = b
        if !transposed {
            for i in 0..<n {
                var s = y[i]
                for j in 0..<i { s -= l[i, j] * y[j] }
                y[i] = s / l[i, i]
            }
        } else {
            for i in stride(from: n - 1, through: 0, by: -1) {
                var s = y[i]
                for j in (i + 1)..<n { s -= l[j, i] * y[j] }
                y[i] = s / l[i, i]
            }
        }
        return y
    }
}
