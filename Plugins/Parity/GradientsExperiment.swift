import Foundation
import PluginAPI

/// Experiment `gradients` (problem 3c, measured instead of proved): at fixed random
/// parameters p, the population-risk gradient for each mask v*, computed exactly by
/// enumerating all 2^d inputs, and its variance E_v ||grad R_v(p) - a||^2 around the mean a.
///
/// For the hinge loss, grad R_v(p) = E_x[c_v(x) J(x)] with J(x) = grad_p f(x) and
/// c_v(x) = -y_v(x) 1{y_v(x) f(x) < 1}. Stacking c_v over masks (V x 2^d) and J over inputs
/// (2^d x P) makes all the gradients one matrix product, done in chunks of inputs.
public enum GradientsExperiment {
    static let declaration = Experiment(
        name: "gradients",
        summary: "Exact population-risk gradients over all 2^d inputs for many masks v*: their variance shrinks like 2^-d",
        options: [
            .int("d-min", default: 2, range: 1...20, help: "smallest input dimension"),
            .int("d-max", default: 16, range: 1...20, help: "largest input dimension (2^d inputs are enumerated)"),
            .int("masks", default: 512, range: 2...65_536, help: "masks per d: all 2^d when that is fewer, else a uniform sample"),
            .int("width-factor", default: 10, range: 1...100, help: "hidden units k = width-factor x d"),
            .int("draws", default: 3, range: 1...100, help: "random parameter draws p per d, averaged"),
        ],
        metrics: [MetricSpec("variance_at_d_max", goal: .neither, help: "E_v ||grad R_v - mean||^2 at the largest d"),
                  MetricSpec("slope_log2", goal: .neither, help: "least-squares slope of log2(variance) against d (about -1 for 2^-d)")],
        train: run)

    /// The variance and the mean squared gradient norm for one d.
    public struct Point { public var d: Int, masks: Int, variance: Double, meanSquaredNorm: Double }

    static func run(_ context: RunContext) throws {
        let (dMin, dMax) = (try context.options.int("d-min"), try context.options.int("d-max"))
        guard dMin <= dMax else { throw PluginError.invalidInput("--d-min \(dMin) is above --d-max \(dMax)", hint: "give --d-min <= --d-max") }
        let masks = try context.options.int("masks"), widthFactor = try context.options.int("width-factor")
        let draws = try context.options.int("draws")
        context.progress.begin("gradients", total: dMax - dMin + 1, unit: "dims")
        var points: [Point] = []
        for d in dMin...dMax {
            if context.isCancelled { break }
            var generator = SeededGenerator(seed: context.seed, stream: UInt64(d))
            var point = Point(d: d, masks: 0, variance: 0, meanSquaredNorm: 0)
            for _ in 0..<draws {
                let one = variance(d: d, masks: masks, widthFactor: widthFactor, generator: &generator)
                point.masks = one.masks
                point.variance += one.variance / Double(draws)
                point.meanSquaredNorm += one.meanSquaredNorm / Double(draws)
            }
            points.append(point)
            context.metrics.log(step: d, [("variance", point.variance), ("mean_squared_norm", point.meanSquaredNorm), ("masks", Double(point.masks))])
            context.log(String(format: "gradients: d = %2d: variance %.3e over %d masks, mean of %d draws of p (mean squared norm %.3e)",
                               d, point.variance, point.masks, draws, point.meanSquaredNorm))
            context.progress.update(completed: d - dMin + 1, values: [("variance", point.variance)])
        }
        guard let last = points.last else { return }
        context.metrics.final("variance_at_d_max", last.variance)
        let slope = log2Slope(points)
        context.metrics.final("slope_log2", slope)
        let anchor = points[0].variance * pow(2, Double(points[0].d))
        let plot = LinePlot(title: "Variance of the population gradient over masks v*", xLabel: "d", yLabel: "E_v ||grad R_v - mean||^2",
                            series: [Series("measured", x: points.map { Double($0.d) }, y: points.map(\.variance), markers: true),
                                     Series("2^-d reference", x: points.map { Double($0.d) }, y: points.map { anchor * pow(2, -Double($0.d)) }, dashed: true)],
                            logY: true)
        try context.artifacts.write(plot.svg(), to: "gradient_variance.svg")
    }

    /// Least-squares slope of log2(variance) against d.
    static func log2Slope(_ points: [Point]) -> Double {
        let xs = points.map { Double($0.d) }, ys = points.map { Foundation.log2(max($0.variance, 1e-300)) }
        let (mx, my) = (xs.reduce(0, +) / Double(xs.count), ys.reduce(0, +) / Double(ys.count))
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return sxx == 0 ? .nan : zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
    }

    /// The exact gradients for `masks` masks at d, with a freshly initialised network.
    public static func variance(d: Int, masks: Int, widthFactor: Int, generator: inout SeededGenerator) -> Point {
        let network = TwoLayerReLU(d: d, hidden: widthFactor * d, generator: &generator)
        let inputs = 1 << d
        let maskList: [Int] = inputs <= masks ? Array(0..<inputs) : (0..<masks).map { _ in Int(generator.next() % UInt64(inputs)) }
        let gradients = populationGradients(network, d: d, masks: maskList)
        let v = maskList.count, p = gradients.count / v
        var mean = [Double](repeating: 0, count: p)
        for row in 0..<v { for j in 0..<p { mean[j] += Double(gradients[row * p + j]) / Double(v) } }
        var variance = 0.0, squared = 0.0
        for row in 0..<v {
            for j in 0..<p {
                let g = Double(gradients[row * p + j])
                variance += (g - mean[j]) * (g - mean[j]); squared += g * g
            }
        }
        return Point(d: d, masks: v, variance: variance / Double(v), meanSquaredNorm: squared / Double(v))
    }

    /// grad R_v(p) for each mask (rows), parameters in `namedParameters` order (columns).
    public static func populationGradients(_ network: TwoLayerReLU, d: Int, masks: [Int]) -> [Float] {
        let k = network.hidden.weight.shape[0]
        let p = k * d + k + k + 1
        let n = 1 << d
        let chunk = max(1, min(n, (1 << 22) / p))
        let total = Tensor.zeros([masks.count, p])
        let (w, alpha) = (network.hidden.weight, network.output.weight)
        let b = network.hidden.bias ?? Tensor.zeros([k]), beta = network.output.bias ?? Tensor.zeros([1])
        var start = 0
        while start < n {
            let count = min(chunk, n - start)
            let x = Tensor.zeros([count, d])
            for r in 0..<count { for j in 0..<d { x.data[r * d + j] = Float(((start + r) >> j) & 1) } }
            let pre = noGrad { linear(x, weight: w, bias: b) }              // (count, k)
            let jacobian = Tensor.zeros([count, p])                          // rows: d f(x) / d p
            let c = Tensor.zeros([masks.count, count])
            for r in 0..<count {
                var f = beta.data[0]
                let row = jacobian.data + r * p
                for i in 0..<k {
                    let z = pre.data[r * k + i]
                    if z > 0 {
                        let a = alpha.data[i]
                        for j in 0..<d { row[i * d + j] = a * x.data[r * d + j] }   // weight (k, d)
                        row[k * d + i] = a                                          // bias (k)
                        row[k * d + k + i] = z                                      // output weight (1, k)
                        f += a * z
                    }
                }
                row[p - 1] = 1                                                      // output bias
                for (m, mask) in masks.enumerated() {
                    let y: Float = (mask & (start + r)).nonzeroBitCount % 2 == 0 ? 1 : -1
                    if y * f < 1 { c.data[m * count + r] = -y / Float(n) }
                }
            }
            GEMM.sgemm(transA: false, transB: false, m: masks.count, n: p, k: count, a: c.data, lda: count,
                       b: jacobian.data, ldb: p, beta: 1, c: total.data, ldc: p)
            start += count
        }
        return total.values
    }
}
