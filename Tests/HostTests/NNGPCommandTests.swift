import Foundation
import PluginAPI
import XCTest

final class NNGPCommandTests: XCTestCase {
    func testKernelsOnTheUsersArraysEndToEnd() throws {
        let work = TestSupport.temporaryFolder("nngp")
        var g = SeededGenerator(seed: 1)
        func rows(_ n: Int, _ d: Int) -> [Double] {
            (0..<n).flatMap { _ -> [Double] in let r = (0..<d).map { _ in g.nextNormal() }; let s = r.reduce(0) { $0 + $1 * $1 }.squareRoot(); return r.map { $0 / s } }
        }
        let (x, xt) = (rows(20, 5), rows(30, 5))
        let target = { (v: ArraySlice<Double>) in v.reduce(0) { $0 + sin($1) } / 5 }
        try NPY.write(NPYArray(shape: [20, 5], values: x, dtype: "<f8"), to: work + "/x.npy")
        try NPY.write(NPYArray(shape: [20], values: (0..<20).map { target(x[$0 * 5..<$0 * 5 + 5]) }, dtype: "<f8"), to: work + "/y.npy")
        try NPY.write(NPYArray(shape: [30, 5], values: xt, dtype: "<f8"), to: work + "/xt.npy")
        try NPY.write(NPYArray(shape: [30], values: (0..<30).map { target(xt[$0 * 5..<$0 * 5 + 5]) }, dtype: "<f8"), to: work + "/yt.npy")
        let result = try TestSupport.host(["run", "NNGP", "--x", "x.npy", "--y", "y.npy", "--x-test", "xt.npy", "--y-test", "yt.npy",
                                           "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["metrics"] as? [String: Any])
        let zero = try XCTUnwrap(metrics["mse_zero"] as? Double)
        XCTAssertEqual(zero, (0..<30).map { target(xt[$0 * 5..<$0 * 5 + 5]) }.reduce(0) { $0 + $1 * $1 } / 30, accuracy: 1e-12, "the test targets were read")
        XCTAssertLessThan(try XCTUnwrap(metrics["mse_relu"] as? Double), zero)
        XCTAssertLessThan(try XCTUnwrap(metrics["max_residual"] as? Double), 1e-10)
        let table = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/kernels.csv")), as: UTF8.self)
        XCTAssertTrue(table.hasPrefix("kernel,formula,test_mse,solver,relative_residual,condition_number,seconds\nrelu,"), table)

        let partial = try TestSupport.host(["run", "NNGP", "--x", "x.npy", "--y", "y.npy"], in: work)
        XCTAssertEqual(partial.status, 2)
        XCTAssertTrue(partial.stderr.contains("give all of --x, --y, --x-test and --y-test"), partial.stderr)
        let mismatched = try TestSupport.host(["run", "NNGP", "--x", "x.npy", "--y", "yt.npy", "--x-test", "xt.npy", "--y-test", "yt.npy"], in: work)
        XCTAssertEqual(mismatched.status, 2)
        XCTAssertTrue(mismatched.stderr.contains("yt.npy: shape [30], --y needs 20 values"), mismatched.stderr)
    }

    func testDualsMatchTheirClosedForms() throws {
        let work = TestSupport.temporaryFolder("nngp")
        let result = try TestSupport.host(["run", "NNGP", "duals", "--samples", "20000", "--points", "5", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["metrics"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(metrics["max_abs_z"] as? Double), 5, "every estimate within 5 standard errors of its closed form")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/duals.svg"))
    }

    func testChallengeComparesNetworksWithTheNNGP() throws {
        let work = TestSupport.temporaryFolder("nngp")
        let result = try TestSupport.host(["run", "NNGP", "challenge", "--widths", "32", "--depths", "1", "--epochs", "5", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["metrics"] as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(metrics["nngp_test_accuracy"] as? Double), 0.9, "kernel regression on the digits")
        let table = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/challenge.csv")), as: UTF8.self)
        XCTAssertEqual(table.split(separator: "\n").count, 3, table)
        XCTAssertTrue(table.contains("\"ReLU network, 1 hidden x 32\","), table)
        let bad = try TestSupport.host(["run", "NNGP", "challenge", "--widths", "32,x"], in: work)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--widths: '32,x' is not a list of positive integers"), bad.stderr)
    }
}
