import Foundation
import XCTest

/// Errors a script can read: with `--json` an error is one JSON object on stdout as well as the
/// message on stderr; a benchmark filter that matches nothing is an error, not a silent success.
final class CommandErrorTests: XCTestCase {
    func error(_ result: TestSupport.Result) throws -> [String: Any] {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(object["status"] as? String, "error")
        return try XCTUnwrap(object["error"] as? [String: Any])
    }

    func testWithJSONAnErrorIsAnObjectOnStdout() throws {
        let work = TestSupport.temporaryFolder("json-errors")
        let unknown = try TestSupport.host(["run", "NoSuch", "--json"], in: work)
        XCTAssertEqual(unknown.status, 2)
        let e1 = try error(unknown)
        XCTAssertTrue((e1["message"] as? String ?? "").contains("no plugin named 'NoSuch'"), "\(e1)")
        XCTAssertEqual(e1["exit_code"] as? Int, 2)
        XCTAssertTrue(unknown.stderr.contains("host: error: no plugin named 'NoSuch'"), "stderr still says it")
        // A bad option is found in the worker; its answer is the one object on stdout.
        let bad = try TestSupport.host(["run", "Parity", "train", "--iters", "0", "--json", "--out", "bad"], in: work)
        XCTAssertEqual(bad.status, 2)
        let e2 = try error(bad)
        XCTAssertTrue((e2["message"] as? String ?? "").contains("--iters"), "\(e2)")
        XCTAssertFalse((e2["hint"] as? String ?? "").isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/bad"), "bad input leaves no run folder")
        let parse = try TestSupport.host(["run", "--json", "--threads", "zero"], in: work)
        XCTAssertEqual(parse.status, 2)
        XCTAssertNotNil(try? error(parse), "a malformed command line answers in JSON too: \(parse.stdout)")
    }

    func testABenchFilterThatMatchesNothingIsAnError() throws {
        let result = try TestSupport.host(["bench", "nosuch"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("no benchmark matches 'nosuch'") && result.stderr.contains("gemm 512"), result.stderr)
        XCTAssertEqual(result.stdout, "", "nothing was measured")
    }
}
