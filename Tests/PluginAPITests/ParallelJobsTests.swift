import Foundation
import PluginAPI
import XCTest

final class ParallelJobsTests: XCTestCase {
    struct Odd: Error {}

    func testJobsReturnInOrderWithTheirErrors() {
        let lock = NSLock()
        var ran = 0
        let results = WorkerPool(threads: 2).runJobs(9) { i -> Int in
            lock.lock(); ran += 1; lock.unlock()
            if i % 2 == 1 { throw Odd() }
            return i * i
        }
        XCTAssertEqual(results.map { try? $0.get() }, [0, nil, 4, nil, 16, nil, 36, nil, 64])
        XCTAssertEqual(ran, 9, "every job ran once")
    }

    func testParallelMapKeepsIndexOrderWhateverTheThreads() {
        let expected = (0..<1000).map { $0 * 3 + 1 }
        for threads in [1, 2, 4] {
            for grain in [1, 7, 2000] {
                XCTAssertEqual(WorkerPool(threads: threads).parallelMap(1000, grain: grain) { $0 * 3 + 1 }, expected, "threads \(threads) grain \(grain)")
            }
        }
        XCTAssertEqual(WorkerPool.shared.parallelMap(0) { $0 }, [])
    }

    func testMeanAndSampleStandardDeviation() {
        let (mean, std) = Statistics.meanAndStd([2, 4, 4, 4, 5, 5, 7, 9])
        XCTAssertEqual(mean, 5)
        XCTAssertEqual(std, (32.0 / 7).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(Statistics.meanAndStd([3]).std, 0)
        XCTAssertTrue(Statistics.meanAndStd([]).mean.isNaN)
    }
}

final class CSVTests: XCTestCase {
    func testQuotingRoundTrips() {
        let rows = [["RBF, sigma = 1", "say \"hi\"", "plain"], ["two\nlines", "", "3.5"]]
        let text = CSV.encode(header: ["a", "b", "c"], rows: rows)
        XCTAssertTrue(text.hasPrefix("a,b,c\n\"RBF, sigma = 1\",\"say \"\"hi\"\"\",plain\n"), text)
        XCTAssertEqual(CSV.parse(text), [["a", "b", "c"]] + rows)
        XCTAssertEqual(CSV.parse("x,y\r\n1,2\r\n"), [["x", "y"], ["1", "2"]])
    }
}
