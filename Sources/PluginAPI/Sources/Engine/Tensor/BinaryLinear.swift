import Formats
import Kernels
import KernelSupport

/// The linear layer on {0,1} inputs (one-hot codes, bit vectors such as the Parity
/// assignment's): when every value of x is 0 or 1, x Wᵀ is, row by row, the bias plus the sum
/// of W's columns where x is 1, and the weight gradient gᵀ x adds each sample's output
/// gradient only into the columns of its active inputs. `linear` takes this path by itself
/// when x needs no gradient and holds only bits; the dense GEMM path is its reference (the
/// tests compare them) and gives the same values up to float32 summation order.
struct BitRows {
    /// Rows and features of x viewed as (rows, features).
    let rows: Int, features: Int
    /// Row r's active inputs are `indices[offsets[r]..<offsets[r + 1]]`, ascending.
    let offsets: [Int]
    let indices: [Int32]

    /// The active inputs of each row of x, or nil when some value of x is neither 0 nor 1
    /// (a dense input costs one row's scan) or when more than 3/4 of the values are 1 (then
    /// the GEMM is faster).
    init?(_ x: Tensor, rows: Int, features: Int) {
        guard rows > 0, features > 0 else { return nil }
        // The first row's scan stops at its first value that is not a bit, before allocating.
        let first = x.data
        for j in 0..<features where first[j] != 0 && first[j] != 1 { return nil }
        var offsets = [Int](repeating: 0, count: rows + 1)
        var indices = [Int32](repeating: 0, count: rows * features)
        var total = 0
        let ok = indices.withUnsafeMutableBufferPointer { out -> Bool in
            let base = out.baseAddress.unsafelyUnwrapped
            for r in 0..<rows {
                let found = BinaryInputKernels.bitIndices(x.data + r * features, count: features, into: base + total)
                if found < 0 { return false }
                total += found
                offsets[r + 1] = total
            }
            return true
        }
        guard ok, total <= rows * features / 4 * 3 else { return nil }
        self.rows = rows; self.features = features; self.offsets = offsets; self.indices = indices
    }

    /// For each feature j, the rows r whose input j is 1 and that `keep(r)` allows, ascending:
    /// column j's rows are `rows[offsets[j]..<offsets[j + 1]]` (the transposed index lists).
    func columns(keeping keep: (Int) -> Bool) -> (offsets: [Int], rows: [Int32]) {
        var counts = [Int](repeating: 0, count: features + 1)
        var kept = [Bool](repeating: false, count: rows)
        for r in 0..<rows where keep(r) {
            kept[r] = true
            for i in offsets[r]..<offsets[r + 1] { counts[Int(indices[i]) + 1] += 1 }
        }
        for j in 0..<features { counts[j + 1] += counts[j] }
        var next = counts, list = [Int32](repeating: 0, count: counts[features])
        for r in 0..<rows where kept[r] {
            for i in offsets[r]..<offsets[r + 1] {
                let j = Int(indices[i])
                list[next[j]] = Int32(truncatingIfNeeded: r)
                next[j] += 1
            }
        }
        return (counts, list)
    }
}

extension Tensor {
    /// out (rows, outFeatures) = bias + the sum of the rows of wᵀ (in, out) named by each row's bits.
    static func bitRowsProduct(_ bits: BitRows, weightT: Tensor, bias: Tensor?, outFeatures: Int, into out: Tensor) {
        let (w, o, b) = (UnsafePointer(weightT.data), out.data, bias.map { UnsafePointer($0.data) })
        bits.indices.withUnsafeBufferPointer { indices in
            let base = indices.baseAddress.unsafelyUnwrapped   // rows * features > 0 entries
            WorkerPool.shared.parallelRanges(bits.rows, grain: Swift.max(1, bits.rows / 8)) { range in
                for r in range {
                    let start = bits.offsets[r]
                    BinaryInputKernels.sumRows(w, stride: outFeatures, indices: base + start, count: bits.offsets[r + 1] - start,
                                               start: b, into: o + r * outFeatures, length: outFeatures)
                }
            }
        }
    }

    /// gWᵀ (in, out): row j is the sum of g's rows (rows, out) whose input j is 1; rows of g
    /// that are all zero (samples that pass no gradient, as hinge samples within the margin)
    /// are skipped, which changes no value.
    static func bitRowsWeightGradientT(_ bits: BitRows, g: Tensor, outFeatures: Int) -> Tensor {
        let out = Tensor(zeros: [bits.features, outFeatures], zeroed: false)
        bitRowsWeightGradientT(bits, g: g, outFeatures: outFeatures, into: out)
        return out
    }

    /// `bitRowsWeightGradientT` into `out` (features, outFeatures).
    static func bitRowsWeightGradientT(_ bits: BitRows, g: Tensor, outFeatures: Int, into out: Tensor) {
        let gp = UnsafePointer(g.data)
        let columns = bits.columns { r in !BinaryInputKernels.allZero(gp + r * outFeatures, count: outFeatures) }
        let o = out.data
        columns.rows.withUnsafeBufferPointer { rows in
            guard let base = rows.baseAddress, !rows.isEmpty else { return out.zero_() }
            WorkerPool.shared.parallelRanges(bits.features, grain: Swift.max(1, bits.features / 8)) { range in
                for j in range {
                    let start = columns.offsets[j]
                    BinaryInputKernels.sumRows(gp, stride: outFeatures, indices: base + start, count: columns.offsets[j + 1] - start,
                                               start: nil, into: o + j * outFeatures, length: outFeatures)
                }
            }
        }
    }
}

/// `linear` for x of bits (see `BitRows`): the forward product and the weight and bias
/// gradients; x has no gradient on this path.
func bitLinear(_ x: Tensor, _ bits: BitRows, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = bits.features, outFeatures = weight.shape[0], rows = bits.rows
    let out = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures], zeroed: false)
    let weightT = noGrad { weight.T }
    Tensor.bitRowsProduct(bits, weightT: weightT, bias: bias, outFeatures: outFeatures, into: out)
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return out.recorded("linear", inputs) { g in
        var grads: [Tensor?] = [nil, weight.requiresGrad
            ? Tensor.bitRowsWeightGradientT(bits, g: g, outFeatures: outFeatures).T : nil]
        if let bias { grads.append(bias.requiresGrad ? Tensor.columnSums(g, rows: rows, cols: outFeatures) : nil) }
        return grads
    }
}

extension Tensor {
    /// The sums of the columns of g (rows, cols) as a (cols) tensor, adding rows in order in
    /// float32 (SIMD, as PyTorch sums a bias gradient in float32).
    static func columnSums(_ g: Tensor, rows: Int, cols: Int) -> Tensor {
        let out = Tensor(zeros: [cols], zeroed: false)
        columnSums(g, rows: rows, cols: cols, into: out)
        return out
    }

    /// `columnSums` into `out` (cols).
    static func columnSums(_ g: Tensor, rows: Int, cols: Int, into out: Tensor) {
        let all = (0..<rows).map { Int32(truncatingIfNeeded: $0) }
        all.withUnsafeBufferPointer { indices in
            guard let base = indices.baseAddress else { return out.zero_() }
            BinaryInputKernels.sumRows(g.data, stride: cols, indices: base, count: rows, start: nil, into: out.data, length: cols)
        }
    }
}
