import Foundation
import PluginAPI

/// Experiment `convolution`: y = x * h for a rectangle x of length L and h(n) = (1/2)^n u(n),
/// by the direct sum and by the closed form's three cases; shift invariance; and the layer's
/// conv2d as a cross-correlation (`CorrelationCheck.swift`).
public enum ConvolutionExperiment {
    static let declaration = Experiment(
        name: "convolution",
        summary: "y = x * h for a rectangle of length L and h(n) = (1/2)^n u(n): direct sum against the closed form, and x(n - 5) giving y(n - 5); the layer's conv2d is a cross-correlation, a convolution with the flipped kernel",
        settings: Settings.self,
        metrics: [MetricSpec("max_closed_form_error", goal: .lowerIsBetter, help: "largest |direct - closed form|"),
                  MetricSpec("max_shift_error", goal: .lowerIsBetter, help: "largest |(x(n-5) * h)(n) - y(n - 5)|"),
                  MetricSpec("correlation_error", goal: .lowerIsBetter, help: "conv2d(x, k) against the cross-correlation sum, max |difference| / max |reference| (im2col, Winograd)"),
                  MetricSpec("flipped_convolution_error", goal: .lowerIsBetter, help: "conv2d(x, k) against the true convolution with flip(k), conv2d(x, flip(k)) against it with k, and eq. (1) by conv2d with flip(h)"),
                  MetricSpec("unflipped_difference", help: "the smallest of conv2d(x, k) against the true convolution with k and conv2d(rectangle, h) against y (large: the layer does not flip)")],
        train: run)

    /// The experiment's options: the rectangle's length and the plotted range of n.
    struct Settings: ExperimentSettings {
        var length = 5, from = -6, to = 12
        static let fields: [SettingField<Settings>] = [
            .int("length", \.length, range: 1...1000, help: "L, the rectangle's length (x(n) = 1 for 0 <= n < L)"),
            .int("from", \.from, range: -10_000...0, help: "first n plotted"),
            .int("to", \.to, range: 0...10_000, help: "last n plotted"),
        ]
    }

    static func h(_ n: Int) -> Double { n < 0 ? 0 : pow(0.5, Double(n)) }

    /// (x * h)(n) = sum_k x(k) h(n - k) for x nonzero on [start, start + L).
    public static func direct(_ n: Int, length: Int, start: Int = 0) -> Double {
        (start..<start + length).reduce(0) { $0 + h(n - $1) }
    }

    /// The closed form: 0 for n < 0; 2 - (1/2)^n for 0 <= n < L; (2^L - 1) (1/2)^n for n >= L.
    public static func closedForm(_ n: Int, length: Int) -> Double {
        if n < 0 { return 0 }
        if n < length { return 2 - pow(0.5, Double(n)) }
        return (pow(2, Double(length)) - 1) * pow(0.5, Double(n))
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let (length, from, to) = (settings.length, settings.from, settings.to)
        let ns = Array(from...to)
        let direct = ns.map { Self.direct($0, length: length) }, closed = ns.map { closedForm($0, length: length) }
        let shifted = ns.map { Self.direct($0, length: length, start: 5) }, delayed = ns.map { Self.direct($0 - 5, length: length) }
        let closedError = zip(direct, closed).map { abs($0 - $1) }.max() ?? 0
        let shiftError = zip(shifted, delayed).map { abs($0 - $1) }.max() ?? 0
        context.metrics.final("max_closed_form_error", closedError)
        context.metrics.final("max_shift_error", shiftError)
        context.metrics.stepName = "index"
        for (i, n) in ns.enumerated() {
            context.metrics.log(step: n - from, [("n", Double(n)), ("direct", direct[i]), ("closed_form", closed[i]), ("shifted_input", shifted[i])])
        }
        let lastInside = Self.direct(length - 1, length: length), expectedInside = 2 - pow(0.5, Double(length - 1))
        context.log("convolution: L = \(length); y(0) = \(formatNumber(Self.direct(0, length: length), expected: 1)), y(L - 1) = \(formatNumber(lastInside, expected: expectedInside))")
        context.log("convolution: largest |direct - closed form| \(formatNumber(closedError)); x(n - 5) gives y(n - 5) to \(formatNumber(shiftError))")
        let xs = ns.map(Double.init)
        let plot = LinePlot(title: "y = x * h, rectangle of length \(length), h(n) = (1/2)^n u(n)", xLabel: "n", yLabel: "y(n)", series: [
            Series("direct sum", x: xs, y: direct, markers: true, line: false),
            Series("closed form", x: xs, y: closed, dashed: true),
            Series("input x(n - 5): output", x: xs, y: shifted, markers: true),
        ])
        try context.artifacts.write(plot.svg(), to: "convolution.svg")
        try correlationPart(context, length: length, from: from, to: to)
    }
}
