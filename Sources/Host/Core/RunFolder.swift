import Foundation
import PluginAPI

/// A run's output folder: `runs/<Plugin>-<experiment>-<UTC time>/` or the user's `--out`.
public struct RunFolder {
    public let path: String
    /// Whether this run made the folder (then bad input removes it); a `--out` folder the user
    /// made beforehand is kept, emptied of what the run wrote.
    public let createdByRun: Bool

    /// Picks and creates the folder. `--out` must be new or empty, so nothing is overwritten.
    public static func create(plugin: String, experiment: String, out: String?, suffix: String = "", now: Date = Date()) -> Result<RunFolder, HostError> {
        let fm = FileManager.default
        var path: String
        if let out {
            path = out
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: out, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    return .failure(HostError("--out \(out) is a file, not a folder", hint: "give a new or empty folder"))
                }
                let contents: [String]
                do {
                    contents = try fm.contentsOfDirectory(atPath: out)
                } catch {
                    return .failure(HostError("--out \(out) cannot be listed (\(reason(error)))",
                                              hint: "give a folder you can read and write (check its permissions), or a new one"))
                }
                guard contents.isEmpty else {
                    return .failure(HostError("--out \(out) already holds files", hint: "give a new or empty folder, so no earlier run is overwritten"))
                }
                guard access(out, W_OK | X_OK) == 0 else {
                    return .failure(HostError("--out \(out) is not writable", hint: "check its permissions, or give another folder"))
                }
                return .success(RunFolder(path: path, createdByRun: false))
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
            return .failure(HostError("cannot create the run folder \(path): \(reason(error))",
                                      hint: "check that the folder is writable, or choose another with --out DIR"))
        }
        return .success(RunFolder(path: path, createdByRun: true))
    }

    /// The system's reason for a file error ("Permission denied", "No space left on device").
    static func reason(_ error: Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain,
           let text = strerror(Int32(posix.code)) {
            return String(cString: text)
        }
        let ns = error as NSError
        return ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain ? ns.localizedDescription : "\(error)"
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

    /// Undoes the run (after bad input: no partial output): the folder goes if the run made
    /// it; a folder the user made is kept, emptied.
    public func remove() {
        let fm = FileManager.default
        if createdByRun {
            try? fm.removeItem(atPath: path)
        } else {
            for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] {
                try? fm.removeItem(atPath: (path as NSString).appendingPathComponent(name))
            }
        }
    }
}
