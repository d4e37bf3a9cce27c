import Foundation
import PluginAPI

/// `host verify-ops DIR`: runs every golden case in DIR through the engine and prints one
/// line per case (pass/fail, largest absolute and relative error; skip for a network that lives
/// in a plugin); exit 1 if any fails.
enum VerifyOpsCommand {
    static func run(folder: String, globals: GlobalOptions) -> Result<Int32, HostError> {
        WorkerPool.shared.threads = globals.threads
        let results: [GoldenCases.CaseResult]
        do {
            results = try GoldenCases.run(folder: folder)
        } catch let error as PluginError {
            return .failure(HostError(error.message, hint: error.hint))
        } catch {
            return .failure(HostError("\(error)", hint: "give a folder holding cases.json and its .npy files"))
        }
        var failed = 0, skipped = 0
        for r in results {
            if r.skipped != nil { skipped += 1 } else if !r.passed { failed += 1 }
            if globals.json {
                print(JSON.object([("case", .string(r.name)), ("op", .string(r.op)), ("passed", .bool(r.passed)),
                                   ("skipped", r.skipped.map { .string($0) } ?? .null),
                                   ("max_abs_error", .finite(Double(r.maxAbsError))), ("max_rel_error", .finite(Double(r.maxRelError))),
                                   ("error", r.error.map { .string($0) } ?? .null)]).text())
                continue
            }
            if let reason = r.skipped {
                print("skip  \(r.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(reason)")
                continue
            }
            let status = r.passed ? "pass" : "FAIL"
            if let error = r.error {
                print("\(status)  \(r.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(error)")
                continue
            }
            print("\(status)  \(r.name.padding(toLength: 30, withPad: " ", startingAt: 0)) "
                  + String(format: "max abs %.2e  max rel %.2e", r.maxAbsError, r.maxRelError))
            for comparison in r.comparisons where !comparison.passed {
                let worst = comparison.worst.map { String(format: "[%d] ours %.7g torch %.7g", $0.0, $0.1, $0.2) }.joined(separator: "; ")
                print("        \(comparison.key): max abs \(comparison.maxAbsError)  \(worst)")
            }
        }
        if !globals.json { print("\(results.count - failed - skipped) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : "")) }
        return .success(failed == 0 ? ExitCode.success : ExitCode.failure)
    }
}
