import Foundation

/// Writes files so that a reader never sees half of one: the bytes go to a temporary name in
/// the same folder, then `rename(2)` puts them in place in one step.
public enum AtomicFile {
    /// Writes `data` to `path` atomically, creating the parent folder if needed.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: temporary)
        } catch {
            throw PluginError.failure("cannot write \(temporary.path): \(error.localizedDescription)",
                                      hint: "check that the folder is writable and the disk is not full")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw PluginError.failure("cannot move \(temporary.path) to \(url.path): \(reason)",
                                      hint: "check that the folder is writable")
        }
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
