import Foundation
import PluginAPI

extension LinearNetworks {
    /// Part (a) for one target: W0 (size x size) of rank r with singular values `spectrum(size)[0..<r]`.
    public struct CapacityRow: Sendable {
        /// rank(W0), and min_{i=0..L} d_i of the network.
        public var rank: Int, minWidth: Int
        /// ||W̄ - W0||_F of the hint's construction; nil when rank > min d_i (no construction exists).
        public var constructionError: Double?
        /// ||W̄ - W0||_F^2 after gradient descent on it from random layers.
        public var residual: Double
        /// The Eckart-Young bound sum_{i > min d_i} sigma_i(W0)^2 (0 when rank <= min d_i).
        public var tail: Double
        /// sigma_{k+1}(W̄) of the fitted W̄, k = min d_i: 0 up to rounding, as rank W̄ <= min d_i always (nan when k = size).
        public var sigmaBeyond: Double
        /// ||W̄_t - W0||_F^2 along the descent (about 100 points).
        public var trace: [(step: Int, residual: Double)]
    }

    /// The singular values of part (a)'s targets: evenly spaced from 3 down to 1.
    public static func spectrum(_ size: Int) -> [Double] {
        (0..<size).map { size == 1 ? 3 : 3 - 2 * Double($0) / Double(size - 1) }
    }

    /// Part (a): for every rank r = 1...size a target W0 = U diag(s_1..s_r, 0..) V^T (U, V random
    /// orthogonal), the hint's construction, and gradient descent on 1/2 ||W̄ - W0||_F^2 (Q with
    /// X = I, Y = W0^T) through layers of widths size, widths..., size, from `randomLayers(scale: initScale)`,
    /// each descent reporting to `watch`.
    public static func capacity(size: Int, widths: [Int], steps: Int, lr: Double, initScale: Double = 1, watch: TrainingWatch = .silent,
                                generator g: inout SeededGenerator) throws -> [CapacityRow] {
        let dims = [size] + widths + [size], k = dims.min() ?? 0, s = spectrum(size)
        let u = orthogonal(size, generator: &g), v = orthogonal(size, generator: &g)
        return try (1...size).map { r in
            var sigma = DMatrix(rows: size, columns: size)
            for i in 0..<r { sigma[i, i] = s[i] }
            let w0 = multiply(multiply(u, sigma), transpose(v))
            let built = construction(w0, dims: dims).map { frobeniusSquared(add(product($0), w0, scale: -1)).squareRoot() }
            var layers = randomLayers(dims, scale: initScale, generator: &g)
            let trace = try descend(&layers, x: identity(size), y: transpose(w0), lr: lr, steps: steps, every: max(1, steps / 100), watch: watch)
            let fitted = product(layers), values = singularValues(fitted)
            return CapacityRow(rank: r, minWidth: k, constructionError: built, residual: frobeniusSquared(add(fitted, w0, scale: -1)),
                               tail: eckartYoungTail(Array(s[0..<r]), rank: k), sigmaBeyond: k < values.count ? values[k] : .nan,
                               trace: trace.map { ($0.step, 2 * $0.loss) })
        }
    }

    /// Data for parts (b)-(f): X (n x d) of N(0, 1) entries and Y = X W_true^T + noise N(0, noise^2) (n x p).
    public static func data(n: Int, d: Int, p: Int, noise: Double, generator g: inout SeededGenerator) -> (x: DMatrix, y: DMatrix) {
        let x = gaussian(n, d, generator: &g), truth = gaussian(p, d, generator: &g)
        return (x, add(multiply(x, transpose(truth)), gaussian(n, p, std: noise, generator: &g)))
    }

    /// Part (b) measured.
    public struct Convexity: Sendable {
        /// max |R̂(f_{W_{1:L}}) - Q(W̄)| / Q(W̄) over random networks (the layer-by-layer sum against the matrix form).
        public var riskError: Double
        /// The least t Q(A) + (1 - t) Q(B) - Q(tA + (1 - t)B) over the segments and t (>= 0: convex).
        public var minGap: Double
        /// The largest |gap - 1/2 t (1 - t) ||(A - B) X^T||_F^2| / (that closed form), Q being quadratic.
        public var gapError: Double
        /// One segment for the plot: t, Q along it, and the chord.
        public var curve: (t: [Double], q: [Double], chord: [Double])
        /// R̂ in the layers (L = 2) from (W_1, W_2) to (-W_1, -W_2), both factoring W*: R̂ along it and its chord (constant Q(W*)).
        public var layerCurve: (t: [Double], risk: [Double], chord: [Double])
        /// The chord minus R̂ at the segment's midpoint: Q(W*) - Q(0) < 0, so R̂ is not convex in the layers.
        public var layerGap: Double
    }

    /// Part (b): R̂ = Q(W̄) on `segments` random networks of widths `dims`, and Q's convexity along
    /// `segments` random segments between A, B of N(0, 1) entries, at t = 0.05, 0.1, ..., 0.95.
    public static func convexity(x: DMatrix, y: DMatrix, dims: [Int], segments: Int, generator g: inout SeededGenerator) -> Convexity {
        let (p, d) = (y.columns, x.columns)
        var riskError = 0.0
        for _ in 0..<segments {
            let layers = randomLayers(dims, generator: &g), q0 = q(product(layers), x: x, y: y)
            riskError = max(riskError, abs(risk(layers, x: x, y: y) - q0) / max(q0, 1e-300))
        }
        let ts = (1...19).map { Double($0) / 20 }
        var minGap = Double.infinity, gapError = 0.0
        var curve: (t: [Double], q: [Double], chord: [Double]) = ([], [], [])
        for k in 0..<segments {
            let a = gaussian(p, d, generator: &g), b = gaussian(p, d, generator: &g)
            let (qa, qb) = (q(a, x: x, y: y), q(b, x: x, y: y))
            let spread = frobeniusSquared(multiply(add(a, b, scale: -1), transpose(x)))
            for t in ts {
                let gap = t * qa + (1 - t) * qb - q(add(scale(a, t), b, scale: 1 - t), x: x, y: y)
                let closed = t * (1 - t) * spread / 2
                minGap = min(minGap, gap)
                gapError = max(gapError, abs(gap - closed) / max(closed, 1e-300))
            }
            if k == 0 {
                let grid = (0...40).map { Double($0) / 40 }
                curve = (grid, grid.map { q(add(scale(a, $0), b, scale: 1 - $0), x: x, y: y) }, grid.map { $0 * qa + (1 - $0) * qb })
            }
        }
        // (W_1, W_2) = (W*, I_p) and its negative give the same W̄ = W*; halfway both layers are 0.
        let star = leastSquares(x: x, y: y) ?? DMatrix(rows: p, columns: d)
        let (w1, w2) = (star, identity(p)), qStar = q(star, x: x, y: y)
        let grid = (0...40).map { Double($0) / 40 }
        let layerRisk = grid.map { t in risk([scale(w1, 2 * t - 1), scale(w2, 2 * t - 1)], x: x, y: y) }
        return Convexity(riskError: riskError, minGap: minGap, gapError: gapError, curve: curve,
                         layerCurve: (grid, layerRisk, grid.map { _ in qStar }), layerGap: qStar - q(DMatrix(rows: p, columns: d), x: x, y: y))
    }

    /// One network trained by gradient descent on R̂, against the least-squares optimum (parts (d), (f)).
    public struct Training: Sendable {
        /// d_0, ..., d_L.
        public var dims: [Int]
        /// Q(W̄_t) at the recorded steps.
        public var trace: [(step: Int, loss: Double)]
        /// The layers at the end.
        public var layers: [DMatrix]
        /// Q(W*) = min Q, and the least Q over rank(W̄) <= min d_i.
        public var optimum: Double, rankOptimum: Double
        /// ||W̄ X^T X - Y^T X||_F at the end (0 exactly at a global minimizer when min d_i = min{p, d}).
        public var normalResidual: Double
        /// sqrt(sum_i ||dR̂/dW_i||_F^2) at the end (0 at a critical point).
        public var gradientNorm: Double
        /// The smallest singular value of each layer at the end (all > 0: invertible square layers).
        public var smallestSingularValues: [Double]

        /// Q(W̄) at the end minus min Q.
        public var excessLoss: Double { (trace.last?.loss ?? .nan) - optimum }
    }

    /// Trains layers of widths `dims` on (x, y) from `start` (`randomLayers` with `initScale` when nil) by
    /// gradient descent with step lr / ||X||_2^2, reporting to `watch`.
    public static func train(dims: [Int], x: DMatrix, y: DMatrix, start: [DMatrix]? = nil, lr: Double, steps: Int, every: Int,
                             initScale: Double = 1, watch: TrainingWatch = .silent, generator g: inout SeededGenerator) throws -> Training {
        var layers = start ?? randomLayers(dims, scale: initScale, generator: &g)
        let trace = try descend(&layers, x: x, y: y, lr: lr, steps: steps, every: every, watch: watch)
        let star = leastSquares(x: x, y: y)
        let optimum = star.map { q($0, x: x, y: y) } ?? .nan
        let w = product(layers)
        let normal = frobeniusSquared(add(multiply(multiply(w, transpose(x)), x), multiply(transpose(y), x), scale: -1)).squareRoot()
        let gradient = layerGradients(layers, x: x, y: y).reduce(0) { $0 + frobeniusSquared($1) }.squareRoot()
        return Training(dims: dims, trace: trace, layers: layers, optimum: optimum,
                        rankOptimum: rankConstrainedMinimum(x: x, y: y, rank: dims.min() ?? 0) ?? .nan,
                        normalResidual: normal, gradientNorm: gradient, smallestSingularValues: layers.map { singularValues($0).last ?? 0 })
    }

    /// Part (e)'s critical point: every layer zero. Returns the autograd gradient norm and Q(0) - Q(W*).
    public static func zeroPoint(dims: [Int], x: DMatrix, y: DMatrix) -> (gradientNorm: Double, excessLoss: Double) {
        let layers = (1..<dims.count).map { DMatrix(rows: dims[$0], columns: dims[$0 - 1]) }
        let norm = autogradLayerGradients(layers, x: x, y: y).reduce(0) { $0 + frobeniusSquared($1) }.squareRoot()
        let optimum = leastSquares(x: x, y: y).map { q($0, x: x, y: y) } ?? .nan
        return (norm, q(product(layers), x: x, y: y) - optimum)
    }

    /// Part (f) built by hand: W_2, ..., W_L = I + N(0, 0.3^2 / d) (invertible) and
    /// W_1 = (W_L ... W_2)^{-1} W*, so W̄ = W*; nil when a matrix is singular.
    public static func invertibleCriticalPoint(depth: Int, x: DMatrix, y: DMatrix, generator g: inout SeededGenerator) -> [DMatrix]? {
        let d = x.columns
        guard depth >= 1, y.columns == d, let star = leastSquares(x: x, y: y) else { return nil }
        let upper = (1..<depth).map { _ in add(identity(d), gaussian(d, d, std: 0.3 / Double(d).squareRoot(), generator: &g)) }
        guard let inverse = inverse(upper.isEmpty ? identity(d) : product(upper)) else { return nil }
        return [multiply(inverse, star)] + upper
    }
}
