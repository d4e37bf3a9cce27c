import PluginAPI

/// The two-layer ReLU network f(x) = sum_i alpha_i max(0, w_i.x + b_i) + beta with k hidden
/// units, stored as PyTorch would (`weight` k x d row-major, `bias` k, output `alpha` k, `beta`).
public struct ParityNetwork: Equatable {
    public var d: Int
    public var k: Int
    /// Hidden weights, row i = w_{i+1} (k x d).
    public var weight: [Float]
    public var bias: [Float]
    public var alpha: [Float]
    public var beta: Float

    /// The construction of problem 3a, with 1-based unit index i: w_i = v* for i <= 3d/2 and
    /// 0 otherwise; for 0 <= i <= d/2, b_{3i+1} = -(2i - 1/2), b_{3i+2} = -2i,
    /// b_{3i+3} = -(2i + 1/2) and alpha = 4, -8, 4 on those units; beta = -1; k = 10d.
    ///
    /// Each triple makes a bump of height 2 at s = v*.x = 2i that vanishes at the odd
    /// integers, so f(s) = +1 at even s and -1 at odd s. `corrected` extends w_i = v* to every
    /// unit a bump uses (i <= 3 floor(d/2) + 3): the smallest change that makes the last bump
    /// whole.
    public init(d: Int, k: Int, weight: [Float], bias: [Float], alpha: [Float], beta: Float) {
        (self.d, self.k, self.weight, self.bias, self.alpha, self.beta) = (d, k, weight, bias, alpha, beta)
    }

    public static func handBuilt(mask: [Float], corrected: Bool = false) -> ParityNetwork {
        let d = mask.count
        let k = 10 * d
        let lastBump = d / 2                        // i runs over 0...floor(d/2)
        let unitsWithMask = corrected ? max(3 * d / 2, 3 * lastBump + 3) : 3 * d / 2   // floor(3d/2)
        var weight = [Float](repeating: 0, count: k * d)
        for unit in 1...min(unitsWithMask, k) {
            for j in 0..<d { weight[(unit - 1) * d + j] = mask[j] }
        }
        var bias = [Float](repeating: 0, count: k)
        var alpha = [Float](repeating: 0, count: k)
        for i in 0...lastBump where 3 * i + 3 <= k {
            let center = Float(2 * i)
            bias[3 * i] = -(center - 0.5)          // unit 3i+1
            bias[3 * i + 1] = -center              // unit 3i+2
            bias[3 * i + 2] = -(center + 0.5)      // unit 3i+3
            alpha[3 * i] = 4
            alpha[3 * i + 1] = -8
            alpha[3 * i + 2] = 4
        }
        return ParityNetwork(d: d, k: k, weight: weight, bias: bias, alpha: alpha, beta: -1)
    }

    /// The number of leading units whose weight row is non-zero.
    public var unitsWithNonZeroWeight: Int {
        (0..<k).filter { unit in (0..<d).contains { weight[unit * d + $0] != 0 } }.count
    }

    /// f(x) for each row of `inputs` (n x d, row-major).
    ///
    /// The pre-activations are accumulated as b + sum_j x_j W[:, j], a contiguous axpy over the
    /// k units per input coordinate, which vectorises; `weightT` is W transposed (d x k).
    public func forward(_ inputs: [Float], count n: Int) -> [Float] {
        var weightT = [Float](repeating: 0, count: d * k)
        for unit in 0..<k { for j in 0..<d { weightT[j * k + unit] = weight[unit * d + j] } }
        var out = [Float](repeating: 0, count: n)
        var hidden = [Float](repeating: 0, count: k)
        var h = hidden.mutableSpan
        let (wt, x) = (weightT.span, inputs.span)
        for row in 0..<n {
            for unit in 0..<k { h[unit] = bias[unit] }
            for j in 0..<d {
                let xj = x[row * d + j]
                if xj == 0 { continue }
                Self.addScaled(xj, wt.extracting(j * k..<(j + 1) * k), into: &h)
            }
            var f = beta
            for unit in 0..<k { f += alpha[unit] * max(0, h[unit]) }
            out[row] = f
        }
        return out
    }

    /// h += c * column, entry by entry (`column` has h's count).
    @inline(__always)
    static func addScaled(_ c: Float, _ column: Span<Float>, into h: inout MutableSpan<Float>) {
        precondition(column.count == h.count, "addScaled: \(column.count) numbers into \(h.count)")
        for unit in 0..<h.count { h[unit] += c * column[unit] }
    }
}
