import Foundation

/// The process's own memory, from `/proc/self/status` (Linux); nil where it cannot be read.
public enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes.
    public static var peakResidentBytes: Int? { field("VmHWM:") }
    /// Current resident set size (VmRSS) in bytes.
    public static var residentBytes: Int? { field("VmRSS:") }

    static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
    }
}
