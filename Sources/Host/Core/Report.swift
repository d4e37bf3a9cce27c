import Foundation
import PluginAPI

/// `report.html` for a run folder, or for a folder of runs side by side: the configuration,
/// the final metrics, every SVG figure and PNG image inline, and the metrics table. One
/// self-contained file that any browser shows offline.
public enum Report {
    /// A run folder as read back from disk.
    struct Run {
        var path: String
        var config: [String: Any]
        var summary: [String: Any]
        var name: String { (path as NSString).lastPathComponent }
    }

    /// Writes `report.html` into `folder` (a run, or a folder whose sub-folders are runs) and
    /// returns its path.
    public static func write(folder: String) throws -> String {
        let fm = FileManager.default
        let out = (folder as NSString).appendingPathComponent("report.html")
        if fm.fileExists(atPath: (folder as NSString).appendingPathComponent("config.json")) {
            try AtomicFile.write(page(for: try load(folder)), to: out)
            return out
        }
        let children = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            .map { (folder as NSString).appendingPathComponent($0) }
            .filter { fm.fileExists(atPath: ($0 as NSString).appendingPathComponent("config.json")) }
        guard !children.isEmpty else {
            throw HostError("\(folder) is not a run folder and holds none", hint: "give a folder written by `host run` (it has config.json), or a folder of such folders")
        }
        try AtomicFile.write(sweepPage(folder: folder, runs: try children.map(load)), to: out)
        return out
    }

    static func load(_ path: String) throws -> Run {
        func json(_ name: String) throws -> [String: Any] {
            let file = (path as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file) else {
                if name == "summary.json" { return ["status": "running or killed (no summary.json)"] }
                throw HostError("cannot read \(file)", hint: "is this a run folder written by `host run`?")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw HostError("\(file) is not valid JSON", hint: "the run folder is damaged; rerun the experiment")
            }
            return object
        }
        return Run(path: path, config: try json("config.json"), summary: try json("summary.json"))
    }

    static func page(for run: Run) -> String {
        var body = "<h1>\(escape(title(run)))</h1>\n<p class=\"meta\">\(escape(statusLine(run)))</p>\n"
        body += "<h2>Final metrics</h2>\n" + metricsTable([run])
        if let notes = run.summary["notes"] as? [String: Any], !notes.isEmpty {
            body += "<h2>Notes</h2>\n<dl>" + notes.keys.sorted().map { "<dt>\(escape($0))</dt><dd>\(escape("\(notes[$0] ?? "")"))</dd>" }.joined() + "</dl>\n"
        }
        body += tables(run)
        body += figures(run)
        body += "<h2>Configuration</h2>\n" + configTable(run)
        body += metricsCSVTable(run)
        return document(title: title(run), body: body)
    }

    static func sweepPage(folder: String, runs: [Run]) -> String {
        var body = "<h1>\(escape((folder as NSString).lastPathComponent)): \(runs.count) runs</h1>\n"
        body += "<h2>Final metrics</h2>\n" + metricsTable(runs)
        body += "<h2>Figures</h2>\n<div class=\"side\">"
        for run in runs { body += "<section><h3>\(escape(run.name))</h3>\(figures(run, heading: false))</section>" }
        body += "</div>\n"
        return document(title: "\(runs.count) runs", body: body)
    }

    static func title(_ run: Run) -> String {
        "\(run.config["plugin"] as? String ?? "?") \(run.config["experiment"] as? String ?? "?")"
    }

    static func statusLine(_ run: Run) -> String {
        let status = run.summary["status"] as? String ?? "?"
        let seconds = (run.summary["seconds"] as? Double).map { String(format: "%.2f s", $0) } ?? "?"
        return "\(status), \(seconds), started \(run.summary["started"] as? String ?? "?"), seed \(run.config["seed"] ?? "?"), folder \(run.name)"
    }

    /// One row per run: its name, status, options that differ between runs, final metrics.
    static func metricsTable(_ runs: [Run]) -> String {
        let metricNames = orderedUnion(runs.map { Array(($0.summary["metrics"] as? [String: Any] ?? [:]).keys).sorted(by: numericOrder) })
        let optionSets = runs.map { $0.config["options"] as? [String: Any] ?? [:] }
        let varying = runs.count > 1 ? orderedUnion(optionSets.map { Array($0.keys).sorted() }).filter { key in
            Set(optionSets.map { "\($0[key] ?? "")" }).count > 1 } : []
        var html = "<table><tr>" + (runs.count > 1 ? "<th>run</th><th>status</th>" : "")
        html += (varying.map { "--" + $0 } + metricNames).map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for (run, options) in zip(runs, optionSets) {
            html += "<tr>" + (runs.count > 1 ? "<td>\(escape(run.name))</td><td>\(escape(run.summary["status"] as? String ?? "?"))</td>" : "")
            html += varying.map { "<td>\(escape(options[$0].map(optionText) ?? ""))</td>" }.joined()
            let metrics = run.summary["metrics"] as? [String: Any] ?? [:]
            html += metricNames.map { "<td class=\"num\">\(escape(number(metrics[$0])))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    static func configTable(_ run: Run) -> String {
        var rows: [(String, String)] = []
        for (key, value) in (run.config["options"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) { rows.append(("--" + key, optionText(value))) }
        for key in ["seed", "threads"] { rows.append((key, "\(run.config[key] ?? "")")) }
        for (key, value) in (run.config["versions"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            rows.append((key == "plugin_library" ? "plugin library" : key + " version", "\(value)"))
        }
        if let command = run.config["command_line"] as? [String] { rows.append(("command", "host " + command.joined(separator: " "))) }
        return "<table>" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined(separator: "\n") + "</table>\n"
    }

    /// Every .svg inline and every .png as a data URI, found anywhere in the run folder.
    static func figures(_ run: Run, heading: Bool = true) -> String {
        let files = (FileManager.default.enumerator(atPath: run.path)?.allObjects as? [String] ?? []).sorted()
        var html = ""
        for (index, file) in files.enumerated() where file.hasSuffix(".svg") || file.hasSuffix(".png") {
            let path = (run.path as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            if file.hasSuffix(".svg") {
                var svg = String(decoding: data, as: UTF8.self)
                if svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") { svg = String(svg[end.upperBound...]) }
                svg = uniqueIDs(svg, prefix: "\(run.name)-\(index)-")
                html += "<figure>\(svg)<figcaption>\(escape(file))</figcaption></figure>\n"
            } else {
                html += "<figure><img alt=\"\(escape(file))\" src=\"data:image/png;base64,\(data.base64EncodedString())\"><figcaption>\(escape(file))</figcaption></figure>\n"
            }
        }
        if html.isEmpty { return "" }
        return (heading ? "<h2>Figures and images</h2>\n" : "") + html
    }

    /// Prefixes every id an SVG defines and references: inline in one page, two figures'
    /// `clip1` would otherwise both use whichever comes first.
    static func uniqueIDs(_ svg: String, prefix: String) -> String {
        let clean = prefix.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }
        let p = "f-" + String(clean)
        return svg.replacingOccurrences(of: "id=\"", with: "id=\"\(p)").replacingOccurrences(of: "url(#", with: "url(#\(p)")
            .replacingOccurrences(of: "href=\"#", with: "href=\"#\(p)")
    }

    /// metrics.csv as a table; long logs are thinned to about 60 rows (the last always kept).
    static func metricsCSVTable(_ run: Run) -> String {
        guard let data = FileManager.default.contents(atPath: (run.path as NSString).appendingPathComponent("metrics.csv")) else { return "" }
        return "<h2>Metrics log</h2>\n" + csvTable(String(decoding: data, as: UTF8.self), file: "metrics.csv", thinTo: 60)
    }

    /// The experiment's own tables (every other .csv, such as a sweep's summary) and text
    /// outputs (.txt, such as a layer table), in full, under "Tables".
    static func tables(_ run: Run) -> String {
        let files = (FileManager.default.enumerator(atPath: run.path)?.allObjects as? [String] ?? []).sorted()
        var html = ""
        for file in files where (file.hasSuffix(".csv") && file != "metrics.csv") || file.hasSuffix(".txt") {
            guard let data = FileManager.default.contents(atPath: (run.path as NSString).appendingPathComponent(file)) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            html += "<h3>\(escape(file))</h3>\n"
            html += file.hasSuffix(".csv") ? csvTable(text, file: file, thinTo: nil) : "<pre>\(escape(text))</pre>\n"
        }
        return html.isEmpty ? "" : "<h2>Tables</h2>\n" + html
    }

    /// CSV text as an HTML table; with `thinTo`, longer tables show about that many rows.
    static func csvTable(_ text: String, file: String, thinTo limit: Int?) -> String {
        let records = CSV.parse(text)
        guard let header = records.first else { return "" }
        let rows = Array(records.dropFirst())
        let every = limit.map { max(1, rows.count / $0) } ?? 1
        let shown = rows.enumerated().filter { $0.offset % every == 0 || $0.offset == rows.count - 1 }.map(\.element)
        var html = ""
        if every > 1 { html += "<p class=\"meta\">every \(every)th of \(rows.count) rows; all of them are in \(escape(file))</p>\n" }
        html += "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in shown {
            html += "<tr>" + row.map { cell in
                Double(cell) != nil ? "<td class=\"num\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    /// "d5" before "d10": names compared with their digits as numbers.
    static func numericOrder(_ a: String, _ b: String) -> Bool { a.compare(b, options: .numeric) == .orderedAscending }

    /// An option value as the user typed it (JSON booleans come back as numbers).
    static func optionText(_ value: Any) -> String {
        if let n = value as? NSNumber, String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
        return "\(value)"
    }

    static func number(_ value: Any?) -> String {
        switch value {
        case let v as Double: return formatNumber(v)
        case let v as Int: return String(v)
        case nil, is NSNull: return "-"
        case let v?: return "\(v)"
        }
    }

    static func orderedUnion(_ lists: [[String]]) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for list in lists { for item in list where seen.insert(item).inserted { out.append(item) } }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 1400px; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        figure { display: inline-block; margin: 0.5em; vertical-align: top; }
        figure img { image-rendering: pixelated; max-width: 100%; }
        figcaption, .meta { color: #666; font-size: 0.9em; }
        .side { display: flex; gap: 1em; overflow-x: auto; }
        dd { margin: 0 0 0.8em 1em; }
        </style></head><body>
        \(body)
        </body></html>

        """
    }
}
