import Foundation
import PluginAPI

/// The plots of the `bias` experiment: measured points (markers) over the closed forms
/// (lines), with the limits a -> infinity as dashed reference lines.
enum BiasPlots {
    static func write(_ solutions: [(a: Double, s: BiasExperiment.TwoPointSolution)], context: RunContext) throws {
        let a = solutions.map(\.a), c = BiasClosedForms.self
        let d = solutions.first.map { $0.s.v.count } ?? 1
        func pair(_ name: String, measured: (BiasExperiment.TwoPointSolution) -> Double, closed: (Double) -> Double, color: String) -> [Series] {
            [Series(name + " closed form", x: a, y: a.map(closed), color: color),
             Series(name + " measured", x: a, y: solutions.map { measured($0.s) }, line: false, color: color)]
        }
        var solution = LinePlot(title: "SVM with a bias: x1 = e1 (+1), x2 = -a e1 (-1)", xLabel: "a", yLabel: "solution component",
                                series: pair("u1", measured: { $0.u[0] }, closed: c.u1, color: "#1f77b4")
                                    + pair("u_(d+1)", measured: { $0.u[d] }, closed: c.uLast, color: "#ff7f0e")
                                    + pair("v1", measured: { $0.v[0] }, closed: c.v1, color: "#2ca02c")
                                    + pair("b", measured: { $0.b ?? .nan }, closed: c.b, color: "#d62728"))
        solution.horizontalLines = [("u1 = u_(d+1) = 1/2 for a >= 3", 0.5), ("b -> 1", 1), ("v1 -> 0", 0)]
        try context.artifacts.write(solution.svg(), to: "solution.svg")

        var norms = LinePlot(title: "Objectives: 1/2 ||u||^2 stays 1/4, 1/2 ||v||^2 -> 0", xLabel: "a", yLabel: "1/2 ||.||^2",
                             series: pair("1/2 ||u||^2", measured: \.halfNormU, closed: c.halfNormU, color: "#1f77b4")
                                 + pair("1/2 ||v||^2", measured: \.halfNormV, closed: c.halfNormV, color: "#2ca02c"))
        norms.horizontalLines = [("limit 1/4", BiasClosedForms.limits.halfNormU), ("limit 0", BiasClosedForms.limits.halfNormV)]
        try context.artifacts.write(norms.svg(), to: "objectives.svg")

        var margins = LinePlot(title: "Geometric margins: appended 1 stays 2, free bias (a+1)/2", xLabel: "a", yLabel: "margin in R^d",
                               series: pair("appended 1", measured: \.marginU, closed: c.marginU, color: "#1f77b4")
                                   + pair("free bias", measured: \.marginV, closed: c.marginV, color: "#2ca02c"))
        margins.horizontalLines = [("2", 2)]
        try context.artifacts.write(margins.svg(), to: "margins.svg")
    }
}
