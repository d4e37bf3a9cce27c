import Foundation
import PluginAPI
import XCTest

final class AutoencoderCommandTests: XCTestCase {
    func testExperimentsRunOnGeneratedImagesAndSayWhich() throws {
        let work = TestSupport.temporaryFolder("autoencoder")
        let zero = try TestSupport.host(["run", "Autoencoder", "linear-zero", "--out", "zero", "--json"], in: work)
        XCTAssertEqual(zero.status, 0, zero.stderr)
        XCTAssertTrue(zero.stdout.contains("\"max_abs_weight\":0") || zero.stdout.contains("\"max_abs_weight\": 0"), zero.stdout)
        let rates = try TestSupport.host(["run", "Autoencoder", "linear-init", "--steps", "300", "--out", "init", "--quiet"], in: work)
        XCTAssertEqual(rates.status, 0, rates.stderr)
        let table = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/init/rates.csv")), as: UTF8.self)
        XCTAssertTrue(table.contains("0.1,diverged at step"), table)
        let attractors = try TestSupport.host(["run", "Autoencoder", "attractors", "--target-mse", "1e-3", "--out", "att"], in: work, environment: ["CIFAR10_DIR": "", "HOST_DATA_DIR": work + "/no-data"])
        XCTAssertEqual(attractors.status, 0, attractors.stderr)
        XCTAssertTrue(attractors.stderr.contains("images: generated 32x32 images"), attractors.stderr)
        for file in ["one_image.png", "two_images.png", "iterates.png"] {
            let png = try XCTUnwrap(FileManager.default.contents(atPath: work + "/att/" + file), file)
            XCTAssertNoThrow(try PNG.decode([UInt8](png)), file)
        }
        try TestSupport.assertEveryFileListed(work + "/att")
        // 4(b) for both networks (4(c) repeats it): a training image that was not fitted, a
        // test image, noise and the all-zeros input, which maps to exactly 0 (no biases).
        let outputs = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: work + "/att/outputs.csv")), as: UTF8.self)
        let rows = outputs.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        for network in ["1 image", "2 images"] {
            let inputs = rows.filter { $0.first == network }.map { $0[1] }
            XCTAssertEqual(inputs.filter { $0.hasPrefix("training image #") }.count, 1, outputs)
            XCTAssertEqual(Set(inputs).isSuperset(of: ["test image", "uniform noise", "all zeros"]), true, outputs)
            XCTAssertEqual(rows.first { $0.first == network && $0[1] == "all zeros" }?.last, "0", "f(0) = 0: \(outputs)")
        }
        let missing = try TestSupport.host(["run", "Autoencoder", "linear-image", "--cifar-dir", work + "/nothing"], in: work)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("data_batch_1.bin is missing"), missing.stderr)
    }
}
