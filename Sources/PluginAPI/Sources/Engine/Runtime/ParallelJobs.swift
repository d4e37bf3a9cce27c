import Foundation
import Formats
import Kernels
import KernelSupport

extension WorkerPool {
    /// Runs `count` independent jobs (training runs of a sweep, say) on up to `threads` threads,
    /// one job per piece of work, and returns each job's result or error in job order.
    public func runJobs<T>(_ count: Int, _ job: (Int) throws -> T) -> [Result<T, Error>] {
        var results = [Result<T, Error>?](repeating: nil, count: count)
        let lock = NSLock()
        parallelRanges(count, grain: 1) { range in
            for index in range {
                let result = Result { try job(index) }
                lock.lock(); results[index] = result; lock.unlock()
            }
        }
        return results.map { $0 ?? .failure(PluginError.failure("job did not run", hint: "")) }
    }
}

extension WorkerPool {
    /// `body(i)` for every i in 0..<count on up to `threads` threads, `grain` or more indices
    /// per piece of work, returned in index order: the safe way to fill an array in parallel
    /// (each piece builds its own part; the parts are joined in order, so the result does not
    /// depend on the thread count).
    public func parallelMap<T>(_ count: Int, grain: Int = 1, _ body: (Int) -> T) -> [T] {
        var parts: [Int: [T]] = [:]
        let lock = NSLock()
        parallelRanges(count, grain: max(1, grain)) { range in
            let part = range.map(body)
            lock.lock(); parts[range.lowerBound] = part; lock.unlock()
        }
        return parts.keys.sorted().flatMap { parts[$0] ?? [] }
    }
}

/// Summaries of repeated measurements (runs over seeds).
public enum Statistics {
    /// The mean and the sample standard deviation (n - 1; 0 for one value); NaN for none.
    public static func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))
        return (mean, variance.squareRoot())
    }
}
