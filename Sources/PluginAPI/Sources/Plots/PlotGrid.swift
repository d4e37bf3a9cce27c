import Foundation

/// Small multiples: a grid of `LinePlot` panels, optionally sharing both axes, with one
/// common legend on the right (a series name keeps the same colour in every panel).
public struct PlotGrid {
    /// Overall title above the grid.
    public var title: String
    /// Panels per row.
    public var columns: Int
    /// The panels, filled row by row; each panel's title is drawn above it.
    public var panels: [LinePlot]
    /// Use one x range and one y range (the union of all panels) everywhere.
    public var sharedAxes: Bool = true

    /// Creates a grid of panels.
    public init(title: String, columns: Int, panels: [LinePlot], sharedAxes: Bool = true) {
        self.title = title; self.columns = columns; self.panels = panels; self.sharedAxes = sharedAxes
    }

    /// Distinct series names over all panels, in order of first appearance.
    var names: [String] {
        var seen = Set<String>(), out: [String] = []
        for p in panels { for s in p.series where seen.insert(s.name).inserted { out.append(s.name) } }
        return out
    }

    /// The complete SVG document; each panel occupies `panelWidth` x `panelHeight` pixels.
    public func svg(panelWidth: Int = 300, panelHeight: Int = 220) -> String {
        var c = SVGCanvas()
        let cols = max(1, columns)
        let rows = max(1, (panels.count + cols - 1) / cols)
        let pw = Double(panelWidth), ph = Double(panelHeight)
        let names = self.names
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        // Colour by name, so a method keeps its colour across panels; explicit colours win.
        var nameColor: [String: String] = [:]
        for p in panels { for s in p.series where nameColor[s.name] == nil {
            nameColor[s.name] = s.color ?? ColorMap.category(index[s.name] ?? 0)
        } }
        let showLegend = panels.contains { $0.wantsLegend }
        var legend = PlotLegend(entries: [])
        if showLegend {
            for n in names {
                let s = panels.lazy.flatMap(\.series).first { $0.name == n }!
                legend.entries.append((n, .line(color: nameColor[n]!, dashed: s.dashed, marker: s.markers)))
            }
        }
        let top = title.isEmpty ? 4.0 : 34
        let width = Double(cols) * pw + (showLegend ? legend.width + 20 : 0)
        let height = max(top + Double(rows) * ph + 6, top + legend.height + 20)
        PlotFrame.drawTitle(&c, title, in: PlotRect(x: 0, y: 0, w: Double(cols) * pw, h: 30), size: 16)

        let allX = panels.flatMap { p in p.series.flatMap { Array($0.x.prefix($0.count)) } }
        let sharedX = PlotAxis.automatic(allX, log: panels.first?.logX ?? false, fixed: panels.first?.xRange)
        let sharedY = PlotAxis.automatic(panels.flatMap(\.yValues), log: panels.first?.logY ?? false,
                                         fixed: panels.first?.yRange, pad: PlotAxis.valuePad)
        for (k, panel) in panels.enumerated() {
            let row = k / cols, col = k % cols
            let outer = PlotRect(x: Double(col) * pw, y: top + Double(row) * ph, w: pw, h: ph)
            let xa = sharedAxes ? sharedX : panel.xAxis
            let ya = sharedAxes ? sharedY : panel.yAxis
            let frame = PlotFrame.layout(in: outer, x: xa, y: ya, title: !panel.title.isEmpty,
                                         xTitle: !panel.xLabel.isEmpty, yTitle: !panel.yLabel.isEmpty, legendWidth: 0)
            c.add("<g class=\"panel\" data-name=\"\(xmlEscape(panel.title))\">")
            PlotFrame.drawTitle(&c, panel.title, in: PlotRect(x: frame.area.x, y: outer.y, w: frame.area.w, h: outer.h), size: 12.5)
            let hasPanelBelow = k + cols < panels.count
            panel.draw(&c, frame: frame, colors: { nameColor[panel.series[$0].name] ?? ColorMap.category($0) },
                       showXTitle: !sharedAxes || !hasPanelBelow, showYTitle: !sharedAxes || col == 0)
            c.add("</g>")
        }
        legend.draw(&c, x: Double(cols) * pw + 8, y: top + 12)
        return c.document(width: width, height: height)
    }
}
