import Foundation
import PluginAPI

/// Parts 1 and 2 of experiment `init`, on the text's network f(x; W, v) = sum_j v_j sigma(<w_j, x>)
/// with x in R^d, W in R^{m x d} (rows w_j^T), v in R^m and no biases (CSCI-GA.2565 HW3 1(b),(c);
/// CS446 HW2 4(b)-(f)).
extension InitExperiment {
    /// A Monte Carlo mean and its standard error.
    public struct Estimate: Sendable, Equatable {
        /// The sample mean.
        public var mean: Double
        /// Its standard error, sqrt(sample variance / samples).
        public var standardError: Double

        /// |mean - expected| in standard errors.
        public func z(_ expected: Double) -> Double { abs(mean - expected) / max(standardError, 1e-300) }
    }

    /// Running sums of i.i.d. samples.
    struct Accumulator {
        var count = 0, sum = 0.0, squares = 0.0
        mutating func add(_ v: Double) { count += 1; sum += v; squares += v * v }
        var estimate: Estimate {
            let n = Double(max(count, 2)), mean = sum / Double(max(count, 1))
            return Estimate(mean: mean, standardError: (max(squares / n - mean * mean, 0) / (n - 1)).squareRoot())
        }
    }

    /// Part 1 for one x and one entry variance, over draws of W (m x d) with i.i.d. N(0,
    /// `entryVariance`) entries. Every value is divided by what the text predicts with variance
    /// 1/m (identity) or 2/m (ReLU), so each is 1 when the text holds.
    public struct NormStatistics: Sendable, Equatable {
        /// E||f(W x)||^2 / ||x||^2, one sample per draw of W (HW3 1(c), CS446 4(f): 1).
        public var total: Estimate
        /// m E[f(w^T x)^2] / ||x||^2, one sample per row w^T of every draw (CS446 4(e): E[(w^T x)^2] = ||x||^2 / m).
        public var row: Estimate
        /// m E[sum_i w_i^2 x_i^2] / ||x||^2 per row, the first sum of CS446 4(d)'s expansion (1 with variance 1/m).
        public var squares: Estimate
        /// m E[sum_{i != j} w_i w_j x_i x_j] / ||x||^2 per row, the second sum (0: E[w_i w_j] = 0 for i != j).
        public var cross: Estimate
    }

    /// Part 1: `draws` matrices W (m x d) of i.i.d. N(0, `entryVariance`) entries applied to the fixed
    /// `x` (d entries), with f the identity or ReLU. The cross sum of a row is (sum_i a_i)^2 - sum_i a_i^2
    /// for a_i = w_i x_i.
    public static func normStatistics(x: [Double], m: Int, entryVariance: Double, relu: Bool, draws: Int,
                                      generator g: inout SeededGenerator) -> NormStatistics {
        let d = x.count, norm = x.reduce(0) { $0 + $1 * $1 }, std = entryVariance.squareRoot()
        let scale = Double(m) / max(norm, 1e-300)
        var total = Accumulator(), row = Accumulator(), squares = Accumulator(), cross = Accumulator()
        for _ in 0..<draws {
            var sum = 0.0
            for _ in 0..<m {
                var z = 0.0, diagonal = 0.0
                for k in 0..<d {
                    let a = std * g.nextNormal() * x[k]
                    z += a; diagonal += a * a
                }
                let f = relu ? max(z, 0) : z
                sum += f * f
                row.add(f * f * scale); squares.add(diagonal * scale); cross.add((z * z - diagonal) * scale)
            }
            total.add(sum / max(norm, 1e-300))
        }
        return NormStatistics(total: total.estimate, row: row.estimate, squares: squares.estimate, cross: cross.estimate)
    }

    /// `--shapes`: pairs "m x d" (W's shape), e.g. "16x64,64x16,256x32"; m, d in 1...4096, m d <= 2^20.
    public static func shapes(_ text: String) throws -> [(m: Int, d: Int)] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part -> (m: Int, d: Int) in
            let sides = part.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard sides.count == 2, let m = sides[0], let d = sides[1], (1...4096).contains(m), (1...4096).contains(d), m * d <= 1 << 20 else {
                throw PluginError.invalidInput("--shapes: '\(part)' is not a shape m x d with m, d in 1...4096 and m d <= 1048576",
                                               hint: "give W's shapes (m rows, d columns), for example --shapes 16x64,64x16,256x32")
            }
            return (m, d)
        }
    }

    /// Part 2 (HW3 1(b), CS446 4(b),(c)): the text's network, no biases, W (m x d) ~ N(0, 1/d), v ~
    /// N(0, 1/m), trained by `steps` of plain gradient descent (step `lr`) on the risk of one example
    /// (x, y), R̂ = l(f(x; W, v), y); `examples` > 1 is the text's remark, the mean risk over that
    /// many examples. With `symmetric`, w_q = w_p and v_q = v_p at the start (p = 1, q = 2).
    /// Returns the largest of |v_p - v_q| and |w_pk - w_qk| at the end.
    public static func unitDifference(symmetric: Bool, activation: InitGradients.Activation = .relu, loss: InitGradients.Loss = .squared,
                                      m: Int = 6, d: Int = 8, examples: Int = 1, steps: Int = 500, lr: Float = 0.05,
                                      generator g: inout SeededGenerator) -> Double {
        let m = max(m, 2), d = max(d, 1), n = max(examples, 1)
        var wValues = (0..<m * d).map { _ in Float(g.nextNormal() / Double(d).squareRoot()) }
        var vValues = (0..<m).map { _ in Float(g.nextNormal() / Double(m).squareRoot()) }
        if symmetric {
            for k in 0..<d { wValues[d + k] = wValues[k] }
            vValues[1] = vValues[0]
        }
        let w = Tensor(wValues, shape: [m, d], requiresGrad: true), v = Tensor(vValues, shape: [1, m], requiresGrad: true)
        let x = Tensor.normal([d, n], generator: &g) // column i is example i
        let y = Tensor((0..<n).map { _ in loss == .squared ? Float(g.nextNormal()) : (g.nextNormal() < 0 ? -1 : 1) }, shape: [1, n])
        let optimizer = SGD([w, v], lr: lr)
        for _ in 0..<steps {
            optimizer.zeroGrad()
            let f = v.matmul(activation.tensor(w.matmul(x))) // [1, n]
            let risk = loss == .squared ? (0.5 * (f - y) * (f - y)).mean() : ((f * y * -1).exp() + 1).log().mean()
            risk.backward()
            optimizer.step()
        }
        var difference = abs(v[flat: 1] - v[flat: 0])
        for k in 0..<d { difference = max(difference, abs(w[flat: d + k] - w[flat: k])) }
        return Double(difference)
    }
}
