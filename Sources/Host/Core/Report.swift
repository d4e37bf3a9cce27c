import Foundation
import PluginAPI

/// `report.html` for a run folder, or for a folder of runs side by side: the configuration,
/// the final metrics, every SVG figure and PNG image as an image, and the metrics table. One
/// self-contained file that any browser shows offline.
///
/// A run folder may be someone else's (a submitted assignment), so the page stays inside it:
/// no symbolic link is followed, no fifo or device is read (`RunFiles`), every text is
/// escaped, and figures are `<img>` data URIs, which a browser shows without running scripts
/// or fetching anything. What was left out is listed on the page and in a warning.
public enum Report {
    /// A run folder as read back from disk.
    struct Run {
        var path: String
        var config: [String: Any]
        var summary: [String: Any]
        var files: RunFiles
        var name: String { (path as NSString).lastPathComponent }
    }

    /// Writes `report.html` into `folder` (a run, or a folder whose sub-folders are runs) and
    /// returns its path; `warn` hears one line per file left out (a symbolic link, a fifo).
    public static func write(folder: String, warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }) throws -> String {
        // The folder the user names may be reached through a link; nothing inside it is.
        guard let root = RunFiles.realPath(folder), RunFiles.isFolder(root) else {
            throw HostError("\(folder) is not a folder", hint: "give a folder written by `host run` (it has config.json), or a folder of such folders")
        }
        let html: String
        var skipped: [String] = []
        if exists(root + "/config.json") {
            let run = try load(root)
            skipped = run.files.skipped
            html = page(for: run)
        } else {
            var runs: [Run] = []
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() {
                let child = root + "/" + name
                if RunFiles.isFolder(child) {
                    guard exists(child + "/config.json") else { continue }
                    let run = try load(child)
                    skipped += run.files.skipped.map { name + "/" + $0 }
                    runs.append(run)
                } else if !RunFiles.isRegularFile(child) {
                    skipped.append("\(name): \(RunFiles.describe(child))")
                }
            }
            guard !runs.isEmpty else {
                throw HostError("\(folder) is not a run folder and holds none", hint: "give a folder written by `host run` (it has config.json), or a folder of such folders")
            }
            html = sweepPage(folder: folder, runs: runs, skipped: skipped)
        }
        for line in skipped { warn("report: left out \(line)") }
        let out = (folder as NSString).appendingPathComponent("report.html")
        try AtomicFile.write(html, to: out)
        return out
    }

    /// Whether anything (a file, a link, a broken link) has this name.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The run in the folder `path` (a real folder, not a link): its config.json and
    /// summary.json, read as `RunFiles` reads any file, and the list of its other files.
    static func load(_ path: String) throws -> Run {
        let files = RunFiles(folder: path)
        func json(_ file: String) throws -> [String: Any] {
            var why = ""
            guard let data = files.read(file, why: &why) else {
                if file == "summary.json" && why == "missing" { return ["status": "running or killed (no summary.json)"] }
                throw HostError("cannot read \(path)/\(file): \(why)", hint: "report reads the regular files a `host run` wrote; is this such a run folder?")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw HostError("\(path)/\(file) is not valid JSON", hint: "the run folder is damaged; rerun the experiment")
            }
            return object
        }
        return Run(path: path, config: try json("config.json"), summary: try json("summary.json"), files: files)
    }

    static func page(for run: Run) -> String {
        var body = "<h1>\(escape(title(run)))</h1>\n<p class=\"meta\">\(escape(statusLine(run)))</p>\n"
        body += "<h2>Final metrics</h2>\n" + metricsTable([run])
        if let notes = run.summary["notes"] as? [String: Any], !notes.isEmpty {
            // Notes keep their lines (a confusion matrix, a table of models) as the run wrote them.
            body += "<h2>Notes</h2>\n<dl>" + notes.keys.sorted().map { "<dt>\(escape($0))</dt><dd><pre>\(escape("\(notes[$0] ?? "")"))</pre></dd>" }.joined() + "</dl>\n"
        }
        body += tables(run)
        body += figures(run)
        body += "<h2>Configuration</h2>\n" + configTable(run)
        body += metricsCSVTable(run)
        body += skippedList(run.files.skipped)
        return document(title: title(run), body: body)
    }

    static func sweepPage(folder: String, runs: [Run], skipped: [String] = []) -> String {
        var body = "<h1>\(escape((folder as NSString).lastPathComponent)): \(runs.count) runs</h1>\n"
        body += "<h2>Final metrics</h2>\n" + metricsTable(runs)
        body += ReportComparison.overSeeds(runs)
        body += ReportComparison.overlaidCurves(runs)
        body += "<h2>Figures</h2>\n<div class=\"side\">"
        for run in runs { body += "<section><h3>\(escape(run.name))</h3>\(figures(run, heading: false))</section>" }
        body += "</div>\n" + skippedList(skipped)
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

    /// One row per run: its name, status, every option that differs between runs (the seed
    /// included), final metrics; several runs' table sorts by a click on a column's heading.
    static func metricsTable(_ runs: [Run]) -> String {
        let metricNames = orderedUnion(runs.map { Array(($0.summary["metrics"] as? [String: Any] ?? [:]).keys).sorted(by: numericOrder) })
        let varying = ReportComparison.differingOptions(runs)
        var html = "<div class=\"scroll\"><table\(runs.count > 1 ? " class=\"sortable\"" : "")><tr>" + (runs.count > 1 ? "<th>run</th><th>status</th>" : "")
        html += (varying + metricNames).map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for run in runs {
            html += "<tr>" + (runs.count > 1 ? "<td>\(escape(run.name))</td><td>\(escape(run.summary["status"] as? String ?? "?"))</td>" : "")
            html += varying.map { "<td>\(escape(ReportComparison.value(run, String($0.dropFirst(2)))))</td>" }.joined()
            let metrics = run.summary["metrics"] as? [String: Any] ?? [:]
            html += metricNames.map { "<td class=\"num\">\(escape(number(metrics[$0])))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table></div>\n"
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

    /// What the report left out of the run folder and why (symbolic links, fifos, devices).
    static func skippedList(_ skipped: [String]) -> String {
        guard !skipped.isEmpty else { return "" }
        return "<h2>Left out</h2>\n<p class=\"meta\">The report reads only regular files inside the run folder.</p>\n<ul>"
            + skipped.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n"
    }

    /// Every .svg and .png in the run folder as an image with a data URI: the browser shows
    /// an SVG given to `<img>` without running its scripts or loading anything it links to.
    /// A PNG beside an SVG of the same name is the plot's rasterised copy and is left out.
    static func figures(_ run: Run, heading: Bool = true) -> String {
        var html = ""
        let all = Set(run.files.files)
        for file in run.files.files where file.hasSuffix(".svg") || file.hasSuffix(".png") {
            if file.hasSuffix(".png"), all.contains(String(file.dropLast(4)) + ".svg") { continue }
            var why = ""
            guard let data = run.files.read(file, why: &why) else {
                html += "<p class=\"meta\">\(escape(file)): \(escape(why))</p>\n"
                continue
            }
            let type = file.hasSuffix(".svg") ? "image/svg+xml" : "image/png"
            html += "<figure><img alt=\"\(escape(file))\" src=\"data:\(type);base64,\(data.base64EncodedString())\"><figcaption>\(escape(file))</figcaption></figure>\n"
        }
        if html.isEmpty { return "" }
        return (heading ? "<h2>Figures and images</h2>\n" : "") + html
    }

    /// metrics.csv as a table; long logs are thinned to about 60 rows (the last always kept).
    static func metricsCSVTable(_ run: Run) -> String {
        var why = ""
        guard run.files.files.contains("metrics.csv"), let data = run.files.read("metrics.csv", why: &why) else { return "" }
        return "<h2>Metrics log</h2>\n" + csvTable(String(decoding: data, as: UTF8.self), file: "metrics.csv", thinTo: 60)
    }

    /// The experiment's own tables (every other .csv, such as a sweep's summary) and text
    /// outputs (.txt, such as a layer table), in full, under "Tables".
    static func tables(_ run: Run) -> String {
        var html = ""
        for file in run.files.files where (file.hasSuffix(".csv") && file != "metrics.csv") || file.hasSuffix(".txt") {
            var why = ""
            guard let data = run.files.read(file, why: &why) else {
                html += "<p class=\"meta\">\(escape(file)): \(escape(why))</p>\n"
                continue
            }
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
        html += "<div class=\"scroll\"><table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in shown {
            // Numbers to 6 significant digits (the file keeps every digit).
            html += "<tr>" + row.map { cell in
                Double(cell).map { "<td class=\"num\">\(escape(significant($0)))</td>" } ?? "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</table></div>\n"
    }

    /// "d5" before "d10": names compared with their digits as numbers.
    static func numericOrder(_ a: String, _ b: String) -> Bool { a.compare(b, options: .numeric) == .orderedAscending }

    /// An option value as the user typed it (JSON booleans come back as numbers).
    static func optionText(_ value: Any) -> String {
        if let n = value as? NSNumber, String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
        return "\(value)"
    }

    /// A number to about 6 significant digits ("0.998123", "1.23457e+06"), integers whole.
    static func significant(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }

    static func number(_ value: Any?) -> String {
        switch value {
        case let v as Double: return significant(v)
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
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The page: our CSS and one script of ours (table sorting), which the Content Security
    /// Policy alone allows to run (by a nonce new to each page); images only from data URIs,
    /// nothing fetched. The run's texts are escaped, so none of them can add an element.
    static func document(title: String, body: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let nonce = Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-\(nonce)'">
        <style>
        body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 1400px; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        figure { display: inline-block; margin: 0.5em; vertical-align: top; }
        figure img { max-width: 100%; }
        figure img[src^="data:image/png"] { image-rendering: pixelated; }
        figcaption, .meta { color: #666; font-size: 0.9em; }
        .side { display: flex; gap: 1em; overflow-x: auto; }
        .scroll { overflow-x: auto; max-width: 100%; }
        table.sortable th { cursor: pointer; }
        dd { margin: 0 0 0.8em 1em; }
        dd pre { margin: 0; }
        @media print {
          body { max-width: none; margin: 0; }
          .scroll, .side { overflow: visible; }
          .side { flex-wrap: wrap; }
          table { font-size: 7pt; }
          th, td { padding: 1px 3px; }
        }
        </style>
        <script nonce="\(nonce)">
        // Sorts a table.sortable by the clicked column: numbers as numbers, again to reverse.
        document.addEventListener("click", function (event) {
          var th = event.target.closest("table.sortable th");
          if (!th) return;
          var table = th.closest("table"), column = th.cellIndex, rows = Array.from(table.rows).slice(1);
          var descending = table.dataset.column == column && table.dataset.order != "desc";
          var key = function (row) { var t = row.cells[column].textContent, n = parseFloat(t); return isNaN(n) ? t : n; };
          rows.sort(function (a, b) { var x = key(a), y = key(b); var c = x < y ? -1 : x > y ? 1 : 0; return descending ? -c : c; });
          rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
          table.dataset.column = column; table.dataset.order = descending ? "desc" : "asc";
        });
        </script></head><body>
        \(body)
        </body></html>

        """
    }
}
