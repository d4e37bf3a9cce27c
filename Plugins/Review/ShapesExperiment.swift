import Foundation
import PluginAPI

/// Experiments `shapes` and `dilation`: the sheet's CNN table, and dilated convolution.
public enum ShapesExperiment {
    static let declaration = Experiment(
        name: "shapes",
        summary: "The sheet's table 1: CONV3-10, POOL2, CONV3-10, POOL2, FLATTEN, FC-3 on 28x28x1, each layer's parameters and activations by the formulas, checked against the engine's layers",
        options: [.int("size", default: 28, range: 4...1024, help: "input height and width (the sheet: 28)"),
                  .int("padding", default: 1, range: 0...8, help: "padding P of both CONV3 layers (the sheet: 1)"),
                  .int("stride", default: 1, range: 1...8, help: "stride S of both CONV3 layers (the sheet: 1)")],
        metrics: [MetricSpec("parameters", help: "total parameters (the sheet: 2,483)"),
                  MetricSpec("mismatches", goal: .lowerIsBetter, help: "rows whose engine shape or parameter count differs from the formulas")],
        train: run)

    /// One row of the sheet's table 1: the layer, its parameters written as the sheet writes
    /// them and their value, and the activation's dimensions (width x height x channels, or a
    /// length after FLATTEN).
    public struct Row: Equatable, Sendable {
        /// The sheet's name of the layer (`CONV3-10`).
        public var layer: String
        /// The parameter count as a product (`3x3x1x10 + 10`), or `0`.
        public var product: String
        /// The parameter count.
        public var parameters: Int
        /// The activation's dimensions: [W, H, C], or [n] after FLATTEN and FC.
        public var activation: [Int]

        /// A row; `product` defaults to the count itself.
        public init(layer: String, product: String? = nil, parameters: Int, activation: [Int]) {
            self.layer = layer
            self.product = product ?? String(parameters)
            self.parameters = parameters
            self.activation = activation
        }

        /// The activation as the sheet writes it (`28x28x10`, `490`).
        public var activationText: String { activation.map(String.init).joined(separator: "x") }
    }

    /// Filters of each CONV3 layer and outputs of the FC layer (CONV3-10, FC-3).
    public static let filters = 10, classes = 3

    /// The sheet's formula floor((W - K + 2P) / S) + 1, with a true floor (also for a negative
    /// numerator, where the result is below 1: the window does not fit).
    public static func outputSize(_ w: Int, kernel k: Int, padding p: Int = 0, stride s: Int = 1) -> Int {
        let n = w - k + 2 * p
        return (n >= 0 ? n / s : -((-n + s - 1) / s)) + 1
    }

    /// Table 1 by the formulas of parts 1 and 2 (conv: K^2 C F weights and F biases, W' =
    /// floor((W - K + 2P) / S) + 1; pool: no parameters, W' = floor((W - K) / S) + 1; FC: in x out
    /// + out), for a `size` x `size` x 1 input and CONV3 layers with `padding` and `stride`.
    /// Throws `invalidInput` when a layer's output would be smaller than 1 x 1.
    public static func formulaTable(size: Int, padding: Int = 1, stride: Int = 1) throws -> [Row] {
        var rows = [Row(layer: "Input", parameters: 0, activation: [size, size, 1])]
        var side = size, channels = 1
        for block in 1...2 {
            let conv = outputSize(side, kernel: 3, padding: padding, stride: stride)
            try fits(conv, "CONV3-\(filters) number \(block)", input: side, padding: padding, stride: stride, size: size)
            rows.append(Row(layer: "CONV3-\(filters)", product: "3x3x\(channels)x\(filters) + \(filters)",
                            parameters: 3 * 3 * channels * filters + filters, activation: [conv, conv, filters]))
            let pool = outputSize(conv, kernel: 2, stride: 2)
            try fits(pool, "POOL2 number \(block)", input: conv, padding: padding, stride: stride, size: size)
            rows.append(Row(layer: "POOL2", parameters: 0, activation: [pool, pool, filters]))
            side = pool; channels = filters
        }
        let flat = side * side * channels
        rows.append(Row(layer: "FLATTEN", parameters: 0, activation: [flat]))
        rows.append(Row(layer: "FC-\(classes)", product: "\(flat)x\(classes) + \(classes)", parameters: flat * classes + classes, activation: [classes]))
        return rows
    }

    private static func fits(_ output: Int, _ layer: String, input: Int, padding: Int, stride: Int, size: Int) throws {
        guard output < 1 else { return }
        throw PluginError.invalidInput(
            "\(layer) does not fit: its input is \(input) x \(input) and floor((W - K + 2P) / S) + 1 = \(output) (size \(size), padding \(padding), stride \(stride))",
            hint: "use a larger --size, more --padding or a smaller --stride (the sheet: --size 28 --padding 1 --stride 1)")
    }

    /// The sheet's network built from the engine's layers: CONV3-10 (padding, stride), POOL2,
    /// CONV3-10, POOL2, FLATTEN, FC-3. Throws `invalidInput` for a setting where a layer does not
    /// fit (checked by the formulas before any layer runs).
    public static func network(size: Int, padding: Int = 1, stride: Int = 1, generator: inout SeededGenerator) throws -> Sequential {
        let table = try formulaTable(size: size, padding: padding, stride: stride)
        let flat = table[table.count - 2].activation[0]
        return Sequential(Conv2d(inChannels: 1, outChannels: filters, kernelSize: 3, stride: stride, padding: padding, generator: &generator), MaxPool2d(2),
                          Conv2d(inChannels: filters, outChannels: filters, kernelSize: 3, stride: stride, padding: padding, generator: &generator), MaxPool2d(2),
                          Flatten(), Linear(flat, classes, generator: &generator))
    }

    /// Table 1 as the engine measures it: the network run on a zero `size` x `size` x 1 input,
    /// each layer's output shape (NCHW turned into W x H x C) and parameter count. The layer
    /// names are the formula table's; products are the counts.
    public static func engineTable(size: Int, padding: Int = 1, stride: Int = 1, seed: UInt64 = 0) throws -> [Row] {
        var g = SeededGenerator(seed: seed)
        let model = try network(size: size, padding: padding, stride: stride, generator: &g)
        let names = try formulaTable(size: size, padding: padding, stride: stride).map(\.layer)
        let summary = ModelSummary.of(model, input: Tensor.zeros([1, 1, size, size]))
        let measured = [Row(layer: "Input", parameters: 0, activation: [size, size, 1])] + summary.rows.enumerated().map { i, row in
            let s = row.outputShape
            let activation = s.count == 4 ? [s[3], s[2], s[1]] : Array(s.dropFirst())
            return Row(layer: i + 1 < names.count ? names[i + 1] : row.type, parameters: row.parameters, activation: activation)
        }
        return measured
    }

    /// Rows whose activation or parameter count differ between `expected` and `measured`, plus
    /// the rows one table has and the other lacks.
    public static func mismatches(_ expected: [Row], _ measured: [Row]) -> Int {
        zip(expected, measured).filter { $0.activation != $1.activation || $0.parameters != $1.parameters }.count
            + abs(expected.count - measured.count)
    }

    /// `n` with thousands separators (2,483).
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// The table in the sheet's layout, with the engine's measurement in a last column.
    public static func text(_ formula: [Row], engine: [Row]) -> String {
        let header = ["Layer", "Number of parameters", "Dimension of activations", "Engine (activations, parameters)"]
        var lines = [header]
        for (i, row) in formula.enumerated() {
            let count = row.product == String(row.parameters) ? row.product : "\(row.product) = \(grouped(row.parameters))"
            let measured = i < engine.count ? "\(engine[i].activationText), \(grouped(engine[i].parameters))" : "missing"
            lines.append([row.layer, count, row.activationText, measured])
        }
        lines.append(["Total", grouped(formula.reduce(0) { $0 + $1.parameters }), "", grouped(engine.reduce(0) { $0 + $1.parameters })])
        let widths = (0..<header.count).map { c in lines.map { $0[c].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { c, cell in c == line.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func run(_ context: RunContext) throws {
        let size = try context.options.int("size"), padding = try context.options.int("padding"), stride = try context.options.int("stride")
        let formula = try formulaTable(size: size, padding: padding, stride: stride)
        let engine = try engineTable(size: size, padding: padding, stride: stride, seed: context.seed)
        let wrong = mismatches(formula, engine)
        let total = formula.reduce(0) { $0 + $1.parameters }
        let sheet = size == 28 && padding == 1 && stride == 1 ? " (the sheet's table 1)" : ""
        let table = text(formula, engine: engine)
        context.log("shapes: \(size)x\(size)x1 input; CONV3 padding \(padding), stride \(stride); POOL2 2x2, stride 2\(sheet)\n" + table)
        context.log("shapes: \(wrong) of \(max(formula.count, engine.count)) rows differ between the formulas and the engine's layers; \(grouped(total)) parameters")
        let rows = formula.enumerated().map { i, row -> [String] in
            let measured = i < engine.count ? engine[i] : nil
            return [row.layer, row.product, String(row.parameters), row.activationText,
                    measured.map { String($0.parameters) } ?? "", measured?.activationText ?? "",
                    measured.map { $0.activation == row.activation && $0.parameters == row.parameters ? "yes" : "no" } ?? "no"]
        }
        try context.artifacts.writeCSV("shapes.csv", header: ["layer", "number of parameters", "parameters", "dimension of activations",
                                                              "engine parameters", "engine activations", "match"], rows: rows)
        try context.artifacts.write(table + "\n", to: "table.txt")
        context.metrics.final("parameters", Double(total))
        context.metrics.final("mismatches", Double(wrong))
    }
}

public enum DilationExperiment {
    static let declaration = Experiment(
        name: "dilation",
        summary: "A 2x2 all-ones kernel with dilation 2 over [[1,2,3],[4,5,6],[7,8,9]] (20), and the receptive field of 3x3 d=1 then 3x3 d=2 (7x7)",
        metrics: [MetricSpec("dilated_sum", help: "the dilated convolution's one output (expected 20)"),
                  MetricSpec("receptive_field_pixels", help: "input pixels with a non-zero gradient from one output pixel (expected 49)"),
                  MetricSpec("receptive_field_side", help: "side of their bounding box (expected 7)")],
        train: run)

    /// The one output of a 2x2 all-ones kernel, dilation 2, over the 3x3 grid 1...9.
    public static func dilatedSum() -> Float {
        let x = Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3])
        return conv2d(x, weight: Tensor.ones([1, 1, 2, 2]), dilation: 2).item
    }

    /// Back-propagates from the centre output pixel of conv(3x3, d=1) then conv(3x3, d=2) and
    /// returns the input pixels with a non-zero gradient (row, column).
    public static func receptiveField(size: Int = 21) -> [(Int, Int)] {
        gradientMap(size: size).enumerated().filter { $0.element != 0 }.map { ($0.offset / size, $0.offset % size) }
    }

    /// The input gradient of the centre output pixel, row-major (size x size).
    public static func gradientMap(size: Int = 21) -> [Float] {
        let x = Tensor.zeros([1, 1, size, size], requiresGrad: true)
        let y = conv2d(conv2d(x + 1, weight: Tensor.ones([1, 1, 3, 3]), padding: 1), weight: Tensor.ones([1, 1, 3, 3]), padding: 2, dilation: 2)
        let centre = size / 2
        let mask = Tensor.zeros(y.shape)
        mask.data[centre * size + centre] = 1
        (y * mask).sum().backward()
        return x.grad?.values ?? []
    }

    static func run(_ context: RunContext) throws {
        let sum = Double(dilatedSum())
        let pixels = receptiveField()
        let rows = pixels.map(\.0), columns = pixels.map(\.1)
        let side = (rows.max() ?? 0) - (rows.min() ?? 0) + 1
        context.metrics.final("dilated_sum", sum)
        context.metrics.final("receptive_field_pixels", Double(pixels.count))
        context.metrics.final("receptive_field_side", Double(side))
        context.log("dilation: 2x2 ones, dilation 2, over 1...9: \(formatNumber(sum, expected: 20)) (1 + 3 + 7 + 9)")
        let map = gradientMap(size: 11)
        let labels = (0..<11).map { String($0 - 5) }
        let heatmap = Heatmap(title: "Receptive field: input gradient of one output pixel (3x3 d=1, then 3x3 d=2)", rowLabels: labels, columnLabels: labels,
                              values: (0..<11).map { r in (0..<11).map { Double(map[r * 11 + $0]) } }, xLabel: "column offset", yLabel: "row offset")
        try context.artifacts.write(heatmap.svg(cell: 40), to: "receptive_field.svg")
        context.log("dilation: receptive field of 3x3 d=1 then 3x3 d=2: \(pixels.count) pixels, \(side) x \((columns.max() ?? 0) - (columns.min() ?? 0) + 1) (expected 7 x 7 = 49)")
    }
}
