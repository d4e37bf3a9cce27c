import Foundation
import Formats

/// Checks, before an experiment allocates, that what its options ask for fits in this
/// machine's memory, so that options inside their declared ranges but too large together are
/// bad input with a message, not an abort in the allocator.
public enum MemoryBudget {
    /// The machine's physical memory in bytes.
    public static var physicalBytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The bytes of `count` values of `bytesPerValue` each, summed over `terms`; nil on overflow.
    public static func bytes(_ terms: [(count: [Int], bytesPerValue: Int)]) -> Int? {
        var total = 0
        for term in terms {
            var product = term.bytesPerValue
            for factor in term.count {
                guard factor >= 0 else { return nil }
                let (p, overflow) = product.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                product = p
            }
            let (t, overflow) = total.addingReportingOverflow(product)
            if overflow { return nil }
            total = t
        }
        return total
    }

    /// Throws `PluginError.invalidInput` when `bytes` (nil: too large to count) is more than
    /// the machine's memory; `what` names the options, `hint` says how to shrink them.
    public static func require(_ bytes: Int?, for what: String, hint: String) throws {
        let limit = physicalBytes
        guard let bytes, bytes <= limit else {
            let asked = bytes.map { String(format: "%.1f GB", Double($0) / 1e9) } ?? "more than can be counted"
            throw PluginError.invalidInput("\(what) need \(asked) of memory; this machine has \(String(format: "%.1f GB", Double(limit) / 1e9))",
                                           hint: hint)
        }
    }
}
