import Foundation
import PluginAPI

/// Problem 3(c) without sampling: the population-risk gradients of the hinge loss of the
/// two-layer ReLU network f(x) = sum_i alpha_i max(0, w_i.x + b_i) + beta for every mask v*,
/// their moments over v* uniform on {0,1}^d in closed form (`exactMoments`), and the same
/// moments by brute force over all 2^d masks (`enumeratedMoments`, the check).
///
/// Derivation. Write N = 2^d, chi_v(x) = (-1)^(v.x), J(x) = grad_p f(x) and y = chi_v(x). The
/// hinge subgradient (with ReLU'(z) = 1{z > 0}, as autograd takes it) is c(x, y) J(x) with
/// c(x, y) = -y 1{y f(x) < 1}. Any function of y in {-1, +1} is affine in y:
/// c(x, y) = A(x) + y B(x), where
///
///     A = (c(x, 1) + c(x, -1)) / 2 = (1{f > -1} - 1{f < 1}) / 2   (0 where |f| < 1, else ±1/2)
///     B = (c(x, 1) - c(x, -1)) / 2 = -(1{f < 1} + 1{f > -1}) / 2  (-1 where |f| < 1, else -1/2)
///
/// so grad R_v = a + h^(v) with a = E_x[A J] (the a of 3(c)(ii), the same for every v) and
/// h^(v) = E_x[chi_v(x) h(x)], h = B J: the Walsh-Fourier coefficients of h. The chi_v are an
/// orthonormal basis of the functions on {0,1}^d (E_x chi_u chi_v = 1{u = v}), so Parseval
/// gives sum_v h^(v)_j^2 = E_x[h_j^2] for every coordinate j, and sum_v chi_v(x) = N 1{x = 0}
/// gives E_v h^(v) = h(0) / N. Hence, exactly:
///
///     E_v ||grad R_v - a||^2 = E_x ||h||^2 / N            (3(c)(iv), with equality)
///     E_v grad R_v           = a + h(0) / N
///     Var_v                  = E_x ||h||^2 / N - ||h(0)||^2 / N^2
///
/// with ||h(x)||^2 = B(x)^2 (1 + sum_{i: z_i > 0} [alpha_i^2 (|x| + 1) + z_i^2]), |x| the number
/// of ones in x and z = W x + b. One forward pass per input: O(2^d k) for the moments, against
/// O(4^d d k) for the brute force that forms all 2^d gradients.
///
/// Everything is in Double from the network's (Float) parameters. Both paths evaluate the
/// network through the same `forward`, so they agree on every indicator (ties included) and
/// differ only by rounding.
public struct ParityGradients {
    /// Input dimension and hidden units.
    public let d: Int, k: Int
    let weight: [Double], bias: [Double], alpha: [Double], beta: Double
    /// z for the low bits of x (b included) and for the high bits: z(x) = low + high, each
    /// summed in a fixed order, so z(x) is the same number wherever it is computed.
    let lowBits: Int, lowTable: [Double], highTable: [Double]

    /// Parameters in the problem's order (w_1 ... w_k, b, alpha, beta), `namedParameters` order.
    public var parameterCount: Int { k * d + 2 * k + 1 }
    /// The number of inputs (and of masks), 2^d.
    public var inputs: Int { 1 << d }

    /// The moments of grad R_v over v uniform on {0,1}^d.
    public struct Moments: Equatable {
        /// Var_v = E_v ||grad R_v - E_v grad R_v||^2.
        public var variance: Double
        /// E_v ||grad R_v - a||^2, the left side of 3(c)(iv).
        public var aroundA: Double
        /// E_v ||grad R_v||^2.
        public var meanSquaredNorm: Double
        /// E_x ||grad_p f(x)||^2: E_x ||h||^2 <= this, as |B| <= 1 (3(c)(iv)'s middle step).
        public var jacobianNorm: Double = 0
        /// max over all 2^d inputs x and coordinates j of |grad_p f(x)_j|, the smallest valid c_p.
        public var maxGradientEntry: Double = 0
        /// ||E_v grad R_v||^2 = E_v ||grad R_v||^2 - Var_v.
        public var meanGradientSquaredNorm: Double { meanSquaredNorm - variance }

        /// The largest relative difference of the five numbers from `reference`'s.
        public func relativeError(to reference: Moments) -> Double {
            zip([variance, aroundA, meanSquaredNorm, jacobianNorm, maxGradientEntry],
                [reference.variance, reference.aroundA, reference.meanSquaredNorm, reference.jacobianNorm, reference.maxGradientEntry])
                .map { abs($0 - $1) / max(abs($1), .leastNormalMagnitude) }.max() ?? 0
        }
    }

    /// The network's parameters in Double (hidden `weight` k x d row-major, `bias` k, output
    /// `alpha` k, `beta`); d in 1...24.
    public init(d: Int, k: Int, weight: [Double], bias: [Double], alpha: [Double], beta: Double) throws {
        guard (1...24).contains(d), k >= 1, weight.count == k * d, bias.count == k, alpha.count == k else {
            throw PluginError.invalidInput("parity gradients: d = \(d), k = \(k) with \(weight.count) weights, \(bias.count) biases, \(alpha.count) output weights",
                                           hint: "give d in 1...24, k >= 1, k x d weights and k biases and output weights")
        }
        (self.d, self.k, self.weight, self.bias, self.alpha, self.beta) = (d, k, weight, bias, alpha, beta)
        lowBits = (d + 1) / 2
        func table(bits: Int, offset: Int, start: [Double]) -> [Double] {
            var t = [Double](repeating: 0, count: (1 << bits) * k)
            for i in 0..<k { t[i] = start[i] }
            for x in 1..<(1 << bits) {              // x = (x without its top bit) + that bit
                let top = Int.bitWidth - 1 - x.leadingZeroBitCount, rest = x ^ (1 << top)
                for i in 0..<k { t[x * k + i] = t[rest * k + i] + weight[i * d + offset + top] }
            }
            return t
        }
        lowTable = table(bits: lowBits, offset: 0, start: bias)
        highTable = table(bits: d - lowBits, offset: lowBits, start: [Double](repeating: 0, count: k))
    }

    /// The gradients of the network PyTorch-style layers hold (`TwoLayerReLU`).
    public init(_ network: TwoLayerReLU) throws {
        let (k, d) = (network.hidden.weight.shape[0], network.hidden.weight.shape[1])
        try self.init(d: d, k: k, weight: network.hidden.weight.values.map(Double.init),
                      bias: (network.hidden.bias?.values ?? [Float](repeating: 0, count: k)).map(Double.init),
                      alpha: network.output.weight.values.map(Double.init), beta: Double(network.output.bias?.values.first ?? 0))
    }

    /// The gradients of a network given by its arrays (the hand-built one of 3a, say).
    public init(_ network: ParityNetwork) throws {
        try self.init(d: network.d, k: network.k, weight: network.weight.map(Double.init), bias: network.bias.map(Double.init),
                      alpha: network.alpha.map(Double.init), beta: Double(network.beta))
    }

    /// z = W x + b into `z` (k numbers) and f(x); bit j of the index `x` is x_j. z(x) is the
    /// low bits' table row plus the high bits' (`lowTable`, `highTable`).
    @inline(__always)
    func forward(_ x: Int, z: inout MutableSpan<Double>) -> Double {
        let low = lowTable.span.extracting(droppingFirst: (x & ((1 << lowBits) - 1)) * k)
        let high = highTable.span.extracting(droppingFirst: (x >> lowBits) * k), alpha = self.alpha.span
        var f = beta
        for i in 0..<k {                              // branch-free: half the units are on
            let zi = low[i] + high[i]
            z[i] = zi
            f += alpha[i] * max(0, zi)                // adding ±0 for an off unit leaves f as it is
        }
        return f
    }

    /// f(x) and z = W x + b (k numbers) for the input whose bit j is x_j, as `forward` computes them.
    func evaluate(_ x: Int) -> (f: Double, z: [Double]) {
        var z = [Double](repeating: 0, count: k)
        var span = z.mutableSpan
        let f = forward(x, z: &span)
        return (f, z)
    }

    /// f(x) for the input whose bit j is x_j, as both paths evaluate it.
    public func output(_ x: Int) -> Double { evaluate(x).f }

    /// row[base ..< base + P] += scale J(x), J(x) = grad_p f(x) in the problem's parameter
    /// order, from x's pre-activations `z`.
    func addJacobian(_ x: Int, z: Span<Double>, scale: Double, into row: inout MutableSpan<Double>, at base: Int = 0) {
        let (weights, biases, outputs) = (base, base + k * d, base + k * d + k)
        for i in 0..<k where z[i] > 0 {
            let s = scale * alpha[i]
            var bits = x
            while bits != 0 {                         // d f / d w_ij = alpha_i x_j
                row[weights + i * d + bits.trailingZeroBitCount] += s
                bits &= bits - 1
            }
            row[biases + i] += s                      // d f / d b_i = alpha_i
            row[outputs + i] += scale * z[i]          // d f / d alpha_i = max(0, z_i)
        }
        row[base + parameterCount - 1] += scale       // d f / d beta = 1
    }

    /// scale J(x) as a new row of P numbers, from x's pre-activations `z`.
    func scaledJacobian(_ x: Int, z: [Double], scale: Double) -> [Double] {
        var row = [Double](repeating: 0, count: parameterCount)
        var span = row.mutableSpan
        addJacobian(x, z: z.span, scale: scale, into: &span)
        return row
    }

    /// One block of inputs' share of `exactMoments`.
    struct BlockSums {
        /// sum_x B^2 ||J||^2, sum_x ||J||^2 and max_x max_j |J_j| over the block.
        var weighted = 0.0, norm = 0.0, peak = 1.0
        /// sum_x A J over the block (P numbers).
        var a: [Double]
    }

    /// The sums of `exactMoments` over the inputs `block`, in input order.
    func blockSums(_ block: Range<Int>) -> BlockSums {
        var z = [Double](repeating: 0, count: k), a = [Double](repeating: 0, count: parameterCount)
        var zSpan = z.mutableSpan, aSpan = a.mutableSpan
        let alpha = self.alpha.span
        var sums = BlockSums(a: [])                   // peak 1: d f / d beta = 1 for every x
        for x in block {
            let f = forward(x, z: &zSpan)
            let ones = Double(x.nonzeroBitCount + 1)
            var norm = 1.0
            for i in 0..<k {
                let r = max(0, zSpan[i]), on: Double = zSpan[i] > 0 ? 1 : 0
                norm += on * alpha[i] * alpha[i] * ones + r * r
                // An on unit's entries: alpha_i (b_i, and w_ij where x_j = 1) and z_i (alpha_i).
                sums.peak = max(sums.peak, r, on * abs(alpha[i]))
            }
            let (coefficientA, b) = Self.split(f)
            sums.weighted += b * b * norm
            sums.norm += norm
            if coefficientA != 0 { addJacobian(x, z: zSpan.span, scale: coefficientA, into: &aSpan) }
        }
        sums.a = a
        return sums
    }

    /// The moments in closed form (the type's derivation): one pass over the 2^d inputs, in
    /// 64 fixed blocks on the worker pool, added in block order (the same for any thread count).
    public func exactMoments() -> Moments {
        let n = inputs, p = parameterCount, blocks = min(64, n), per = (n + blocks - 1) / blocks
        let parts = WorkerPool.shared.parallelMap(blocks) { block in blockSums((block * per)..<min(n, (block + 1) * per)) }
        var a = [Double](repeating: 0, count: p)                          // sum_x A J
        for part in parts { for j in 0..<p { a[j] += part.a[j] } }
        // h(0) = B(0) J(0); the mean gradient a / N + h(0) / N.
        let zero = evaluate(0)                                           // z(0) = b, as `forward` sums it
        let h0 = scaledJacobian(0, z: zero.z, scale: Self.split(zero.f).b)
        let nd = Double(n)
        let total = parts.reduce(0) { $0 + $1.weighted }
        let aroundA = total / (nd * nd)
        let variance = aroundA - h0.reduce(0) { $0 + $1 * $1 } / (nd * nd)
        let meanGradient = zip(a, h0).reduce(0) { $0 + ($1.0 + $1.1) * ($1.0 + $1.1) } / (nd * nd)
        return Moments(variance: variance, aroundA: aroundA, meanSquaredNorm: meanGradient + variance,
                       jacobianNorm: parts.reduce(0) { $0 + $1.norm } / nd, maxGradientEntry: parts.map(\.peak).max() ?? 1)
    }

    /// A(x) and B(x) of the derivation from f(x): c(x, y) = -y 1{y f < 1} = A + y B.
    @inline(__always)
    static func split(_ f: Double) -> (a: Double, b: Double) {
        let plus = f < 1 ? -1.0 : 0, minus = f > -1 ? 1.0 : 0     // c(x, +1), c(x, -1)
        return ((plus + minus) / 2, (plus - minus) / 2)
    }
}

extension ParityGradients {
    /// grad R_v(p) for each mask (rows, masks x P, in the problem's parameter order) by brute
    /// force: the hinge subgradient -y 1{y f(x) < 1} J(x) averaged over all 2^d inputs, with
    /// labels y = sign (-1)^(v.x) (`sign` -1 with mask 0 gives every label -1). O(masks 2^d P).
    public func enumeratedGradients(masks: [Int], sign: Double = 1) -> [Double] {
        let (outputs, jacobian) = allJacobians()
        let gradients = WorkerPool.shared.parallelMap(masks.count) { m in maskGradient(masks[m], sign: sign, outputs: outputs, jacobian: jacobian) }
        var rows: [Double] = []
        rows.reserveCapacity(masks.count * parameterCount)
        for gradient in gradients { rows.append(contentsOf: gradient) }
        return rows
    }

    /// f(x) (N) and J(x) (N x P, row-major) for every input, each on its own, in chunks of 64
    /// inputs on the worker pool.
    func allJacobians() -> (outputs: [Double], jacobian: [Double]) {
        let n = inputs, chunk = 64, chunks = (n + chunk - 1) / chunk
        let parts = WorkerPool.shared.parallelMap(chunks) { c in jacobians(c * chunk..<min(n, (c + 1) * chunk)) }
        var outputs: [Double] = [], jacobian: [Double] = []
        outputs.reserveCapacity(n)
        jacobian.reserveCapacity(n * parameterCount)
        for part in parts {
            outputs.append(contentsOf: part.outputs)
            jacobian.append(contentsOf: part.jacobian)
        }
        return (outputs, jacobian)
    }

    /// f(x) and J(x) (one row of P numbers per input) for the inputs `range`.
    func jacobians(_ range: Range<Int>) -> (outputs: [Double], jacobian: [Double]) {
        let p = parameterCount
        var outputs: [Double] = [], z = [Double](repeating: 0, count: k)
        var jacobian = [Double](repeating: 0, count: range.count * p)
        var zSpan = z.mutableSpan, rows = jacobian.mutableSpan
        for (row, x) in range.enumerated() {
            outputs.append(forward(x, z: &zSpan))
            addJacobian(x, z: zSpan.span, scale: 1, into: &rows, at: row * p)
        }
        return (outputs, jacobian)
    }

    /// grad R_v for the mask v = `mask`: g_v = sum_x (-y / N) 1{y f < 1} J(x), summed in input
    /// order, from `allJacobians`' f(x) and J(x).
    func maskGradient(_ mask: Int, sign: Double, outputs: [Double], jacobian: [Double]) -> [Double] {
        let n = inputs, p = parameterCount, nd = Double(n)
        var g = [Double](repeating: 0, count: p)
        var gSpan = g.mutableSpan
        let (outputs, rows) = (outputs.span, jacobian.span)
        for x in 0..<n {
            let y = (mask & x).nonzeroBitCount & 1 == 0 ? sign : -sign
            guard y * outputs[x] < 1 else { continue }
            Self.addScaled(-y / nd, rows.extracting(x * p..<(x + 1) * p), into: &gSpan)
        }
        return g
    }

    /// g += c * row, entry by entry (`row` has g's count). Not inlined: on its own the loop is
    /// vectorised (the count check hoisted), inlined into `maskGradient` it was not.
    @inline(never)
    static func addScaled(_ c: Double, _ row: Span<Double>, into g: inout MutableSpan<Double>) {
        precondition(row.count == g.count, "addScaled: \(row.count) numbers into \(g.count)")
        for j in 0..<g.count { g[j] += c * row[j] }
    }

    /// The moments by brute force over all 2^d masks (two passes: the mean, then the squared
    /// deviations), with a = (grad R for labels all +1 + grad R for labels all -1) / 2, which is
    /// E_x[A J] by the definition of A; `jacobianNorm` and `maxGradientEntry` from J(x) formed
    /// entry by entry (`jacobian`). O(4^d d k) time and 2^d P numbers: for d <= 12.
    public func enumeratedMoments() -> Moments {
        let n = inputs, p = parameterCount
        let rows = enumeratedGradients(masks: Array(0..<n))
        let allMinus = enumeratedGradients(masks: [0], sign: -1)
        let a = (0..<p).map { (rows[$0] + allMinus[$0]) / 2 }          // row 0: every label +1
        var mean = [Double](repeating: 0, count: p)
        for v in 0..<n { for j in 0..<p { mean[j] += rows[v * p + j] } }
        for j in 0..<p { mean[j] /= Double(n) }
        var variance = 0.0, aroundA = 0.0, squared = 0.0
        for v in 0..<n {
            for j in 0..<p {
                let g = rows[v * p + j]
                variance += (g - mean[j]) * (g - mean[j]); aroundA += (g - a[j]) * (g - a[j]); squared += g * g
            }
        }
        // J(x) formed entry by entry (`addJacobian`): E_x ||J||^2 and max |J_j| read off the rows.
        var norm = 0.0, peak = 0.0
        for x in 0..<n { for e in jacobian(x) { norm += e * e; peak = max(peak, abs(e)) } }
        return Moments(variance: variance / Double(n), aroundA: aroundA / Double(n), meanSquaredNorm: squared / Double(n),
                       jacobianNorm: norm / Double(n), maxGradientEntry: peak)
    }
}
