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
        XCTAssertTrue(bad.stderr.contains("--widths: 'x' is not a whole number; expected comma-separated integers in 1...100000"), bad.stderr)
    }

    func metrics(_ result: TestSupport.Result) throws -> [String: Double] {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout + result.stderr)
        return try XCTUnwrap(object["metrics"] as? [String: Any]).compactMapValues { $0 as? Double ?? ($0 as? Int).map(Double.init) }
    }

    func testCIFARSamplesCountsTheFilesAndDrawsTheirPixels() throws {
        let work = TestSupport.temporaryFolder("nngp-cifar")
        let folder = work + "/cifar"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var g = SeededGenerator(seed: 9)
        var files: [String: [UInt8]] = [:]
        for name in CIFAR10.trainFiles + [CIFAR10.testFile] {
            var bytes: [UInt8] = []
            for i in 0..<20 { bytes.append(UInt8(i % 10)); bytes += (0..<3072).map { _ in UInt8(truncatingIfNeeded: g.next()) } }
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
            files[name] = bytes
        }
        let result = try TestSupport.host(["run", "NNGP", "cifar-samples", "--cifar-dir", folder, "--per-class", "2", "--scale", "1", "--out", "run", "--quiet", "--json"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = try metrics(result)
        XCTAssertEqual(m["train_images"], 100)
        XCTAssertEqual(m["test_images"], 20)
        XCTAssertEqual(m["min_class_train"], 10)
        XCTAssertEqual(m["max_class_test"], 2)
        XCTAssertEqual(m["counts_match"], 0, "a 100 / 20 image set is not CIFAR-10's 50,000 / 10,000")
        XCTAssertEqual(m["mismatches"], 28, "two totals, six files, twenty class counts")
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/summary.json"))) as? [String: Any])
        let counts = try XCTUnwrap((summary["notes"] as? [String: Any])?["counts"] as? String)
        XCTAssertTrue(counts.hasPrefix("NOT as expected, 28 counts differ: training set: 100, expected 50,000; test set: 20, expected 10,000"), counts)
        // Every drawn image is in samples.png where samples.csv says, byte for byte.
        let png = try PNG.read(work + "/run/samples.png")
        let rows = CSV.parse(String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/run/samples.csv")), as: UTF8.self))
        XCTAssertEqual(rows.first, ["split", "class", "name", "column", "file", "record", "png_x", "png_y"])
        XCTAssertEqual(rows.dropFirst().count, 40, "2 images of each class from each split")
        for row in rows.dropFirst() {
            let (record, x0, y0) = (try XCTUnwrap(Int(row[5])), try XCTUnwrap(Int(row[6])), try XCTUnwrap(Int(row[7])))
            let bytes = try XCTUnwrap(files[row[4]])
            XCTAssertEqual(String(bytes[record * 3073]), row[1], "the record's label is the row's class")
            XCTAssertEqual(row[0] == "test", row[4] == CIFAR10.testFile, "test samples come from test_batch.bin")
            for p in 0..<3072 {
                let (c, y, x) = (p / 1024, p % 1024 / 32, p % 32)
                XCTAssertEqual(png.pixels[((y0 + y) * png.width + x0 + x) * 3 + c], bytes[record * 3073 + 1 + p], "\(row) pixel \(p)")
            }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/class_counts.svg"))

        let absent = try TestSupport.host(["run", "NNGP", "cifar-samples", "--out", "absent"], in: work, environment: ["CIFAR10_DIR": "", "HOST_DATA_DIR": work + "/empty"])
        XCTAssertEqual(absent.status, 2)
        XCTAssertTrue(absent.stderr.contains("CIFAR-10 is not here") && absent.stderr.contains("host fetch cifar10"), absent.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/absent"), "no run folder left")
        try FileManager.default.removeItem(atPath: folder + "/" + CIFAR10.testFile)
        let partial = try TestSupport.host(["run", "NNGP", "cifar-samples", "--cifar-dir", folder, "--out", "partial"], in: work)
        XCTAssertEqual(partial.status, 2)
        XCTAssertTrue(partial.stderr.contains("test_batch.bin is missing or unreadable") && partial.stderr.contains("host fetch cifar10"), partial.stderr)
    }

    func testDerivationChecksThroughTheCLI() throws {
        let work = TestSupport.temporaryFolder("nngp-derivations")
        let gradient = try TestSupport.host(["run", "NNGP", "gradient", "--trials", "3", "--steps", "300", "--out", "gradient", "--quiet", "--json"], in: work)
        XCTAssertEqual(gradient.status, 0, gradient.stderr)
        let g = try metrics(gradient)
        XCTAssertLessThan(try XCTUnwrap(g["autograd_error_a"]), 1e-5)
        XCTAssertLessThan(try XCTUnwrap(g["autograd_error_b"]), 1e-5)
        XCTAssertLessThan(try XCTUnwrap(g["difference_error"]), 1e-8)
        XCTAssertLessThan(try XCTUnwrap(g["descent_difference"]), 1e-5)
        XCTAssertEqual(try XCTUnwrap(g["final_loss"]), try XCTUnwrap(g["least_squares_loss"]), accuracy: 1e-6, "the update rule reaches the least-squares minimum")
        let duals = try TestSupport.host(["run", "NNGP", "dual-properties", "--points", "21", "--out", "duals", "--quiet", "--json"], in: work)
        XCTAssertEqual(duals.status, 0, duals.stderr)
        let d = try metrics(duals)
        XCTAssertLessThan(try XCTUnwrap(d["max_closed_form_error"]), 1e-12)
        XCTAssertLessThan(try XCTUnwrap(d["max_scaling_error"]), 1e-12)
        XCTAssertEqual(d["violations_0_1"], 0)
        XCTAssertEqual(d["violations_minus1_0"], 7, "sin, cos, erf, sign, |x|, x^2 and tanh decrease or bend down on [-1, 0]")
        let covariance = try TestSupport.host(["run", "NNGP", "covariance", "--samples", "20000", "--out", "covariance", "--quiet", "--json"], in: work)
        XCTAssertEqual(covariance.status, 0, covariance.stderr)
        let c = try metrics(covariance)
        XCTAssertLessThan(try XCTUnwrap(c["max_abs_z_mean"]), 4.5)
        XCTAssertLessThan(try XCTUnwrap(c["max_abs_z_covariance"]), 4.5)
        XCTAssertLessThan(try XCTUnwrap(c["max_abs_z_variance"]), 4.5)
        for file in ["gradient/gradient.svg", "gradient/gradient.csv", "duals/duals.svg", "duals/hermite.svg", "duals/properties.csv", "covariance/covariance.svg", "covariance/covariance.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/" + file), file)
        }
    }
}
