import Foundation
import PluginAPI

/// Experiments `shapes` and `dilation`: the sheet's CNN table, and dilated convolution.
public enum ShapesExperiment {
    static let declaration = Experiment(
        name: "shapes",
        summary: "The sheet's table 1: CONV3-10, POOL2, CONV3-10, POOL2, FLATTEN, FC-3 on 28x28x1, each layer's parameters and activations by the formulas (K^2 C F + F; floor((W - K + 2P) / S) + 1; floor((W - K) / S) + 1), checked against the engine's layers; K, F, P, S of the conv layers and K, S of the pools can be changed",
        settings: Settings.self,
        metrics: [MetricSpec("parameters", help: "total parameters (the sheet: 2,483)"),
                  MetricSpec("mismatches", goal: .lowerIsBetter, help: "rows whose engine shape or parameter count differs from the formulas")],
        train: run)

    /// The experiment's options: the architecture's hyperparameters, the sheet's by default.
    struct Settings: ExperimentSettings {
        var architecture = Architecture.sheet
        static let fields: [SettingField<Settings>] = [
            .int("size", \.architecture.size, range: 4...1024, help: "input height and width (the sheet: 28)"),
            .int("kernel", \.architecture.kernel, range: 1...11, help: "filter size K of both conv layers, K x K (the sheet: 3, CONV3)"),
            .int("filters", \.architecture.filters, range: 1...64, help: "number of filters F of both conv layers (the sheet: 10, CONV3-10)"),
            .int("padding", \.architecture.padding, range: 0...8, help: "padding P of both conv layers (the sheet: 1)"),
            .int("stride", \.architecture.stride, range: 1...8, help: "stride S of both conv layers (the sheet: 1)"),
            .int("pool-kernel", \.architecture.poolKernel, range: 1...8, help: "window size K of both max-pooling layers, K x K (the sheet: 2, POOL2)"),
            .int("pool-stride", \.architecture.poolStride, range: 1...8, help: "stride S of both max-pooling layers (the sheet: 2)"),
        ]
    }

    /// The hyperparameters of the sheet's network that the formulas of parts 1 and 2 take as symbols;
    /// the defaults are table 1's (28x28x1 input, CONV3-10 with P 1, S 1, POOL2 with stride 2).
    public struct Architecture: Equatable, Sendable {
        /// Input height and width (W = H); one channel.
        public var size: Int
        /// Conv layers: filter size K, number of filters F, padding P, stride S.
        public var kernel: Int, filters: Int, padding: Int, stride: Int
        /// Max-pooling layers: window size K and stride S (no padding).
        public var poolKernel: Int, poolStride: Int

        /// A setting; every argument left out is the sheet's.
        public init(size: Int = 28, kernel: Int = 3, filters: Int = 10, padding: Int = 1, stride: Int = 1, poolKernel: Int = 2, poolStride: Int = 2) {
            self.size = size; self.kernel = kernel; self.filters = filters; self.padding = padding; self.stride = stride
            self.poolKernel = poolKernel; self.poolStride = poolStride
        }

        /// The sheet's table 1.
        public static let sheet = Architecture()

        /// `CONV3-10`: CONV, K, F.
        public var convName: String { "CONV\(kernel)-\(filters)" }
        /// `POOL2` when the stride is the window, else `POOL3/2` (window 3, stride 2).
        public var poolName: String { "POOL\(poolKernel)" + (poolStride == poolKernel ? "" : "/\(poolStride)") }
        /// The setting in words, for the log.
        public var description: String {
            "\(size)x\(size)x1 input; \(convName) with padding \(padding), stride \(stride); \(poolName): \(poolKernel)x\(poolKernel) max-pooling, stride \(poolStride)"
        }
    }

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

    /// Outputs of the FC layer (FC-3).
    public static let classes = 3

    /// The sheet's formula floor((W - K + 2P) / S) + 1, with a true floor (also for a negative
    /// numerator, where the result is below 1: the window does not fit).
    public static func outputSize(_ w: Int, kernel k: Int, padding p: Int = 0, stride s: Int = 1) -> Int {
        let n = w - k + 2 * p
        return (n >= 0 ? n / s : -((-n + s - 1) / s)) + 1
    }

    /// Table 1 by the formulas of parts 1 and 2 (conv: K^2 C F weights and F biases, W' =
    /// floor((W - K + 2P) / S) + 1; pool: no parameters, W' = floor((W - K) / S) + 1; FC: in x out
    /// + out) for the network conv, pool, conv, pool, FLATTEN, FC-3 on a `size` x `size` x 1 input.
    /// Throws `invalidInput` when a layer's output would be smaller than 1 x 1.
    public static func formulaTable(_ a: Architecture = .sheet) throws -> [Row] {
        var rows = [Row(layer: "Input", parameters: 0, activation: [a.size, a.size, 1])]
        var side = a.size, channels = 1
        let (k, f) = (a.kernel, a.filters)
        for block in 1...2 {
            let conv = outputSize(side, kernel: k, padding: a.padding, stride: a.stride)
            try fits(conv, "\(a.convName) number \(block)", input: side, a)
            rows.append(Row(layer: a.convName, product: "\(k)x\(k)x\(channels)x\(f) + \(f)", parameters: k * k * channels * f + f, activation: [conv, conv, f]))
            let pool = outputSize(conv, kernel: a.poolKernel, stride: a.poolStride)
            try fits(pool, "\(a.poolName) number \(block)", input: conv, a)
            rows.append(Row(layer: a.poolName, parameters: 0, activation: [pool, pool, f]))
            side = pool; channels = f
        }
        let flat = side * side * channels
        rows.append(Row(layer: "FLATTEN", parameters: 0, activation: [flat]))
        rows.append(Row(layer: "FC-\(classes)", product: "\(flat)x\(classes) + \(classes)", parameters: flat * classes + classes, activation: [classes]))
        return rows
    }

    private static func fits(_ output: Int, _ layer: String, input: Int, _ a: Architecture) throws {
        guard output < 1 else { return }
        throw PluginError.invalidInput(
            "\(layer) does not fit: its input is \(input) x \(input) and the output size floor((W - K + 2P) / S) + 1 = \(output) (\(a.description))",
            hint: "use a larger --size or --padding, or a smaller --kernel, --stride, --pool-kernel or --pool-stride (the sheet: --size 28 --kernel 3 --padding 1 --stride 1 --pool-kernel 2 --pool-stride 2)")
    }

    /// Floats one conv layer of the engine holds at most while measuring (its im2col buffer or output).
    public static let engineLimit = 1 << 26

    /// The sheet's network built from the engine's layers: conv (K, F, P, S), pool (K, S), conv,
    /// pool, FLATTEN, FC-3. Throws `invalidInput` for a setting where a layer does not fit (checked
    /// by the formulas before any layer runs) or whose conv layers would hold more than
    /// `engineLimit` floats.
    public static func network(_ a: Architecture = .sheet, generator: inout SeededGenerator) throws -> Sequential {
        let table = try formulaTable(a)
        for (input, output) in [(table[0], table[1]), (table[2], table[3])] {
            let positions = output.activation[0] * output.activation[1]
            let floats = positions * max(a.kernel * a.kernel * input.activation[2], a.filters)
            guard floats <= engineLimit else {
                throw PluginError.invalidInput("measuring \(output.layer) on a \(input.activationText) input takes \(grouped(floats)) floats, above \(grouped(engineLimit)) (\(a.description))",
                                               hint: "use a smaller --size, --kernel or --filters, or a larger --stride")
            }
        }
        let flat = table[table.count - 2].activation[0]
        func conv(_ inChannels: Int) -> Conv2d {
            Conv2d(inChannels: inChannels, outChannels: a.filters, kernelSize: a.kernel, stride: a.stride, padding: a.padding, generator: &generator)
        }
        return Sequential(conv(1), MaxPool2d(a.poolKernel, stride: a.poolStride), conv(a.filters), MaxPool2d(a.poolKernel, stride: a.poolStride),
                          Flatten(), Linear(flat, classes, generator: &generator))
    }

    /// Table 1 as the engine measures it: the network run on a zero `size` x `size` x 1 input,
    /// each layer's output shape (NCHW turned into W x H x C) and parameter count. The layer
    /// names are the formula table's; products are the counts.
    public static func engineTable(_ a: Architecture = .sheet, seed: UInt64 = 0) throws -> [Row] {
        var g = SeededGenerator(seed: seed)
        let model = try network(a, generator: &g)
        let names = try formulaTable(a).map(\.layer)
        let summary = ModelSummary.of(model, input: Tensor.zeros([1, 1, a.size, a.size]))
        let measured = [Row(layer: "Input", parameters: 0, activation: [a.size, a.size, 1])] + summary.rows.enumerated().map { i, row in
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
        return TextTable.aligned(lines)
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        let a = settings.architecture
        let formula = try formulaTable(a)
        let engine = try engineTable(a, seed: context.seed)
        let wrong = mismatches(formula, engine)
        let total = formula.reduce(0) { $0 + $1.parameters }
        let table = text(formula, engine: engine)
        context.log("shapes: \(a.description)\(a == .sheet ? " (the sheet's table 1)" : "")\n" + table)
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

/// Experiment `dilation`: the sheet's 3.4, a dilated convolution and a receptive field.
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
        mask[flat: centre * size + centre] = 1
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
