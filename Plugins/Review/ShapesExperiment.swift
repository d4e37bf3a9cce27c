import Foundation
import PluginAPI

/// Experiments `shapes` and `dilation`: the sheet's CNN table, and dilated convolution.
public enum ShapesExperiment {
    static let declaration = Experiment(
        name: "shapes",
        summary: "CONV3-10, POOL2, CONV3-10, POOL2, FLATTEN, FC-3 on 28x28x1: each layer's parameters and output shape, checked against the formulas",
        options: [.int("size", default: 28, range: 10...1024, help: "input height and width")],
        metrics: [MetricSpec("parameters", help: "total parameters"), MetricSpec("mismatches", goal: .lowerIsBetter, help: "layers whose measured shape or count differs from the formula")],
        train: run)

    /// The sheet's network: 3x3 convolutions without padding, stride 1; 2x2 max pools.
    public static func network(size: Int, generator: inout SeededGenerator) -> (Sequential, flat: Int) {
        let side = ((size - 2) / 2 - 2) / 2
        let model = Sequential(Conv2d(inChannels: 1, outChannels: 10, kernelSize: 3, generator: &generator), MaxPool2d(2),
                               Conv2d(inChannels: 10, outChannels: 10, kernelSize: 3, generator: &generator), MaxPool2d(2),
                               Flatten(), Linear(10 * side * side, 3, generator: &generator))
        return (model, 10 * side * side)
    }

    /// floor((W - K + 2P) / S) + 1.
    public static func outputSize(_ w: Int, kernel k: Int, padding p: Int = 0, stride s: Int = 1) -> Int { (w - k + 2 * p) / s + 1 }

    static func run(_ context: RunContext) throws {
        let size = try context.options.int("size")
        var g = SeededGenerator(seed: context.seed)
        let (model, flat) = network(size: size, generator: &g)
        let summary = ModelSummary.of(model, input: Tensor.zeros([1, 1, size, size]))
        // The formulas, layer by layer.
        let c1 = outputSize(size, kernel: 3), p1 = outputSize(c1, kernel: 2, stride: 2)
        let c2 = outputSize(p1, kernel: 3), p2 = outputSize(c2, kernel: 2, stride: 2)
        let expected: [(shape: [Int], parameters: Int)] = [
            ([1, 10, c1, c1], 3 * 3 * 1 * 10 + 10), ([1, 10, p1, p1], 0), ([1, 10, c2, c2], 3 * 3 * 10 * 10 + 10), ([1, 10, p2, p2], 0),
            ([1, flat], 0), ([1, 3], flat * 3 + 3),
        ]
        var mismatches = 0, table = [["layer", "type", "output shape", "formula shape", "parameters", "K^2 C F + F (or in x out + out)"]]
        for (row, want) in zip(summary.rows, expected) {
            if row.outputShape != want.shape || row.parameters != want.parameters { mismatches += 1 }
            table.append([row.name, row.type, "\(row.outputShape)", "\(want.shape)", String(row.parameters), String(want.parameters)])
        }
        context.log(summary.text())
        context.log("shapes: \(mismatches) of \(expected.count) layers differ from the formulas")
        try context.artifacts.writeCSV("shapes.csv", header: table[0], rows: Array(table.dropFirst()))
        try context.artifacts.write(summary.text() + "\n", to: "summary.txt")
        context.metrics.final("parameters", Double(summary.totalParameters))
        context.metrics.final("mismatches", Double(mismatches + abs(summary.rows.count - expected.count)))
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
