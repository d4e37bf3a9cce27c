import Foundation
import PluginAPI

/// The parts of a page over several runs that compare them: which options differ (the seed
/// included), every logged metric's curves of all runs overlaid on shared axes with a legend by
/// those options, and the final metrics' mean and spread over seeds.
enum ReportComparison {
    /// The options whose values differ between the runs, as "--name" (the seed as "--seed"),
    /// in the order the runs declare them.
    static func differingOptions(_ runs: [Report.Run]) -> [String] {
        guard runs.count > 1 else { return [] }
        let names = Report.orderedUnion(runs.map { Array(options($0).keys).sorted() }) + ["seed"]
        return names.filter { name in Set(runs.map { value($0, name) }).count > 1 }.map { "--" + $0 }
    }

    /// The run's value of `name` (an option name without dashes, or "seed"), as the user typed it.
    static func value(_ run: Report.Run, _ name: String) -> String {
        if name == "seed" { return run.config["seed"].map { Report.number($0) } ?? "" }
        return options(run)[name].map(Report.optionText) ?? ""
    }

    static func options(_ run: Report.Run) -> [String: Any] { run.config["options"] as? [String: Any] ?? [:] }

    /// "--lr 0.1, --seed 2": what tells the run apart from the others (its folder's name when nothing does).
    static func label(_ run: Report.Run, differing: [String]) -> String {
        guard !differing.isEmpty else { return run.name }
        return differing.map { "\($0) \(value(run, String($0.dropFirst(2))))" }.joined(separator: ", ")
    }

    /// One chart per metric that two or more runs log in metrics.csv, every run's curve on the
    /// same axes. Charts are our own SVG, shown as images like the runs' figures.
    static func overlaidCurves(_ runs: [Report.Run]) -> String {
        let differing = differingOptions(runs)
        var curves: [(label: String, step: String, columns: [String: [(Double, Double)]])] = []
        for run in runs {
            var why = ""
            guard run.files.files.contains("metrics.csv"), let data = run.files.read("metrics.csv", why: &why) else { continue }
            let records = CSV.parse(String(decoding: data, as: UTF8.self))
            guard let header = records.first, header.count > 1 else { continue }
            var columns: [String: [(Double, Double)]] = [:]
            for record in records.dropFirst() {
                guard let step = record.first.flatMap(Double.init) else { continue }
                for (name, cell) in zip(header.dropFirst(), record.dropFirst()) {
                    if let v = Double(cell), v.isFinite { columns[name, default: []].append((step, v)) }
                }
            }
            curves.append((label(run, differing: differing), header[0], columns))
        }
        let metrics = Report.orderedUnion(curves.map { Array($0.columns.keys).sorted(by: Report.numericOrder) })
            .filter { name in curves.filter { $0.columns[name] != nil }.count >= 2 }
        guard !metrics.isEmpty else { return "" }
        var html = "<h2>Curves</h2>\n<p class=\"meta\">Each metric that two or more runs log, every run on the same axes; the legend names "
            + (differing.isEmpty ? "the run folders" : "the options that differ") + ".</p>\n"
        for metric in metrics {
            let series = curves.compactMap { curve in
                curve.columns[metric].map { Series(curve.label, x: $0.map(\.0), y: $0.map(\.1)) }
            }
            let stepName = curves.first?.step ?? "step"
            let plot = LinePlot(title: metric, xLabel: stepName, yLabel: metric, series: series,
                                logY: series.allSatisfy { $0.y.allSatisfy { $0 > 0 } } && spansDecades(series))
            let svg = Data(plot.svg().utf8).base64EncodedString()
            html += "<figure><img alt=\"\(Report.escape(metric))\" src=\"data:image/svg+xml;base64,\(svg)\"><figcaption>\(Report.escape(metric)) against \(Report.escape(stepName))</figcaption></figure>\n"
        }
        return html
    }

    /// Whether positive values span more than two decades (a loss curve), so a log axis reads better.
    static func spansDecades(_ series: [Series]) -> Bool {
        let values = series.flatMap(\.y)
        guard let low = values.min(), let high = values.max(), low > 0 else { return false }
        return high / low > 100
    }

    /// When the runs differ by seed: per combination of the other differing options, each final
    /// metric's mean and sample standard deviation over the seeds, and how many runs.
    static func overSeeds(_ runs: [Report.Run]) -> String {
        let differing = differingOptions(runs)
        guard differing.contains("--seed") else { return "" }
        let others = differing.filter { $0 != "--seed" }
        var groups: [(key: [String], runs: [Report.Run])] = []
        for run in runs {
            let key = others.map { value(run, String($0.dropFirst(2))) }
            if let i = groups.firstIndex(where: { $0.key == key }) { groups[i].runs.append(run) } else { groups.append((key, [run])) }
        }
        guard groups.contains(where: { $0.runs.count > 1 }) else { return "" }
        let metricNames = Report.orderedUnion(runs.map { Array(($0.summary["metrics"] as? [String: Any] ?? [:]).keys).sorted(by: Report.numericOrder) })
        var html = "<h2>Over seeds</h2>\n<p class=\"meta\">Mean ± sample standard deviation of each final metric over the runs that differ only by seed.</p>\n"
        html += "<div class=\"scroll\"><table class=\"sortable\"><tr>" + (others + ["runs"] + metricNames).map { "<th>\(Report.escape($0))</th>" }.joined() + "</tr>\n"
        for group in groups {
            html += "<tr>" + group.key.map { "<td>\(Report.escape($0))</td>" }.joined() + "<td class=\"num\">\(group.runs.count)</td>"
            for metric in metricNames {
                let values = group.runs.compactMap { ($0.summary["metrics"] as? [String: Any])?[metric] as? Double }
                let (mean, std) = Statistics.meanAndStd(values)
                html += "<td class=\"num\">" + (values.isEmpty ? "-" : Report.escape(Report.significant(mean) + " ± " + Report.significant(std))) + "</td>"
            }
            html += "</tr>\n"
        }
        return html + "</table></div>\n"
    }
}
