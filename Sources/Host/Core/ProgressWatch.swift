import Foundation
import PluginAPI

/// Passes a run's progress reports on and remembers whether there were any, so the host can
/// tell the author of a plugin whose long run showed none (README, "Writing a plugin").
final class ProgressWatch: ProgressReporter, @unchecked Sendable {
    /// Runs at least this long without a progress report get the note.
    static let quietRunSeconds = 5.0

    private let inner: ProgressReporter
    private let lock = NSLock()
    private var reported = false

    init(_ inner: ProgressReporter) { self.inner = inner }

    /// Whether the run called `begin` or `update` at least once.
    var sawProgress: Bool { lock.lock(); defer { lock.unlock() }; return reported }

    func begin(_ phase: String, total: Int, unit: String) { mark(); inner.begin(phase, total: total, unit: unit) }
    func update(completed: Int, values: [(String, Double)]) { mark(); inner.update(completed: completed, values: values) }
    func end() { inner.end() }

    private func mark() { lock.lock(); reported = true; lock.unlock() }

    /// The note for a run of `seconds` that reported nothing, or nil.
    static func note(plugin: String, experiment: String, seconds: Double, sawProgress: Bool) -> String? {
        guard !sawProgress, seconds >= quietRunSeconds else { return nil }
        return "note: \(plugin) \(experiment) ran \(String(format: "%.0f", seconds)) s without reporting progress; "
            + "a plugin shows it with context.progress.begin(...) and update(...) in its long loops (README, 'Writing a plugin')"
    }
}

/// Answers a run's `context.isCancelled` and remembers whether it was ever asked, so the host
/// can tell the author of a plugin whose long run never checked it: Ctrl-C then waits for the
/// run to end by itself (README, "Writing a plugin").
final class CancellationWatch: @unchecked Sendable {
    private let isRequested: () -> Bool
    private let lock = NSLock()
    private var asked = false

    init(_ isRequested: @escaping () -> Bool) { self.isRequested = isRequested }

    /// Whether the run should stop; counts as a check.
    func check() -> Bool { lock.lock(); asked = true; lock.unlock(); return isRequested() }

    /// Whether the run checked at least once.
    var wasChecked: Bool { lock.lock(); defer { lock.unlock() }; return asked }

    /// The note for a run of `seconds` that never checked, or nil.
    static func note(plugin: String, experiment: String, seconds: Double, wasChecked: Bool) -> String? {
        guard !wasChecked, seconds >= ProgressWatch.quietRunSeconds else { return nil }
        return "note: \(plugin) \(experiment) ran \(String(format: "%.0f", seconds)) s without checking context.isCancelled, "
            + "so Ctrl-C could not stop it early; a plugin checks it in its long loops and stops there, keeping what it did "
            + "(README, 'Writing a plugin')"
    }
}
