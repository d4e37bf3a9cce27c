import Foundation
import PluginAPI
import XCTest
import Kernels

/// `host verify-ops` and `host bench` as a user runs them.
final class EngineCommandTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden").path

    func testVerifyOpsPassesOnTheGoldenCases() throws {
        let result = try TestSupport.host(["verify-ops", Self.golden])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("28 passed, 0 failed, 4 skipped"), result.stdout)
        // The hw3 ResNet lives in the ResNet plugin, whose tests run its cases (HW3ResNetTests).
        XCTAssertTrue(result.stdout.contains("skip  resnet_digits_silu_layernorm") && result.stdout.contains("ResNetTests"), result.stdout)
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

    func testBenchNamesTheCPUAndTheForcedKernelSet() throws {
        for set in KernelSet.supported(by: .current) {
            let result = try TestSupport.host(["bench", "skinny", "--json"], environment: ["HOST_KERNELS": set.name])
            XCTAssertEqual(result.status, 0, result.stderr)
            for line in result.stdout.split(separator: "\n") {
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                XCTAssertEqual(object["kernel_set"] as? String, set.name, String(line))
                XCTAssertEqual(object["cpu"] as? String, CPUFeatures.current.modelName)
            }
            let text = try TestSupport.host(["bench", "batch 16 x 64"], environment: ["HOST_KERNELS": set.name])
            XCTAssertTrue(text.stdout.contains("kernels: \(set.name) (\(set.lanes) lanes, forced by HOST_KERNELS)"), text.stdout)
            XCTAssertTrue(text.stdout.contains("CPU: \(CPUFeatures.current.modelName)"), text.stdout)
        }
    }

    func testAKernelSetTheCPULacksIsRefusedWithAHint() throws {
        // This CPU's model with only AVX2 and FMA (HOST_CPUINFO can only take flags away), so
        // AVX-512 is refused here whatever the machine; on one without AVX2, avx2 is too.
        let sample = TestSupport.temporaryFolder("cpuinfo") + "/cpuinfo"
        try "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse sse2 avx fma avx2\n".write(toFile: sample, atomically: true, encoding: .utf8)
        let narrowed = CPUFeatures.parse(cpuinfo: "flags : fpu sse sse2 avx fma avx2").flags.intersection(CPUFeatures.current.flags)
        let missing = KernelSet.allCases.filter { set in set != .generic && !set.requiredFlags.allSatisfy(narrowed.contains) }
        XCTAssertTrue(missing.contains(.avx512) || CPUFeatures.current.architecture != .x86_64)
        for set in missing {
            for arguments in [["bench", "gemm 64"], ["run", "Parity", "exact", "--d", "4"]] {
                let work = TestSupport.temporaryFolder("kernels-\(set.name)")
                let result = try TestSupport.host(arguments, in: work, environment: ["HOST_KERNELS": set.name, "HOST_CPUINFO": sample])
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work), [], "no run folder")
                XCTAssertEqual(result.status, 2, result.stderr)
                XCTAssertTrue(result.stderr.contains("error: HOST_KERNELS=\(set.name): "), result.stderr)
                XCTAssertTrue(result.stderr.contains("hint: this CPU (Test CPU) runs generic"), result.stderr)
                XCTAssertFalse(result.stderr.contains("Illegal instruction"), result.stderr)
                XCTAssertEqual(result.stdout, "")
            }
        }
        let unknown = try TestSupport.host(["bench", "gemm 64"], environment: ["HOST_KERNELS": "sse9"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("HOST_KERNELS=sse9 is not a kernel set (generic, avx2, avx512)"), unknown.stderr)
    }
}
