import Foundation
import PluginAPI
import Review
import XCTest

/// The sheet's 2.1: the layer's conv2d is a cross-correlation, a convolution with the flipped kernel.
final class CorrelationTests: XCTestCase {
    func testTheTwoSumsOnAHandExample() {
        // x = 1...9 (3x3), k = [[1, 2], [3, 4]]: at (0, 0) the correlation is 1 + 4 + 12 + 20 = 37 and
        // the convolution (flip and drag) 5 + 8 + 6 + 4 = 23.
        let x = ConvolutionExperiment.Grid(values: (1...9).map(Double.init), shape: [1, 1, 3, 3])
        let k = ConvolutionExperiment.Grid(values: [1, 2, 3, 4], shape: [1, 1, 2, 2])
        XCTAssertEqual(ConvolutionExperiment.crossCorrelation(x, k), [37, 47, 67, 77], "x[i+a, j+b] k[a, b]")
        XCTAssertEqual(ConvolutionExperiment.trueConvolution(x, k), [23, 33, 53, 63], "x[i+1-a, j+1-b] k[a, b]")
        XCTAssertEqual(k.flipped.values, [4, 3, 2, 1])
        XCTAssertEqual(ConvolutionExperiment.trueConvolution(x, k.flipped), ConvolutionExperiment.crossCorrelation(x, k))
    }

    func testTheEnginesConvIsACorrelationAndNotAConvolution() {
        var g = SeededGenerator(seed: 3)
        let rows = ConvolutionExperiment.correlationRows(generator: &g)
        XCTAssertEqual(rows.count, 8, "four checks, im2col and Winograd")
        for row in rows where row.equal { XCTAssertLessThan(row.error, 1e-5, "\(row.check) (\(row.algorithm))") }
        for row in rows where !row.equal { XCTAssertGreaterThan(row.error, 0.1, "\(row.check) (\(row.algorithm))") }
    }

    func testEquationOneThroughTheLayerNeedsTheFlippedKernel() {
        for (length, from, to) in [(5, -6, 12), (1, 0, 0), (3, -2, 200), (40, -10, 60)] {
            let closed = (from...to).map { ConvolutionExperiment.closedForm($0, length: length) }
            let flipped = ConvolutionExperiment.engineSignal(length: length, from: from, to: to, flip: true)
            XCTAssertEqual(flipped.count, closed.count)
            for (a, b) in zip(flipped, closed) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, b), "L \(length)") }
            if to > 0 {
                let unflipped = ConvolutionExperiment.engineSignal(length: length, from: from, to: to, flip: false)
                XCTAssertGreaterThan(zip(unflipped, closed).map { abs($0 - $1) }.max() ?? 0, 0.1, "L \(length): h is not symmetric")
            }
        }
    }
}
