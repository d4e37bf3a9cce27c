import Foundation
import PluginAPI

/// The sheet's problem 2.1: a CNN's "convolution" layer computes a cross-correlation (eq. (1)
/// without flipping), which is a true convolution with the flipped kernel. Measured on the
/// engine's `conv2d`, both of its algorithms, against the two sums written out in Double.
extension ConvolutionExperiment {
    /// A multi-channel image or bank of kernels, row-major: [channels or filters][C][rows][columns].
    public struct Grid: Sendable {
        /// The values, Double.
        public var values: [Double]
        /// Shape (N, C, H, W) as NCHW: images N = 1; kernels N = filters.
        public var shape: [Int]

        /// A grid of `values` with `shape` (N, C, H, W), row-major.
        public init(values: [Double], shape: [Int]) { self.values = values; self.shape = shape }

        /// The value at (n, c, i, j).
        public subscript(_ n: Int, _ c: Int, _ i: Int, _ j: Int) -> Double { values[((n * shape[1] + c) * shape[2] + i) * shape[3] + j] }

        /// Every K x K kernel turned by 180 degrees: k'[f][c][a][b] = k[f][c][K-1-a][K-1-b].
        public var flipped: Grid {
            let (kh, kw) = (shape[2], shape[3])
            let flat = (0..<values.count).map { i -> Double in
                let (j, a, rest) = (i % kw, (i / kw) % kh, i / (kw * kh))
                return values[(rest * kh + (kh - 1 - a)) * kw + (kw - 1 - j)]
            }
            return Grid(values: flat, shape: shape)
        }

        /// The engine's tensor (Float).
        public var tensor: Tensor { Tensor(values.map { Float($0) }, shape: shape) }
    }

    /// Cross-correlation, the layer's sum as the sheet states it: out[f][i][j] = sum_{c,a,b}
    /// x[c][i + a][j + b] k[f][c][a][b] over the positions where the kernel fits (stride 1, no padding).
    public static func crossCorrelation(_ x: Grid, _ k: Grid) -> [Double] {
        slide(x, k) { i, j, a, b in (i + a, j + b) }
    }

    /// True convolution, eq. (1) in two dimensions ("flip and drag"): y[n] = sum_a x[n - a] k[a],
    /// out[f][i][j] = sum_{c,a,b} x[c][i + K - 1 - a][j + K - 1 - b] k[f][c][a][b] at the same positions.
    public static func trueConvolution(_ x: Grid, _ k: Grid) -> [Double] {
        slide(x, k) { i, j, a, b in (i + k.shape[2] - 1 - a, j + k.shape[3] - 1 - b) }
    }

    static func slide(_ x: Grid, _ k: Grid, _ at: (Int, Int, Int, Int) -> (Int, Int)) -> [Double] {
        let (filters, channels, kh, kw) = (k.shape[0], k.shape[1], k.shape[2], k.shape[3])
        let (oh, ow) = (x.shape[2] - kh + 1, x.shape[3] - kw + 1)
        guard oh > 0, ow > 0, x.shape[1] == channels else { return [] }
        var out = [Double](repeating: 0, count: filters * oh * ow)
        for f in 0..<filters {
            for i in 0..<oh {
                for j in 0..<ow {
                    var s = 0.0
                    for c in 0..<channels {
                        for a in 0..<kh {
                            for b in 0..<kw {
                                let (r, q) = at(i, j, a, b)
                                s += x[0, c, r, q] * k[f, c, a, b]
                            }
                        }
                    }
                    out[(f * oh + i) * ow + j] = s
                }
            }
        }
        return out
    }

    /// max |a - b| / max |b| (infinite when the lengths differ).
    static func relative(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return .infinity }
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        return worst / max(b.map(abs).max() ?? 0, 1e-300)
    }

    /// One row of the check: what is compared, the algorithm, max |difference| / max |reference|.
    public struct CorrelationRow: Sendable {
        /// The comparison, in words.
        public var check: String
        /// `im2col` or `winograd`.
        public var algorithm: String
        /// max |engine - reference| / max |reference|.
        public var error: Double
        /// Whether the sheet says the two are equal (false: the difference is expected to be large).
        public var equal = true
    }

    /// The engine's conv2d (im2col and Winograd) on a random x (1 x `channels` x `size` x `size`)
    /// and kernels k (`filters` x `channels` x 3 x 3), against the Double sums: conv2d(x, k) is the
    /// cross-correlation and the true convolution with flip(k), conv2d(x, flip(k)) the true convolution
    /// with k, and conv2d(x, k) is not the true convolution with k.
    public static func correlationRows(channels: Int = 2, filters: Int = 3, size: Int = 9, generator g: inout SeededGenerator) -> [CorrelationRow] {
        func grid(_ shape: [Int]) -> Grid { Grid(values: (0..<shape.reduce(1, *)).map { _ in Double(Float(g.nextNormal())) }, shape: shape) }
        let x = grid([1, channels, size, size]), k = grid([filters, channels, 3, 3])
        var rows: [CorrelationRow] = []
        for (name, algorithm) in [("im2col", ConvAlgorithm.im2col), ("winograd", .winograd)] {
            func engine(_ kernel: Grid) -> [Double] { conv2d(x.tensor, weight: kernel.tensor, algorithm: algorithm).values.map(Double.init) }
            let plain = engine(k), flippedKernel = engine(k.flipped)
            rows += [CorrelationRow(check: "conv2d(x, k) vs cross-correlation sum x[i+a, j+b] k[a, b]", algorithm: name, error: relative(plain, crossCorrelation(x, k))),
                     CorrelationRow(check: "conv2d(x, k) vs true convolution of x with flip(k)", algorithm: name, error: relative(plain, trueConvolution(x, k.flipped))),
                     CorrelationRow(check: "conv2d(x, flip(k)) vs true convolution of x with k", algorithm: name, error: relative(flippedKernel, trueConvolution(x, k))),
                     CorrelationRow(check: "conv2d(x, k) vs true convolution of x with k", algorithm: name, error: relative(plain, trueConvolution(x, k)), equal: false)]
        }
        return rows
    }

    /// Eq. (1) computed by the engine's layer: y(n) = (x * h)(n) for n in `from`...`to` as conv2d of the
    /// rectangle (a 1 x N image) with the kernel h flipped (`flip`) or not. h is cut at n = 150,
    /// where (1/2)^n is 0 in Float.
    public static func engineSignal(length: Int, from: Int, to: Int, flip: Bool) -> [Double] {
        let kh = min(max(to, 0) + 1, 150), outputs = to - from + 1
        let input = (0..<outputs + kh - 1).map { t -> Float in
            let n = from - (kh - 1) + t
            return n >= 0 && n < length ? 1 : 0
        }
        let kernel = (0..<kh).map { a in Float(h(flip ? kh - 1 - a : a)) }
        return conv2d(Tensor(input, shape: [1, 1, 1, input.count]), weight: Tensor(kernel, shape: [1, 1, 1, kh]), algorithm: .im2col).values.map(Double.init)
    }

    /// Logs the check's table and writes its metrics and `correlation.csv`.
    static func correlationPart(_ context: RunContext, length: Int, from: Int, to: Int) throws {
        var g = SeededGenerator(seed: context.seed)
        let ns = Array(from...to), closed = ns.map { closedForm($0, length: length) }
        let flipped = engineSignal(length: length, from: from, to: to, flip: true)
        let unflipped = engineSignal(length: length, from: from, to: to, flip: false)
        let rows = correlationRows(generator: &g) + [
            CorrelationRow(check: "eq. (1): conv2d(rectangle, flip(h)) vs the closed form y(n)", algorithm: "im2col", error: relative(flipped, closed)),
            CorrelationRow(check: "eq. (1): conv2d(rectangle, h) vs the closed form y(n)", algorithm: "im2col", error: relative(unflipped, closed), equal: false),
        ]
        let equal = rows.filter(\.equal), unequal = rows.filter { !$0.equal }
        context.metrics.final("correlation_error", rows.filter { $0.check.contains("cross-correlation") }.map(\.error).max() ?? .nan)
        context.metrics.final("flipped_convolution_error", equal.filter { !$0.check.contains("cross-correlation") }.map(\.error).max() ?? .nan)
        context.metrics.final("unflipped_difference", unequal.map(\.error).min() ?? .nan)
        let table = TextTable.aligned([["check", "algorithm", "max |difference| / max |reference|", "the sheet"]]
                                                   + rows.map { [$0.check, $0.algorithm, String(format: "%.2g", $0.error), $0.equal ? "equal" : "not equal"] })
        context.log("convolution: the sheet's 2.1, the layer's conv2d is a cross-correlation (x 1x2x9x9, k 3x2x3x3, random; Float32 engine, Double sums):\n" + table)
        context.metrics.note("correlation", table)
        try context.artifacts.writeCSV("correlation.csv", header: ["check", "algorithm", "relative_error", "sheet"], rows: rows.map { [$0.check, $0.algorithm, "\($0.error)", $0.equal ? "equal" : "not equal"] })
    }
}
