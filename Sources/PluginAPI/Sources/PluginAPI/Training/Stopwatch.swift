import Foundation

/// Wall time since it was made, on the monotonic clock: for the `seconds` an experiment reports
/// of work that is not a `TrainingLoop` (whose report carries its own).
public struct Stopwatch: Sendable {
    private let start = DispatchTime.now().uptimeNanoseconds

    /// Starts the stopwatch now.
    public init() {}

    /// Seconds since the stopwatch was made.
    public var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
