import Foundation
import PluginAPI
import XCTest

final class RuntimeTests: XCTestCase {
    func testGeneratorIsReproducibleAndStreamsDiffer() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 42, stream: 1)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<5).map { _ in c.next() })
    }

    func testGeneratorMoments() {
        var g = SeededGenerator(seed: 9)
        let n = 200_000
        let u = (0..<n).map { _ in g.nextDouble() }
        let z = (0..<n).map { _ in g.nextNormal() }
        XCTAssertEqual(u.reduce(0, +) / Double(n), 0.5, accuracy: 0.005)
        let mean = z.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n), 1, accuracy: 0.01)
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    func testWorkerPoolRangesDoNotDependOnThreads() {
        func ranges(threads: Int) -> [Range<Int>] {
            let pool = WorkerPool(threads: threads)
            let lock = NSLock()
            var seen: [Range<Int>] = []
            pool.parallelRanges(103, grain: 10) { r in lock.lock(); seen.append(r); lock.unlock() }
            return seen.sorted { $0.lowerBound < $1.lowerBound }
        }
        let one = ranges(threads: 1)
        XCTAssertEqual(one.count, 11)
        XCTAssertEqual(one.last, 100..<103)
        XCTAssertEqual(ranges(threads: 4), one)
    }

    func testParallelForVisitsEveryIndexOnce() {
        var hits = [Int](repeating: 0, count: 1000)
        let lock = NSLock()
        WorkerPool(threads: 3).parallelFor(1000) { i in lock.lock(); hits[i] += 1; lock.unlock() }
        XCTAssertEqual(hits, [Int](repeating: 1, count: 1000))
    }

    func testMetricsCSVHasUnionOfColumns() {
        let log = MetricsLog()
        log.log(step: 0, [("loss", 1.5)])
        log.log(step: 1, [("loss", 0.25), ("acc", 0.5)])
        XCTAssertEqual(log.csv(), "step,loss,acc\n0,1.5,\n1,0.25,0.5\n")
        log.final("acc", 0.5); log.final("acc", 0.75)
        XCTAssertEqual(log.finals.map { $0.1 }, [0.75])
    }

    /// The step column is named for what it counts: "epoch" when an experiment says so, the
    /// unit of a `TrainingLoop` that logs the rows, "step" otherwise.
    func testTheStepColumnIsNamedForWhatItCounts() throws {
        let log = MetricsLog()
        var changes: [String] = []
        log.observeRows { changes.append($0.stepName) }
        log.log(step: 0, [("loss", 2)])
        log.stepName = "epoch"
        log.log(step: 1, [("loss", 1)])
        XCTAssertEqual(log.csv(), "epoch,loss\n0,2\n1,1\n")
        XCTAssertEqual(changes, ["step", "epoch"], "observers see the name each row was logged under")

        let byLoop = MetricsLog()
        _ = try TrainingLoop("fit", total: 4, unit: .epoch, logEvery: 2, watch: TrainingWatch(metrics: byLoop), divergenceHint: "")
            .run(step: { _ in 0.5 }, log: { [("loss", $0.windowLoss)] })
        XCTAssertEqual(byLoop.csv().split(separator: "\n").first, "epoch,loss")
        XCTAssertEqual(byLoop.rows.map(\.step), [2, 4])
    }

    func testOptionSpecParsing() {
        let spec = OptionSpec.int("n", default: 5, range: 1...10, help: "")
        XCTAssertEqual(try spec.parse("7").get(), .int(7))
        XCTAssertEqual(spec.allowedDescription, "integer in 1...10")
        XCTAssertThrowsError(try spec.parse("11").get())
        XCTAssertEqual(OptionSpec.double("r", default: 1, min: 0, max: 1, help: "").allowedDescription, "number >= 0 and <= 1")
    }

    func testFormatNumber() {
        XCTAssertEqual(formatNumber(3), "3")
        XCTAssertEqual(formatNumber(0.25), "0.25")
        XCTAssertEqual(formatNumber(1.0 / 3), "0.333333")
        XCTAssertEqual(formatNumber(1.5e-7), "1.5000e-07")
        XCTAssertEqual(formatNumber(.nan), "nan")
    }
}

/// List options: the host parses and checks every element from the declaration.
final class ListOptionTests: XCTestCase {
    func testNumbersAndIntegersParseEachElementAgainstTheBounds() throws {
        let sigmas = OptionSpec.numbers("sigmas", default: [1, 2, 4], positive: true, help: "")
        XCTAssertEqual(try sigmas.parse("0.5, 1,2e1").get(), .numbers([0.5, 1, 20]))
        XCTAssertEqual(try sigmas.parse("").get(), .numbers([]), "empty text: none (to skip a check)")
        XCTAssertEqual(sigmas.allowedDescription, "comma-separated numbers > 0")
        XCTAssertEqual(sigmas.defaultValue?.description, "1,2,4")
        for bad in ["1,,2", "0", "1,x", "nan", "-3"] { XCTAssertThrowsError(try sigmas.parse(bad).get(), bad) }
        if case .failure(let error) = sigmas.parse("1,-3") { XCTAssertEqual(error.message, "--sigmas: -3 is too small; expected comma-separated numbers > 0") }
        let ds = OptionSpec.integers("ds", default: [5, 10], range: 1...64, help: "")
        XCTAssertEqual(try ds.parse("3,64").get(), .integers([3, 64]))
        XCTAssertThrowsError(try ds.parse("3,65").get())
        XCTAssertThrowsError(try ds.parse("3.5").get())
        let values = OptionValues(["ds": .integers([3, 4]), "sigmas": .numbers([0.5])])
        XCTAssertEqual(try values.integers("ds"), [3, 4])
        XCTAssertEqual(try values.numbers("ds"), [3, 4], "integers widen to numbers")
        XCTAssertEqual(try values.numbers("sigmas"), [0.5])
        XCTAssertThrowsError(try values.integers("sigmas"))
    }
}
