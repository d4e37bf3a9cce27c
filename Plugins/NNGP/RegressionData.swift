import Foundation
import PluginAPI

/// Problem 11's data, or the user's arrays: X with i.i.d. N(0, 1) entries and rows normalised
/// to norm 1, y = (1/d) sum_i sin x_i.
public struct RegressionData {
    public var x: DMatrix, y: [Double], xTest: DMatrix, yTest: [Double]
    /// Where the data came from.
    public var source: String

    /// The target function of problem 11.
    public static func target(_ row: [Double]) -> Double { row.reduce(0) { $0 + sin($1) } / Double(row.count) }

    /// n training and nTest test points in d dimensions, from `seed`. The text normalises the
    /// training rows before defining y, but writes y_t = f(X_t) before normalising X_t; by
    /// default both labels come from the normalised rows (the same function on both sides),
    /// `rawTestLabels` takes the test labels from the rows before normalising (the literal order).
    public static func generate(n: Int, nTest: Int, d: Int, seed: UInt64, rawTestLabels: Bool = false) -> RegressionData {
        var g = SeededGenerator(seed: seed)
        func draw(_ count: Int, rawLabels: Bool) -> (DMatrix, [Double]) {
            var m = DMatrix(rows: count, columns: d)
            var labels: [Double] = []
            for i in 0..<count {
                let row = (0..<d).map { _ in g.nextNormal() }
                let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for j in 0..<d { m[i, j] = row[j] / norm }
                labels.append(target(rawLabels ? row : m.row(i)))
            }
            return (m, labels)
        }
        let (x, y) = draw(n, rawLabels: false), (xTest, yTest) = draw(nTest, rawLabels: rawTestLabels)
        return RegressionData(x: x, y: y, xTest: xTest, yTest: yTest,
                              source: "generated: N(0, 1) rows normalised to norm 1, y = mean of sin"
                                + (rawTestLabels ? " (test labels from the rows before normalising)" : ""))
    }

    /// The user's `--x --y --x-test --y-test` arrays (all four, or none).
    public static func fromFiles(x: String, y: String, xTest: String, yTest: String) throws -> RegressionData {
        func matrix(_ path: String, _ name: String) throws -> DMatrix {
            let a = try NPY.read(path)
            guard a.shape.count == 2, a.shape[0] > 0, a.shape[1] > 0 else {
                throw PluginError.invalidInput("\(path): shape \(a.shape), \(name) needs a 2-D array (points x dimensions)", hint: "save it with numpy.save as an n x d array")
            }
            if let bad = a.values.firstIndex(where: { !$0.isFinite }) {
                throw PluginError.invalidInput("\(path): value \(a.values[bad]) at flat index \(bad)", hint: "remove NaN and infinite values")
            }
            return DMatrix(rows: a.shape[0], columns: a.shape[1], values: a.values)
        }
        func vector(_ path: String, _ name: String, count: Int) throws -> [Double] {
            let a = try NPY.read(path)
            guard a.shape == [count] || a.shape == [count, 1] else {
                throw PluginError.invalidInput("\(path): shape \(a.shape), \(name) needs \(count) values (one per point)", hint: "pair each input row with one target")
            }
            if let bad = a.values.firstIndex(where: { !$0.isFinite }) {
                throw PluginError.invalidInput("\(path): value \(a.values[bad]) at index \(bad)", hint: "remove NaN and infinite values")
            }
            return a.values
        }
        let train = try matrix(x, "--x"), test = try matrix(xTest, "--x-test")
        guard train.columns == test.columns else {
            throw PluginError.invalidInput("\(xTest): \(test.columns) columns, --x has \(train.columns)", hint: "training and test points need the same dimension")
        }
        return RegressionData(x: train, y: try vector(y, "--y", count: train.rows), xTest: test, yTest: try vector(yTest, "--y-test", count: test.rows),
                              source: "arrays \(x), \(y), \(xTest), \(yTest)")
    }

    /// The data `settings` ask for: the user's arrays when given, else generated from `seed`.
    static func load(_ settings: RegressionSettings, seed: UInt64) throws -> RegressionData {
        let paths = [settings.x, settings.y, settings.xTest, settings.yTest]
        let given = paths.compactMap { $0 }
        if given.isEmpty {
            let (n, nTest, d) = (settings.n, settings.nTest, settings.d)
            // The points, then the kernel matrices: n x n for the fit, n-test x n for the predictions.
            try MemoryBudget.require(MemoryBudget.bytes([([n + nTest, d], 8), ([n, n], 8 * 3), ([nTest, n], 8 * 2)]),
                                     for: "--n \(n), --n-test \(nTest) and --d \(d)", hint: "lower --n-test or --d")
            return generate(n: n, nTest: nTest, d: d, seed: seed, rawTestLabels: settings.testLabels == .raw)
        }
        guard given.count == 4, let x = paths[0], let y = paths[1], let xt = paths[2], let yt = paths[3] else {
            throw PluginError.invalidInput("give all of --x, --y, --x-test and --y-test, or none", hint: "the four .npy arrays replace the generated data together")
        }
        return try fromFiles(x: x, y: y, xTest: xt, yTest: yt)
    }
}
