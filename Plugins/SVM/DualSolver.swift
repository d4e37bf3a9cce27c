import Foundation
import PluginAPI

/// The kernel SVM dual, min_a f(a) = 1/2 sum_ij a_i a_j y_i y_j K_ij - sum_i a_i over
/// 0 <= a <= C (C infinite for the hard margin), by projected gradient descent from a = 0:
/// a <- clamp(a - lr grad f(a), 0, C), with grad f from the engine's autograd.
/// With `bias`, the form with a free bias b (min 1/2 ||v||^2 s.t. y_i (v.x_i + b) >= 1), whose
/// dual adds sum_i a_i y_i = 0: see `solveWithBias`.
public struct DualSolver {
    public var kernel: Kernel
    /// The soft-margin bound C; nil for the hard margin (a >= 0 only).
    public var c: Double?
    public var lr: Float = 0.1
    public var steps = 10_000
    /// Solve the form with a free bias: the projection is onto {0 <= a (<= C), sum a_i y_i = 0}.
    public var bias = false

    public init(kernel: Kernel, c: Double? = nil, lr: Float = 0.1, steps: Int = 10_000, bias: Bool = false) {
        self.kernel = kernel; self.c = c; self.lr = lr; self.steps = steps; self.bias = bias
    }

    /// A trained model: the training points, labels and the dual variables.
    public struct Model {
        public var x: Tensor, y: Tensor, alpha: [Float]
        public var kernel: Kernel
        /// The dual objective after each logged step (step, f(a)).
        public var objective: [(step: Int, value: Double)]
        /// The bias b of the form with a free bias, from the KKT conditions (the mean of
        /// y_i - sum_j a_j y_j K_ij over margin support vectors, 0 < a_i < C); nil for the
        /// bias-free form, or when no margin support vector fixes it (b is then not unique).
        public var bias: Double? = nil
        /// The dual variables in Double, as the bias solver keeps them (empty for the bias-free form).
        public var alphaDouble: [Double] = []
        /// Wall time of the solve.
        public var seconds = 0.0
        public var finalObjective: Double { objective.last?.value ?? .nan }

        /// f(z) = sum_i a_i y_i K(x_i, z) (+ b) for every row of `points` (m, d).
        public func predict(_ points: Tensor) -> [Float] {
            let weights = Tensor(zip(alpha, y.values).map { $0 * $1 }, shape: [alpha.count, 1])
            let f = noGrad { kernel.matrix(points, x).matmul(weights) }.values
            guard let bias else { return f }
            return f.map { $0 + Float(bias) }
        }
    }

    /// The objective as the engine records it, for a (n) with gradient and Q = (y y^T) o K.
    static func objective(_ a: Tensor, _ q: Tensor) -> Tensor {
        // 1/2 a^T Q a - sum a = sum(a o (1/2 Q a - 1)): five recorded operations.
        (a * (q.matmul(a.reshape([-1, 1])).reshape([-1]) * 0.5 - 1)).sum()
    }

    /// Solves for x (n, d) and labels y (n) of +-1, measuring the objective every `logEvery`
    /// steps and at the last (rows of `objective` in `watch`'s metrics). Throws
    /// `PluginError.diverged` when the objective is not finite.
    public func solve(x: Tensor, y: Tensor, logEvery: Int = 100, watch: TrainingWatch = .silent) throws -> Model {
        let loop = TrainingLoop("solve \(kernel)", total: steps, logEvery: logEvery, watch: watch,
                                lossName: "dual objective", divergenceHint: "lower --lr (now \(lr))")
        if bias { return try solveWithBias(x: x, y: y, loop: loop) }
        let n = x.shape[0]
        let k = kernel.matrix(x, x)
        let q = noGrad { y.reshape([n, 1]) * y.reshape([1, n]) * k }
        let a = Tensor.zeros([n], requiresGrad: true)
        let update = ProjectedGradientStep(a, lr: lr, upper: c.map(Float.init) ?? .infinity)
        // zero_grad, objective, backward, update: captured once, then replayed (StepCapture).
        let descend = StepCapture(update) { inputs in DualSolver.objective(a, inputs[0]) }
        var model = Model(x: x, y: y, alpha: [], kernel: kernel, objective: [])
        let report = try loop.run(step: { step in
            descend(q)
            return loop.isLoggingPoint(step) ? Double(noGrad { DualSolver.objective(a, q) }.item) : nil
        }, log: { point in
            model.objective.append((point.step, point.windowLoss))
            return [("objective", point.windowLoss)]
        })
        model.alpha = a.values
        model.seconds = report.seconds
        return model
    }

    /// The projected gradient step a <- clamp(a - lr grad f(a), 0, C), as an optimizer.
    final class ProjectedGradientStep: Optimizer {
        let upper: Float

        init(_ a: Tensor, lr: Float, upper: Float) {
            self.upper = upper
            super.init([a], lr: lr)
        }

        override func step() {
            for a in parameters {
                guard let grad = a.grad else { continue }
                a.copy_(noGrad { (a - grad * lr).clamp(min: 0, max: upper) })
            }
        }
    }

    /// The closed-form gradient of the dual objective, Q a - 1 with Q_ij = y_i y_j K(x_i, x_j),
    /// all in Double (K from `Kernel.value`): the check on the autograd gradient, and HW3 3(b)'s
    /// hint (the gradient vanishes at the closed-form optimum). The course's dual function is
    /// the maximised sum a - 1/2 a^T Q a, whose gradient is the negative of this.
    public static func closedFormGradient(kernel: Kernel, x: Tensor, y: Tensor, alpha: [Double]) -> [Double] {
        let n = x.shape[0], d = n > 0 ? x.count / n : 0
        let rows = (0..<n).map { i in x.values[i * d..<(i + 1) * d].map(Double.init) }, labels = y.values.map(Double.init)
        return (0..<n).map { i in
            (0..<n).reduce(0.0) { $0 + labels[i] * labels[$1] * kernel.value(rows[i], rows[$1]) * alpha[$1] } - 1
        }
    }

    /// `closedFormGradient` at Float dual variables (the solver's).
    public static func closedFormGradient(kernel: Kernel, x: Tensor, y: Tensor, alpha: [Float]) -> [Double] {
        closedFormGradient(kernel: kernel, x: x, y: y, alpha: alpha.map(Double.init))
    }

    /// The autograd gradient of the objective at `alpha` (for the tests).
    public static func autogradGradient(kernel: Kernel, x: Tensor, y: Tensor, alpha: [Float]) -> [Float] {
        let n = x.shape[0]
        let q = noGrad { y.reshape([n, 1]) * y.reshape([1, n]) * kernel.matrix(x, x) }
        let a = Tensor(alpha, shape: [n], requiresGrad: true)
        objective(a, q).backward()
        return a.grad?.values ?? []
    }
}
