import Foundation
import PluginAPI

/// The figures of the Parity experiments.
enum ParityPlots {
    /// Hinge loss (mean over each logging window) against the step, one line per run.
    static func lossCurve(_ runs: [(String, TrainExperiment.Outcome)], title: String, context: RunContext, file: String) throws {
        let series = runs.map { name, outcome in
            Series(name, x: outcome.curve.map { Double($0.step) }, y: outcome.curve.map(\.loss))
        }
        let plot = LinePlot(title: title, xLabel: "iteration", yLabel: "hinge loss (mean per logging window)",
                            series: series)
        try context.artifacts.write(plot.svg(), to: file)
    }
}
