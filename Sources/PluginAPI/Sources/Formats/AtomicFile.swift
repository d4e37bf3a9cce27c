import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader never sees half of one, even after a crash or power loss:
/// the bytes go to a new temporary file in the same folder, are flushed to the disk
/// (`fsync`), and `rename(2)` puts them in place in one step. On any failure the temporary
/// file is removed and the error says why in one line ("no space left on device").
public enum AtomicFile {
    /// The call that writes bytes to an open file: returns the count written, or -1 with
    /// `errno` set, as `write(2)` does. Tests substitute one that fails (a full disk).
    public typealias Writer = (_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int

    /// `write(2)` itself.
    public static let systemWriter: Writer = { fd, bytes in
        guard let base = bytes.baseAddress else { return 0 }
        #if canImport(Glibc)
        return Glibc.write(fd, base, bytes.count)
        #else
        return Darwin.write(fd, base, bytes.count)
        #endif
    }

    /// Writes `data` to `path` atomically and durably, creating the parent folder if needed.
    public static func write(_ data: Data, to path: String) throws {
        try write(data, to: path, using: systemWriter)
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Writes `data` to `path` as `write(_:to:)` does, with `writer` in place of `write(2)`.
    public static func write(_ data: Data, to path: String, using writer: Writer) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        try makeFolder(folder.path)
        // A fresh name, created exclusively and never through a link someone put there.
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create a file in \(folder.path)", errno: errno) }
        var failedErrno: Int32 = 0
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let n = writer(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { failedErrno = n == 0 ? EIO : errno; return }
                offset += n
            }
        }
        if failedErrno == 0 && fsync(fd) != 0 { failedErrno = errno }
        if close(fd) != 0 && failedErrno == 0 { failedErrno = errno }
        if failedErrno != 0 {
            unlink(temporary)
            throw failure("cannot write \(path)", errno: failedErrno)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure("cannot move the new \(url.lastPathComponent) into place at \(path)", errno: code)
        }
    }

    /// Creates `path` and the folders above it that are missing, as `mkdir -p` does, with the
    /// system's reason when one cannot be made.
    public static func makeFolder(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeFolder(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw failure("cannot create the folder \(path)", errno: errno)
        }
    }

    /// The error for a failed system call: the cause in words (a full disk named as such) and
    /// what to do about it.
    public static func failure(_ what: String, errno code: Int32) -> PluginError {
        if code == ENOSPC || code == EDQUOT {
            return PluginError.failure("\(what): no space left on device\(code == EDQUOT ? " (disk quota exceeded)" : "")",
                                       hint: "free some space on that disk (or give --out a folder on another one) and run again")
        }
        return PluginError.failure("\(what): \(describe(errno: code))", hint: "check that the folder exists, is writable and the disk is healthy")
    }

    /// `strerror` in lower case: "permission denied".
    public static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }
}
