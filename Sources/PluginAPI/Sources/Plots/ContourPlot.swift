import Foundation

/// A scalar function sampled on a regular grid (e.g. an SVM decision function): filled
/// colour bands (blue negative, red positive), labelled contour lines with the zero level
/// drawn thicker, a colour bar, and optional overlay points with a legend.
public struct ContourPlot {
    /// Chart title drawn at the top.
    public var title: String
    /// X axis title.
    public var xLabel: String
    /// Y axis title.
    public var yLabel: String
    /// X range spanned by the grid columns (first column at the lower bound).
    public var xRange: ClosedRange<Double>
    /// Y range spanned by the grid rows (row 0 at the lower bound, i.e. the bottom).
    public var yRange: ClosedRange<Double>
    /// Samples: values[row][col]; row 0 is the bottom, col 0 the left edge.
    public var values: [[Double]]
    /// Contour levels; nil picks about 9 nice levels, including 0 when the values span 0.
    public var levels: [Double]? = nil
    /// Overlay markers; each distinct label gets its own shape and colour and a legend entry.
    public var points: [(x: Double, y: Double, label: String)] = []

    /// Creates a contour plot of `values` over `xRange` × `yRange`.
    public init(title: String, xLabel: String, yLabel: String, xRange: ClosedRange<Double>,
                yRange: ClosedRange<Double>, values: [[Double]], levels: [Double]? = nil,
                points: [(x: Double, y: Double, label: String)] = []) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.xRange = xRange; self.yRange = yRange; self.values = values
        self.levels = levels; self.points = points
    }

    /// Smallest and largest finite value, nil when there is none.
    var valueRange: (Double, Double)? {
        let f = values.joined().filter(\.isFinite)
        guard let lo = f.min(), let hi = f.max() else { return nil }
        return (lo, hi)
    }

    /// The contour levels drawn: the given ones, or nice levels strictly inside the value range.
    public var resolvedLevels: [Double] {
        if let levels { return levels.filter(\.isFinite).sorted() }
        guard let (lo, hi) = valueRange, hi > lo else { return [] }
        // The target giving the count closest to 9 (1-2-5 steps jump, so try several).
        let candidates = (6...20).map { t in Ticks.linear(lo...hi, target: t).filter { $0 > lo && $0 < hi } }
        return candidates.min { abs($0.count - 9) < abs($1.count - 9) } ?? []
    }

    /// Marker colours for overlay points: white, black, then hues that stand out on red/blue.
    static let pointColors = ["#ffffff", "#222222", "#2ca02c", "#ffbf00", "#9467bd", "#17becf", "#e377c2", "#8c564b"]

    static func pointColor(_ k: Int) -> String { pointColors[k % pointColors.count] }

    /// Distinct point labels in order of first appearance.
    var labels: [String] {
        var seen = Set<String>(), out: [String] = []
        for p in points where seen.insert(p.label).inserted { out.append(p.label) }
        return out
    }

    /// The complete SVG document.
    public func svg(width: Int = 520, height: Int = 480) -> String {
        var c = SVGCanvas()
        let outer = PlotRect(x: 0, y: 0, w: Double(width), h: Double(height))
        let labels = self.labels
        let legend = PlotLegend(entries: labels.enumerated().map { ($1, .marker(shape: $0, color: Self.pointColor($0))) })
        let levels = resolvedLevels
        let (vlo, vhi) = valueRange ?? (0, 0)
        let scale = max(abs(vlo), abs(vhi), 1e-300)
        let barLabels = levels.map(Ticks.label)
        let barWidth = 16 + 6 + (barLabels.map { textWidth($0, size: 10) }.max() ?? 0)
        PlotFrame.drawTitle(&c, title, in: outer)
        let frame = PlotFrame.layout(in: outer, x: .fixed(xRange, log: false), y: .fixed(yRange, log: false),
                                     title: !title.isEmpty, xTitle: !xLabel.isEmpty, yTitle: !yLabel.isEmpty,
                                     legendWidth: max(legend.width, barWidth))
        let rows = values.count, cols = values.map(\.count).min() ?? 0
        func toPixel(_ p: MarchingSquares.Point) -> (Double, Double) {
            (frame.area.x + p.x / Double(max(1, cols - 1)) * frame.area.w,
             frame.area.maxY - p.y / Double(max(1, rows - 1)) * frame.area.h)
        }
        func polyPath(_ polys: [[MarchingSquares.Point]], close: Bool) -> String {
            polys.map { pathData($0.map(toPixel)) + (close ? "Z" : "") }.joined(separator: " ")
        }
        let clip = frame.clip(&c)
        c.add("<g \(clip)>")
        // Filled bands between consecutive levels.
        let bounds = [vlo] + levels.filter { $0 > vlo && $0 < vhi } + [vhi]
        var bandColors: [(lo: Double, hi: Double, color: String)] = []
        for i in 0..<(bounds.count - 1) where rows >= 2 && cols >= 2 {
            let color = ColorMap.diverging((bounds[i] + bounds[i + 1]) / 2 / scale)
            bandColors.append((bounds[i], bounds[i + 1], color))
            let d = polyPath(MarchingSquares.band(values, lo: bounds[i], hi: bounds[i + 1]), close: true)
            guard !d.isEmpty else { continue }
            c.add("<path class=\"band\" fill=\"\(color)\" stroke=\"\(color)\" stroke-width=\"0.6\" stroke-linejoin=\"round\" d=\"\(d)\"/>")
        }
        // Contour lines, one path per level, each line labelled once.
        var placed: [(Double, Double)] = []
        var labelMarkup: [String] = []
        for level in levels {
            let lines = MarchingSquares.lines(values, level: level).map { $0.map(toPixel) }
            guard !lines.isEmpty else { continue }
            let text = Ticks.label(level)
            let zero = level == 0
            c.add("<path class=\"contour\" data-level=\"\(xmlEscape(text))\" fill=\"none\" stroke=\"\(zero ? "#111" : "#444")\" stroke-width=\"\(zero ? "2.4" : "0.8")\" stroke-linejoin=\"round\" d=\"\(lines.map { pathData($0) }.joined(separator: " "))\"/>")
            for line in lines where line.count >= 2 {
                var length = 0.0
                for i in 1..<line.count { length += hypot(line[i].0 - line[i - 1].0, line[i].1 - line[i - 1].1) }
                let (lx, ly) = line[line.count / 2]
                guard length > 40, lx > frame.area.x + 12, lx < frame.area.maxX - 12, ly > frame.area.y + 10,
                      ly < frame.area.maxY - 6, !placed.contains(where: { hypot($0.0 - lx, $0.1 - ly) < 28 }) else { continue }
                placed.append((lx, ly))
                labelMarkup.append("<text class=\"contour-label\" data-level=\"\(xmlEscape(text))\" x=\"\(svgNum(lx))\" y=\"\(svgNum(ly + 3.5))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#111\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.85\" paint-order=\"stroke\">\(xmlEscape(text))</text>")
            }
        }
        for l in labelMarkup { c.add(l) }
        // Overlay points.
        let shapeOf = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for p in points {
            guard let (x, y) = frame.point(p.x, p.y), let k = shapeOf[p.label] else { continue }
            c.add(markerSVG(shape: k, x: x, y: y, size: 5, fill: Self.pointColor(k), stroke: k == 1 ? "#ffffff" : "#222"))
        }
        c.add("</g>")
        frame.drawAxes(&c, xTitle: xLabel, yTitle: yLabel)
        legend.draw(&c, x: frame.area.maxX + 12, y: frame.area.y)
        drawColorBar(&c, bands: bandColors, levels: levels, x: frame.area.maxX + 12,
                     top: frame.area.y + legend.height + (legend.height > 0 ? 14 : 0), bottom: frame.area.maxY)
        return c.document(width: Double(width), height: Double(height))
    }

    /// A vertical bar of the band colours with the level values beside it.
    func drawColorBar(_ c: inout SVGCanvas, bands: [(lo: Double, hi: Double, color: String)], levels: [Double],
                      x: Double, top: Double, bottom: Double) {
        guard let lo = bands.first?.lo, let hi = bands.last?.hi, hi > lo, bottom - top > 40 else { return }
        func y(_ v: Double) -> Double { bottom - (v - lo) / (hi - lo) * (bottom - top) }
        c.add("<g class=\"colorbar\">")
        for b in bands { c.rect(PlotRect(x: x, y: y(b.hi), w: 16, h: y(b.lo) - y(b.hi)), fill: b.color) }
        c.rect(PlotRect(x: x, y: top, w: 16, h: bottom - top), fill: "none", stroke: "#444")
        var lastY = Double.infinity
        for l in levels where l > lo && l < hi {
            let ly = y(l)
            c.line(x + 16, ly, x + 20, ly, stroke: "#444")
            if lastY - ly >= 11 { c.text(Ticks.label(l), x: x + 22, y: ly + 3.5, size: 10, anchor: "start"); lastY = ly }
        }
        c.add("</g>")
    }
}
