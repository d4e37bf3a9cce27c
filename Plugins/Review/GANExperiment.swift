import Foundation
import PluginAPI

/// Experiment `gan` (the sheet's problem 5): the saturating generator loss log(1 - D(G(z)))
/// has a gradient that vanishes as D(G(z)) -> 0, the non-saturating -log D(G(z)) does not.
public enum GANExperiment {
    static let declaration = Experiment(
        name: "gan",
        summary: "GAN generator losses: d/dl log(1 - sigmoid(l)) = -D against d/dl -log sigmoid(l) = -(1 - D) by autograd, and a 1-D GAN trained with each",
        settings: Settings.self,
        metrics: [
            MetricSpec("max_gradient_error", goal: .lowerIsBetter, help: "largest |autograd - closed form| over the grid, both losses"),
            MetricSpec("saturating_distance", help: "|generated mean - real mean| after training with log(1 - D(G(z)))"),
            MetricSpec("non_saturating_distance", goal: .lowerIsBetter, help: "|generated mean - real mean| after training with -log D(G(z))"),
            MetricSpec("initial_gradient_ratio", help: "generator gradient norm at the first generator step: non-saturating / saturating"),
        ],
        train: run)

    /// The experiment's options: the logit grid of the gradient check, then the 1-D GAN's setting.
    struct Settings: ExperimentSettings {
        var logitMin = -10.0, logitMax = 10.0, points = 201
        var training = Setting()
        static let fields: [SettingField<Settings>] = [
            .double("logit-min", \.logitMin, min: -80, max: 0, help: "lowest discriminator logit l of the gradient grid"),
            .double("logit-max", \.logitMax, min: 0, max: 15, help: "highest discriminator logit l of the gradient grid"),
            .int("points", \.points, range: 2...100_000, help: "logits on the grid"),
        ] + SettingField.nested(\.training, Setting.fields)
    }

    /// The generator's loss on the discriminator's logit l of a generated sample.
    public enum GeneratorLoss: String, CaseIterable, Sendable {
        /// log(1 - D(G(z))), minimised: the minimax objective.
        case saturating
        /// -log D(G(z)), minimised: the usual replacement.
        case nonSaturating = "non_saturating"

        /// The loss of each logit, recorded for autograd.
        public func loss(_ logits: Tensor) -> Tensor {
            switch self {
            case .saturating: return (1 - logits.sigmoid() + 1e-30).log()
            case .nonSaturating: return -(logits.sigmoid() + 1e-30).log()
            }
        }

        /// The closed form of d loss / dl: -sigmoid(l), or -(1 - sigmoid(l)).
        public func closedForm(_ l: Double) -> Double {
            let d = 1 / (1 + Foundation.exp(-l))
            return self == .saturating ? -d : -(1 - d)
        }
    }

    /// One grid point: the logit, D = sigmoid(l), and each loss's gradient by autograd.
    public struct GradientRow: Sendable {
        public var logit: Double, d: Double, saturating: Double, nonSaturating: Double
    }

    /// The gradient of each loss with respect to the logit at every grid point, by the engine's autograd.
    public static func logitGradients(_ logits: [Double]) -> [GradientRow] {
        var gradients: [GeneratorLoss: [Float]] = [:]
        for loss in GeneratorLoss.allCases {
            let l = Tensor(logits.map { Float($0) }, shape: [logits.count], requiresGrad: true)
            loss.loss(l).sum().backward()
            gradients[loss] = l.grad?.values ?? []
        }
        let saturating = gradients[.saturating] ?? [], nonSaturating = gradients[.nonSaturating] ?? []
        return logits.indices.map { i in
            GradientRow(logit: logits[i], d: 1 / (1 + Foundation.exp(-logits[i])),
                        saturating: i < saturating.count ? Double(saturating[i]) : .nan,
                        nonSaturating: i < nonSaturating.count ? Double(nonSaturating[i]) : .nan)
        }
    }

    /// The largest |autograd - closed form| over the rows, both losses (NaN counts as infinite).
    public static func maxError(_ rows: [GradientRow]) -> Double {
        rows.reduce(0) { worst, r in
            let e = max(abs(r.saturating - GeneratorLoss.saturating.closedForm(r.logit)),
                        abs(r.nonSaturating - GeneratorLoss.nonSaturating.closedForm(r.logit)))
            return e.isNaN ? .infinity : max(worst, e)
        }
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (low, high, points) = (settings.logitMin, settings.logitMax, settings.points)
        let logits = (0..<points).map { low + (high - low) * Double($0) / Double(points - 1) }
        let rows = logitGradients(logits)
        let error = maxError(rows)
        context.metrics.final("max_gradient_error", error)
        try context.artifacts.writeCSV("logit_gradients.csv", header: ["logit", "D", "autograd_saturating", "closed_saturating",
                                                                      "autograd_non_saturating", "closed_non_saturating"],
                                       rows: rows.map { r in [r.logit, r.d, r.saturating, GeneratorLoss.saturating.closedForm(r.logit),
                                                              r.nonSaturating, GeneratorLoss.nonSaturating.closedForm(r.logit)].map { formatNumber($0) } })
        let ds = rows.map(\.d)
        let gradientPlot = LinePlot(title: "|d/dl| of log(1 - D) and of -log D, D = sigmoid(l)", xLabel: "D(G(z)) = sigmoid(l)",
                                    yLabel: "|d loss / dl| by autograd", series: [
                                        Series("saturating (= D)", x: ds, y: rows.map { abs($0.saturating) }),
                                        Series("non-saturating (= 1 - D)", x: ds, y: rows.map { abs($0.nonSaturating) }, dashed: true),
                                    ], logY: true, logX: true)
        try context.artifacts.write(gradientPlot.svg(), to: "logit_gradients.svg")
        if let first = rows.first {
            context.log(String(format: "gan: at l = %.3g (D = %.3g): |d/dl log(1 - D)| = %.3g, |d/dl -log D| = %.3g; autograd against the closed forms: max error %.2g over %d logits",
                               first.logit, first.d, abs(first.saturating), abs(first.nonSaturating), error, rows.count))
        }
        var training = settings.training
        training.seed = context.seed
        try train(context, training)
    }
}
