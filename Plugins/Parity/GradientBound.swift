import Foundation
import PluginAPI

/// Problem 3(c)(i), (iii) and the bound of (iv) for `ParityGradients`' network
/// f(x) = sum_i alpha_i max(0, z_i) + beta, z = W x + b, x in {0,1}^d, N = 2^d inputs.
///
/// (i) The gradient in the problem's parameter order (w_1 ... w_k, b, alpha, beta), with
/// ReLU'(z) = 1{z > 0} as autograd takes it (`jacobian`):
///
///     d f / d w_ij = alpha_i 1{z_i > 0} x_j     d f / d b_i  = alpha_i 1{z_i > 0}
///     d f / d alpha_i = max(0, z_i)             d f / d beta = 1
///
/// As x_j is 0 or 1 and 0 <= max(0, z_i) <= |b_i| + sum_k |w_ik| = |b_i| + ||w_i||_1, every
/// entry is at most (`entryBound`)
///
///     c_p = max(1, max_i |alpha_i|, max_i (||w_i||_1 + |b_i|)).
///
/// Each term is needed: 1 is beta's entry at every x; with w_i = 0 and b_i = 2 the entry of
/// alpha_i is 2 at every x. The smallest valid constant, max_x max_j |J_j(x)|
/// (`Moments.maxGradientEntry`, over all 2^d inputs), has a closed form: z_i is largest,
/// m_i = b_i + sum_k max(0, w_ik), at the x that is 1 exactly where w_ik > 0, and unit i is on
/// for some x iff m_i > 0, so c*_p = max(1, max_{i: m_i > 0} max(|alpha_i|, m_i))
/// (`tightEntryBound`).
///
/// (iii) The characters chi_v(x) = (-1)^(v.x), v in {0,1}^d, are orthonormal under x uniform:
/// E_x chi_u chi_v = E_x chi_{u xor v} = prod_j (1 + (-1)^((u xor v)_j)) / 2 = 1{u = v}, so
/// sub-orthonormal (`characterGram` sums over x to check it).
///
/// (iv) With grad R_v = a + E_x[chi_v g], g = B J and |B| <= 1 (B = -1 where |f| < 1, else -1/2):
///
///     E_v ||grad R_v - a||^2 = (1/N) sum_j sum_v (E_x chi_v g_j)^2   (the hint's double sum)
///                           <= (1/N) sum_j E_x g_j^2 = E_x ||h||^2 / N  (Bessel; = here: Parseval)
///                           <= E_x ||J||^2 / N                         (|B| <= 1)
///                           <= P c_p^2 / N                             (|J_j| <= c_p)
///
/// so C_p = P c_p^2 with P = dk + 2k + 1 parameters (`boundConstant`): polynomial in d when
/// k grows polynomially and the weights stay bounded (PyTorch's initialisation: c_p ~ sqrt(d) / 2).
extension ParityGradients {
    /// grad_p f(x) in the problem's parameter order (P numbers); bit j of `x` is x_j.
    public func jacobian(_ x: Int) -> [Double] {
        scaledJacobian(x, z: evaluate(x).z, scale: 1)
    }

    /// c_p = max(1, max_i |alpha_i|, max_i (||w_i||_1 + |b_i|)): |grad_p f(x)_j| <= c_p for
    /// every x in {0,1}^d and every j (3(c)(i)).
    public var entryBound: Double {
        (0..<k).reduce(1.0) { c, i in
            max(c, abs(alpha[i]), (0..<d).reduce(abs(bias[i])) { $0 + abs(weight[i * d + $1]) })
        }
    }

    /// c*_p = max_x max_j |grad_p f(x)_j| in closed form: max(1, max over units with
    /// m_i = b_i + sum_k max(0, w_ik) > 0 of max(|alpha_i|, m_i)). O(k d), no enumeration.
    public var tightEntryBound: Double {
        (0..<k).reduce(1.0) { c, i in
            let m = (0..<d).reduce(bias[i]) { $0 + max(0, weight[i * d + $1]) }
            return m > 0 ? max(c, abs(alpha[i]), m) : c
        }
    }

    /// C_p = P c_p^2 (P = dk + 2k + 1): E_v ||grad R_v - a||^2 <= C_p / 2^d (3(c)(iv)).
    public var boundConstant: Double { Double(parameterCount) * entryBound * entryBound }

    /// The Gram matrix G_uv = E_x[chi_u(x) chi_v(x)] of the 2^d characters chi_v(x) = (-1)^(v.x)
    /// under x uniform on {0,1}^d, summed over all x (no identity assumed); 2^d x 2^d row-major,
    /// O(8^d / 2): d in 0...10.
    public static func characterGram(d: Int) throws -> [Double] {
        guard (0...10).contains(d) else {
            throw PluginError.invalidInput("character Gram matrix: d = \(d)", hint: "give d in 0...10 (the sum costs 8^d / 2)")
        }
        let n = 1 << d
        var gram = [Double](repeating: 0, count: n * n)
        for u in 0..<n {
            for v in u..<n {
                var sum = 0                                 // sum_x chi_u(x) chi_v(x), an integer
                for x in 0..<n { sum += ((u & x).nonzeroBitCount + (v & x).nonzeroBitCount) & 1 == 0 ? 1 : -1 }
                gram[u * n + v] = Double(sum) / Double(n)
                gram[v * n + u] = gram[u * n + v]
            }
        }
        return gram
    }

    /// max_{u, v} |G_uv - 1{u = v}| of `characterGram(d:)`: 0 when the characters are orthonormal.
    public static func characterGramDeviation(d: Int) throws -> Double {
        let n = 1 << d, gram = try characterGram(d: d)
        return gram.indices.reduce(0) { max($0, abs(gram[$1] - ($1 / n == $1 % n ? 1 : 0))) }
    }

    /// grad_p f(x) by the engine's autograd (backward from f(x) for the one input x, bit j of
    /// `x` is x_j), in `parameters()` order, which is the problem's.
    public static func autogradJacobian(_ network: TwoLayerReLU, x: Int) -> [Double] {
        let d = network.hidden.weight.shape[1]
        let input = Tensor((0..<d).map { Float((x >> $0) & 1) }, shape: [1, d])
        network.zeroGrad()
        network(input).sum().backward()
        return network.parameters().flatMap { p in (p.grad?.values ?? [Float](repeating: 0, count: p.count)).map(Double.init) }
    }
}
