import Foundation

/// The files of a run folder as `host report` may read them: regular files found without
/// following any symbolic link, each opened without following one and checked to lie inside
/// the folder, never a fifo, device or socket, and never larger than a cap. A run folder may
/// come from someone else (a submitted assignment), so nothing in it may lead the report to a
/// file outside it (`ln -s ~/.ssh/id_rsa run/x.png`) or make it block on a fifo.
struct RunFiles {
    /// The folder's real path (symbolic links in the path the user typed resolved).
    let root: String
    /// Regular files, relative to `root`, sorted.
    private(set) var files: [String] = []
    /// What was left out and why, one line each ("x.png: a symbolic link, not followed").
    private(set) var skipped: [String] = []

    /// Files larger than this are listed as skipped rather than read.
    static let maximumFileSize = 64 << 20
    /// Folders deeper than this, or entries past this count, are not listed.
    static let maximumDepth = 12, maximumEntries = 20_000

    /// Lists `folder`, recursively, without following symbolic links.
    init(folder: String) {
        root = RunFiles.realPath(folder) ?? folder
        var entries = 0
        walk("", depth: 0, entries: &entries)
        files.sort()
    }

    private mutating func walk(_ relative: String, depth: Int, entries: inout Int) {
        let folder = relative.isEmpty ? root : root + "/" + relative
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            if !relative.isEmpty { skipped.append("\(relative)/: cannot be listed") }
            return
        }
        for name in names.sorted() {
            entries += 1
            if entries > RunFiles.maximumEntries {
                skipped.append("\(relative.isEmpty ? "." : relative): more than \(RunFiles.maximumEntries) entries, the rest not read")
                return
            }
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else { skipped.append("\(path): cannot be read"); continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG: files.append(path)
            case S_IFDIR:
                if depth + 1 > RunFiles.maximumDepth { skipped.append("\(path)/: nested too deep, not read"); continue }
                walk(path, depth: depth + 1, entries: &entries)
            default: skipped.append("\(path): \(RunFiles.describe(mode: info.st_mode))")
            }
        }
    }

    /// The bytes of `relative` (a path inside the folder) when it is a regular file inside the
    /// folder, reached without a symbolic link, and at most `maximumFileSize` bytes; otherwise
    /// nil and `why` says why.
    func read(_ relative: String, why: inout String) -> Data? {
        RunFiles.readRegularFile(root + "/" + relative, inside: root, why: &why)
    }

    /// The bytes of the regular file at `path`, opened without following a symbolic link in
    /// its last component and checked (by its descriptor) to lie under `root`.
    static func readRegularFile(_ path: String, inside root: String, why: inout String) -> Data? {
        // O_NONBLOCK: a fifo put where a file should be must not hang the report.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            why = errno == ELOOP ? "a symbolic link, not followed" : errno == ENOENT ? "missing" : "cannot be opened: \(String(cString: strerror(errno)))"
            return nil
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            why = "not a regular file (a fifo, device or socket), not read"
            return nil
        }
        // A folder on the way replaced by a link after the listing: the descriptor knows where it is.
        if let actual = descriptorPath(fd), !(actual + "/").hasPrefix(root.hasSuffix("/") ? root : root + "/") {
            why = "lies outside the run folder (reached through a symbolic link), not read"
            return nil
        }
        guard Int(info.st_size) <= maximumFileSize else {
            why = "larger than \(maximumFileSize >> 20) MiB, not read"
            return nil
        }
        var data = Data(count: Int(info.st_size))
        var filled = 0
        while filled < data.count {
            let n = data.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Foundation.read(fd, base + filled, buffer.count - filled)
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        return data.prefix(filled)
    }

    /// Why an entry that is neither a regular file nor a folder is left out.
    static func describe(mode: mode_t) -> String {
        mode & S_IFMT == S_IFLNK ? "a symbolic link, not followed" : "not a regular file (a fifo, device or socket), not read"
    }

    /// Why the entry at `path` is left out (see `describe(mode:)`).
    static func describe(_ path: String) -> String {
        var info = stat()
        return lstat(path, &info) == 0 ? describe(mode: info.st_mode) : "cannot be read"
    }

    /// Whether `path` is a regular file itself (not a link to one).
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Whether `path` is a folder itself (not a link to one).
    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Where an open file really is, from the kernel (nil where the system cannot say).
    static func descriptorPath(_ fd: Int32) -> String? {
        #if os(Linux)
        return realPath("/proc/self/fd/\(fd)")
        #elseif canImport(Darwin)
        var buffer = [CChar](repeating: 0, count: Int(MAXPATHLEN))
        return fcntl(fd, F_GETPATH, &buffer) == 0 ? String(cString: buffer) : nil
        #else
        return nil
        #endif
    }
}
