import Foundation
import XCTest

/// Every Review experiment through the CLI, small.
final class ReviewCommandTests: XCTestCase {
    func testEveryExperimentRunsAndWritesItsFigure() throws {
        let work = TestSupport.temporaryFolder("review")
        let runs: [([String], String)] = [
            (["noise", "--samples", "2000", "--runs", "2000"], "descent.svg"), (["convolution"], "convolution.svg"),
            (["shapes"], "shapes.csv"), (["dilation"], ""), (["kl", "--steps", "500"], "kl.svg"),
            (["init", "--draws", "50", "--widths", "16", "--iterations", "20", "--eval-every", "10"], "cnn.svg"),
            (["leakage", "--epochs", "3", "--copies", "2"], "leakage.svg"),
        ]
        for (arguments, file) in runs {
            let out = "run-" + arguments[0]
            let result = try TestSupport.host(["run", "Review"] + arguments + ["--out", out, "--quiet"], in: work)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            if !file.isEmpty { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/\(out)/\(file)"), "\(arguments[0]): \(file)") }
        }
        let summary = try TestSupport.host(["run", "Review", "dilation", "--out", "d2", "--json"], in: work)
        XCTAssertTrue(summary.stdout.contains("\"dilated_sum\":20") || summary.stdout.contains("\"dilated_sum\": 20"), summary.stdout)
        let bad = try TestSupport.host(["run", "Review", "noise", "--lrs", "0.1,-1"], in: work)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--lrs: '-1' is not a positive number"), bad.stderr)
    }
}
