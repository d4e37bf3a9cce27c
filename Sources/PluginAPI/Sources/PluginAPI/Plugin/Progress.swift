/// Receives progress of long work. The host shows it as a live line on a terminal and as
/// periodic plain lines otherwise; plugins only report.
public protocol ProgressReporter: AnyObject {
    /// Starts a phase of `total` units (steps, epochs, pairs), named for the display.
    func begin(_ phase: String, total: Int, unit: String)
    /// Reports that `completed` of the phase's units are done, with current values such as the loss.
    func update(completed: Int, values: [(String, Double)])
    /// Ends the current phase.
    func end()
}

/// A reporter that shows nothing (for `--quiet` and for tests).
public final class SilentProgress: ProgressReporter {
    /// A reporter that shows nothing.
    public init() {}
    /// Does nothing.
    public func begin(_ phase: String, total: Int, unit: String) {}
    /// Does nothing.
    public func update(completed: Int, values: [(String, Double)]) {}
    /// Does nothing.
    public func end() {}
}
