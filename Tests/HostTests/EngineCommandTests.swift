import Foundation
import XCTest

/// `host verify-ops` and `host bench` as a user runs them.
final class EngineCommandTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden").path

    func testVerifyOpsPassesOnTheGoldenCases() throws {
        let result = try TestSupport.host(["verify-ops", Self.golden])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("32 passed, 0 failed"), result.stdout)
        XCTAssertTrue(result.stdout.contains("pass  resnet_digits_silu_layernorm"), result.stdout)
    }

    func testVerifyOpsReportsUnknownOpsAndBadFilesByName() throws {
        let folder = TestSupport.temporaryFolder("cases")
        let source = Self.golden
        for file in ["act_relu.x.npy", "act_relu.out.npy", "act_relu.upstream.npy", "act_relu.grad_x.npy"] {
            try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: "\(folder)/\(file)")
        }
        try "not numpy".write(toFile: "\(folder)/broken.x.npy", atomically: true, encoding: .utf8)
        let arrays = #""inputs": {"x": {"file": "act_relu.x.npy"}}, "outputs": {"out": {"file": "act_relu.out.npy"}, "upstream": {"file": "act_relu.upstream.npy"}}, "grads": {"x": {"file": "act_relu.grad_x.npy"}}"#
        let cases = """
        {"cases": [
          {"name": "good", "op": "relu", "params": {}, \(arrays)},
          {"name": "mystery", "op": "frobnicate", "params": {}, \(arrays)},
          {"name": "wrong", "op": "sigmoid", "params": {}, \(arrays)},
          {"name": "torn", "op": "relu", "params": {}, "inputs": {"x": {"file": "broken.x.npy"}}, "outputs": {}, "grads": {}}
        ]}
        """
        try cases.write(toFile: "\(folder)/cases.json", atomically: true, encoding: .utf8)
        let result = try TestSupport.host(["verify-ops", folder])
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stdout.contains("pass  good"), result.stdout)
        XCTAssertTrue(result.stdout.contains("FAIL  mystery") && result.stdout.contains("unknown op 'frobnicate' in case mystery"), result.stdout)
        XCTAssertTrue(result.stdout.contains("FAIL  wrong"), result.stdout)
        XCTAssertTrue(result.stdout.contains("FAIL  torn") && result.stdout.contains("broken.x.npy is not a valid .npy file"), result.stdout)
        XCTAssertTrue(result.stdout.contains("1 passed, 3 failed"), result.stdout)
    }

    func testVerifyOpsWithoutCasesFileExitsTwo() throws {
        let result = try TestSupport.host(["verify-ops", TestSupport.temporaryFolder("empty")])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("cannot read") && result.stderr.contains("cases.json"), result.stderr)
    }

    func testBenchJSONLines() throws {
        let result = try TestSupport.host(["bench", "skinny", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, result.stdout)
        for line in lines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["name", "shape", "threads", "ms", "gflops"] { XCTAssertNotNil(object[key], "\(key) in \(line)") }
            XCTAssertGreaterThan(object["ms"] as? Double ?? 0, 0)
        }
    }
}
