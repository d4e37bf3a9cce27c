import Foundation
import PluginAPI
import Review
import XCTest

/// CS189 HW7 problem 2: each claim about linear networks, measured, with tolerances a broken claim would miss.
final class LinearNetworksTests: XCTestCase {
    typealias LN = LinearNetworks

    func diagonal(_ rows: Int, _ columns: Int, _ s: [Double]) -> DMatrix {
        var m = DMatrix(rows: rows, columns: columns)
        for (i, v) in s.enumerated() { m[i, i] = v }
        return m
    }

    func testTheSVDRecoversAKnownSpectrumAndTheMatrix() {
        var g = SeededGenerator(seed: 1)
        for (rows, columns) in [(5, 7), (7, 5), (4, 4)] {
            let s = [4.0, 2.5, 1, 0.5].prefix(min(rows, columns))
            let a = LN.multiply(LN.multiply(LN.orthogonal(rows, generator: &g), diagonal(rows, columns, Array(s))), LN.transpose(LN.orthogonal(columns, generator: &g)))
            let (u, sigma, v) = LN.svd(a)
            XCTAssertEqual(sigma.count, min(rows, columns))
            for (got, want) in zip(sigma, s) { XCTAssertEqual(got, want, accuracy: 1e-12, "\(rows) x \(columns)") }
            let back = LN.multiply(LN.multiply(u, diagonal(sigma.count, sigma.count, sigma)), LN.transpose(v))
            XCTAssertLessThan(LN.relativeError(back, a), 1e-12)
            XCTAssertEqual(LN.numericalRank(a), min(rows, columns, 4))
        }
    }

    func testTheHintsBlockIdentityAndEveryLowRankTargetAreBuiltExactly() throws {
        // W0 = [I_2 0; 0 0] (p = 4, d = 5), through 5-3-2-3-4 and through one layer.
        let w0 = diagonal(4, 5, [1, 1])
        for dims in [[5, 3, 2, 3, 4], [5, 4], [5, 2, 4]] {
            let layers = try XCTUnwrap(LN.construction(w0, dims: dims), "\(dims)")
            XCTAssertEqual(layers.map(\.rows), Array(dims.dropFirst()))
            XCTAssertEqual(layers.map(\.columns), Array(dims.dropLast()))
            XCTAssertLessThan(LN.frobeniusSquared(LN.add(LN.product(layers), w0, scale: -1)), 1e-28, "\(dims)")
        }
        XCTAssertNil(LN.construction(w0, dims: [5, 3, 1, 3, 4]), "rank 2 > min d_i = 1: no weights exist")
        XCTAssertNil(LN.construction(w0, dims: [5, 3, 4, 3]), "the widths must end in p and start at d")
    }

    func testAProductOfNarrowLayersReachesW0IffItsRankIsAtMostTheNarrowestWidthAndOtherwiseTheEckartYoungBound() throws {
        var g = SeededGenerator(seed: 2)
        let rows = try LN.capacity(size: 6, widths: [5, 2, 5], steps: 20_000, lr: 0.05, generator: &g)
        XCTAssertEqual(rows.map(\.rank), Array(1...6))
        let s = LN.spectrum(6)
        for r in rows {
            XCTAssertEqual(r.minWidth, 2)
            XCTAssertLessThan(r.sigmaBeyond, 1e-12, "rank W̄ <= 2 whatever the weights")
            if r.rank <= 2 {
                XCTAssertLessThan(r.constructionError ?? .infinity, 1e-12, "rank \(r.rank): built exactly")
                XCTAssertLessThan(r.residual, 1e-4, "rank \(r.rank): descent reaches W0")
                XCTAssertEqual(r.tail, 0)
            } else {
                XCTAssertNil(r.constructionError)
                let bound = s[2..<r.rank].reduce(0) { $0 + $1 * $1 }
                XCTAssertEqual(r.tail, bound, accuracy: 1e-12)
                XCTAssertGreaterThan(r.residual, 1, "rank \(r.rank): bounded away from 0")
                XCTAssertEqual(r.residual, bound, accuracy: 1e-9 * bound, "rank \(r.rank): the best rank-2 approximation")
            }
        }
    }

    func testTheLossIsQOfTheProductAndQIsConvexButNotTheLossInTheLayers() throws {
        var g = SeededGenerator(seed: 3)
        let (x, y) = LN.data(n: 12, d: 4, p: 3, noise: 0.3, generator: &g)
        let c = LN.convexity(x: x, y: y, dims: [4, 5, 2, 3], segments: 20, generator: &g)
        XCTAssertLessThan(c.riskError, 1e-12)
        XCTAssertGreaterThan(c.minGap, 0, "below every chord")
        XCTAssertLessThan(c.gapError, 1e-9, "the gap is 1/2 t(1-t) ||(A-B)X^T||_F^2")
        let star = try XCTUnwrap(LN.leastSquares(x: x, y: y))
        XCTAssertEqual(c.layerGap, LN.q(star, x: x, y: y) - LN.q(DMatrix(rows: 3, columns: 4), x: x, y: y), accuracy: 1e-9)
        XCTAssertLessThan(c.layerGap, -1, "R̂ at the midpoint of two factorisations of W* is above the chord")
        XCTAssertEqual(c.layerCurve.risk.first ?? .nan, LN.q(star, x: x, y: y), accuracy: 1e-9)
    }

    func testAutogradGivesDQdWbarEqualToWbarXtMinusYtTimesX() {
        var g = SeededGenerator(seed: 4)
        let (x, y) = LN.data(n: 10, d: 5, p: 3, noise: 0.5, generator: &g)
        let w = LN.gaussian(3, 5, generator: &g)
        let closed = LN.qGradient(w, x: x, y: y)
        XCTAssertLessThan(LN.relativeError(LN.autogradQGradient(w, x: x, y: y), closed), 1e-5)
        // Central differences of Q in double precision, entry by entry.
        for i in 0..<3 {
            for j in 0..<5 {
                var plus = w, minus = w
                plus[i, j] += 1e-6; minus[i, j] -= 1e-6
                XCTAssertEqual((LN.q(plus, x: x, y: y) - LN.q(minus, x: x, y: y)) / 2e-6, closed[i, j], accuracy: 1e-5 * max(abs(closed[i, j]), 1))
            }
        }
        let flipped = LN.scale(closed, -1)
        XCTAssertGreaterThan(LN.relativeError(LN.autogradQGradient(w, x: x, y: y), flipped), 1, "a wrong sign would be caught")
    }

    func testAutogradGivesEveryLayersGradientOfPartE() {
        var g = SeededGenerator(seed: 5)
        let (x, y) = LN.data(n: 9, d: 4, p: 3, noise: 0.5, generator: &g)
        for dims in [[4, 3], [4, 6, 3], [4, 2, 5, 3], [4, 5, 1, 6, 3]] {
            let layers = LN.randomLayers(dims, generator: &g)
            let closed = LN.layerGradients(layers, x: x, y: y), measured = LN.autogradLayerGradients(layers, x: x, y: y)
            XCTAssertEqual(closed.count, dims.count - 1)
            for (i, pair) in zip(measured, closed).enumerated() {
                XCTAssertLessThan(LN.relativeError(pair.0, pair.1), 1e-5, "\(dims) W_\(i + 1)")
            }
        }
    }

    func testAllZeroLayersAreACriticalPointAboveTheGlobalMinimumForTwoOrMoreLayers() throws {
        var g = SeededGenerator(seed: 6)
        let (x, y) = LN.data(n: 15, d: 5, p: 3, noise: 0.5, generator: &g)
        let yx = LN.frobeniusSquared(LN.multiply(LN.transpose(y), x)).squareRoot()
        let one = LN.zeroPoint(dims: [5, 3], x: x, y: y)
        XCTAssertEqual(one.gradientNorm, yx, accuracy: 1e-4 * yx, "L = 1: the gradient at 0 is -Y^T X")
        for dims in [[5, 4, 3], [5, 6, 6, 3], [5, 2, 2, 2, 3]] {
            let z = LN.zeroPoint(dims: dims, x: x, y: y)
            XCTAssertEqual(z.gradientNorm, 0, "\(dims)")
            XCTAssertGreaterThan(z.excessLoss, 1, "\(dims): Q(0) > Q(W*)")
        }
        let start = [DMatrix(rows: 4, columns: 5), DMatrix(rows: 3, columns: 4)]
        let stuck = try LN.train(dims: [5, 4, 3], x: x, y: y, start: start, lr: 0.05, steps: 200, every: 50, generator: &g)
        XCTAssertEqual(Set(stuck.trace.map(\.loss)).count, 1, "gradient descent never leaves it")
        XCTAssertGreaterThan(stuck.excessLoss, 1)
    }

    func testWithMinWidthEqualToMinPDTrainingEndsAtTheNormalEquationsAndABottleneckDoesNot() throws {
        var g = SeededGenerator(seed: 7)
        let (x, y) = LN.data(n: 20, d: 6, p: 4, noise: 0.5, generator: &g)
        let wide = try LN.train(dims: [6, 6, 6, 4], x: x, y: y, lr: 0.05, steps: 6000, every: 1000, generator: &g)
        XCTAssertLessThan(wide.normalResidual, 1e-8)
        XCTAssertLessThan(abs(wide.excessLoss), 1e-9 * wide.optimum)
        let narrow = try LN.train(dims: [6, 2, 2, 4], x: x, y: y, lr: 0.05, steps: 6000, every: 1000, generator: &g)
        XCTAssertLessThan(narrow.gradientNorm, 1e-8, "a critical point")
        XCTAssertGreaterThan(narrow.normalResidual, 1, "that does not solve the normal equations")
        XCTAssertGreaterThan(narrow.rankOptimum - narrow.optimum, 1)
        XCTAssertEqual(narrow.trace.last?.loss ?? .nan, narrow.rankOptimum, accuracy: 1e-8 * narrow.rankOptimum, "the best rank-2 W̄")
    }

    func testCriticalPointsWithInvertibleSquareLayersAreGlobalMinima() throws {
        var g = SeededGenerator(seed: 8)
        let (x, y) = LN.data(n: 20, d: 5, p: 5, noise: 0.5, generator: &g)
        let trained = try LN.train(dims: [5, 5, 5, 5], x: x, y: y, lr: 0.05, steps: 8000, every: 1000, generator: &g)
        XCTAssertLessThan(trained.gradientNorm, 1e-8)
        XCTAssertGreaterThan(trained.smallestSingularValues.min() ?? 0, 0.05, "invertible layers")
        XCTAssertLessThan(abs(trained.excessLoss), 1e-9 * trained.optimum)
        let built = try XCTUnwrap(LN.invertibleCriticalPoint(depth: 4, x: x, y: y, generator: &g))
        XCTAssertEqual(built.count, 4)
        let norm = LN.layerGradients(built, x: x, y: y).reduce(0) { $0 + LN.frobeniusSquared($1) }.squareRoot()
        XCTAssertLessThan(norm, 1e-9)
        let star = try XCTUnwrap(LN.leastSquares(x: x, y: y))
        XCTAssertEqual(LN.q(LN.product(built), x: x, y: y), LN.q(star, x: x, y: y), accuracy: 1e-9)
        for layer in built { XCTAssertGreaterThan(LN.singularValues(layer).last ?? 0, 1e-3) }
        let zero = LN.zeroPoint(dims: [5, 5, 5, 5], x: x, y: y)
        XCTAssertEqual(zero.gradientNorm, 0, "critical, with singular layers")
        XCTAssertGreaterThan(zero.excessLoss, 1, "and not a global minimum: invertibility is what (f) needs")
    }

    func options(_ overrides: [String: OptionValue]) throws -> (Experiment, OptionValues) {
        let experiment = try XCTUnwrap(ReviewPlugin().experiments.first { $0.name == "linear-networks" })
        var values: [String: OptionValue] = [:]
        for spec in experiment.options { values[spec.name] = spec.defaultValue }
        for (k, v) in overrides { values[k] = v }
        return (experiment, OptionValues(values))
    }

    func testTheExperimentWritesItsTablesPlotsAndMetrics() throws {
        let (experiment, values) = try options(["capacity-steps": .int(3000), "steps": .int(3000)])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("linear-networks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let context = RunContext(plugin: "Review", experiment: "linear-networks", options: values, seed: 0, threads: 1, outputDirectory: folder)
        try XCTUnwrap(experiment.train)(context)
        for file in ["capacity.csv", "capacity.svg", "capacity_descent.svg", "convexity.svg", "training.svg", "training.csv", "parts.txt", "layer_gradients.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + file), file)
        }
        let finals = Dictionary(context.metrics.finals, uniquingKeysWith: { $1 })
        XCTAssertLessThan(finals["construction_error"] ?? .infinity, 1e-12)
        XCTAssertLessThan(finals["eckart_young_error"] ?? .infinity, 1e-9)
        XCTAssertLessThan(finals["q_gradient_error"] ?? .infinity, 1e-5)
        XCTAssertLessThan(finals["layer_gradient_error"] ?? .infinity, 1e-5)
        XCTAssertEqual(finals["zero_gradient_norm"], 0)
        XCTAssertLessThan(finals["layer_space_gap"] ?? 0, 0)
        XCTAssertTrue(context.metrics.notes.contains { $0.0 == "parts" })
    }

    func testBadWidthsAndTooFewExamplesAreBadInput() throws {
        let spec = try XCTUnwrap(ReviewPlugin().experiments.first { $0.name == "linear-networks" }?.options.first { $0.name == "widths" })
        XCTAssertEqual(try spec.parse("6, 3,6").get(), .integers([6, 3, 6]))
        XCTAssertEqual(try spec.parse("").get(), .integers([]), "empty: L = 1")
        for bad in ["6,,3", "0", "x", "65"] {
            XCTAssertThrowsError(try spec.parse(bad).get(), bad)
        }
        let (experiment, values) = try options(["n": .int(3), "d": .int(6)])
        let context = RunContext(plugin: "Review", experiment: "linear-networks", options: values, seed: 0, threads: 1, outputDirectory: NSTemporaryDirectory())
        XCTAssertThrowsError(try XCTUnwrap(experiment.train)(context)) { XCTAssertEqual(($0 as? PluginError)?.kind, .invalidInput, "\($0)") }
    }
}
