import Foundation
import PluginAPI

/// A run's output folder: `runs/<Plugin>-<experiment>-<UTC time>/` or the user's `--out`.
public struct RunFolder {
    public let path: String

    /// Picks and creates the folder. `--out` must be new or empty, so nothing is overwritten.
    public static func create(plugin: String, experiment: String, out: String?, suffix: String = "", now: Date = Date()) -> Result<RunFolder, HostError> {
        let fm = FileManager.default
        var path: String
        if let out {
            path = out
            if let contents = try? fm.contentsOfDirectory(atPath: out), !contents.isEmpty {
                return .failure(HostError("--out \(out) already holds files", hint: "give a new or empty folder, so no earlier run is overwritten"))
            }
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
                return .failure(HostError("--out \(out) is a file, not a folder", hint: "give a new or empty folder"))
            }
        } else {
            let base = "runs/\(plugin)-\(experiment)\(suffix)-\(timestamp(now))"
            path = base
            var n = 2
            while fm.fileExists(atPath: path) { path = "\(base)-\(n)"; n += 1 }
        }
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            return .failure(HostError("cannot create the run folder \(path): \(error.localizedDescription)",
                                      hint: "check that the folder is writable, or choose another with --out DIR"))
        }
        return .success(RunFolder(path: path))
    }

    /// `20261123T101530Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// ISO 8601 UTC time for files.
    static func isoTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Writes a file of the run folder atomically.
    public func write(_ text: String, to name: String) throws {
        try AtomicFile.write(text, to: (path as NSString).appendingPathComponent(name))
    }

    /// Removes the folder (after bad input: no partial output).
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
