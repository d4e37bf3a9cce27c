import Foundation
import PluginAPI
#if canImport(Glibc)
import Glibc
#endif

/// A checkpoint folder that is replaced so that a crash at any instant (SIGKILL, power loss,
/// a full disk) leaves at least one complete copy under a known name:
///
/// - `<name>.partial/` receives the new copy; its files and folders are flushed to the disk,
///   then `complete.json` (every file with its size, and the epochs) is written last;
/// - `<name>/`, when complete, is renamed to `<name>.previous/`, then `<name>.partial/` to
///   `<name>/`, and the parent folder is flushed after each rename;
/// - `<name>.previous/` is then renamed to `<name>.trash/` and deleted.
///
/// A copy counts only with its `complete.json` and every file it lists at its size, so a
/// half-written or half-deleted folder is never used. `latest()` finds the newest complete
/// copy, whichever name it has.
public struct CheckpointFolders {
    /// The folder holding the copies (the run folder).
    public let parent: String
    /// The name of the installed copy (`checkpoint`).
    public let name: String
    /// The file written last into a copy: every file with its size, and the epochs.
    public static let marker = "complete.json"

    /// The copies named `name` (and `name.previous`, `name.partial`) in the folder `parent`.
    public init(parent: String, name: String = "checkpoint") {
        self.parent = parent
        self.name = name
    }

    /// The installed copy: `<parent>/<name>`.
    public var current: String { (parent as NSString).appendingPathComponent(name) }
    /// The copy it replaces, present only during a swap.
    public var previous: String { current + ".previous" }
    /// The copy being written.
    public var staging: String { current + ".partial" }
    /// A copy being deleted (never read).
    var trash: String { current + ".trash" }

    /// The points of `replace` after which a test may stop it, as a crash would.
    public enum Step: Int, CaseIterable, Sendable {
        case clearedLeftovers, wroteFiles, syncedFiles, markedComplete, retiredPrevious, movedCurrentAside, installed, removedPrevious, done
    }

    /// Replaces the checkpoint with what `write` puts into the folder it is given, for a
    /// state after `epochs` epochs. `after` is called after each step (tests throw from it to
    /// simulate a crash there). On an error the new copy is removed and the old one kept.
    public func replace(epochs: Int, write: (String) throws -> Void, after: (Step) throws -> Void = { _ in }) throws {
        try removeLeftovers()
        try after(.clearedLeftovers)
        do {
            try AtomicFile.makeFolder(staging)
            try write(staging)
            try after(.wroteFiles)
            let files = try listFiles(staging)
            for file in files { try Self.sync((staging as NSString).appendingPathComponent(file.path)) }
            try Self.syncFolders(under: staging)
            try after(.syncedFiles)
            let manifest: [String: Any] = ["epochs": epochs, "files": Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.size) })]
            let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
            try AtomicFile.write(json, to: (staging as NSString).appendingPathComponent(Self.marker))
            try Self.sync(staging)
        } catch let error as CheckpointCrash {
            throw error
        } catch {
            try? discard(staging)
            throw error
        }
        try after(.markedComplete)
        try install(after: after)
        try after(.done)
    }

    /// The swap itself, from a complete `<name>.partial/`.
    func install(after: (Step) throws -> Void = { _ in }) throws {
        if Self.exists(previous) { try discard(previous) }
        try after(.retiredPrevious)
        if Self.exists(current) {
            // An incomplete one (left by an older version's crash) is not worth keeping.
            if Self.completedEpochs(current) != nil { try move(current, to: previous) } else { try discard(current) }
        }
        try after(.movedCurrentAside)
        try move(staging, to: current)
        try after(.installed)
        if Self.exists(previous) { try discard(previous) }
        try after(.removedPrevious)
    }

    /// The newest complete copy (ties go to the installed one) and its epochs, or nil.
    public func latest() -> (path: String, epochs: Int)? {
        var best: (path: String, epochs: Int)?
        for path in [current, previous, staging] {
            if let epochs = Self.completedEpochs(path), epochs > (best?.epochs ?? -1) { best = (path, epochs) }
        }
        return best
    }

    /// The epochs of the copy at `path` when it is complete: its `complete.json` is readable
    /// and every file it lists is there, a regular file of the listed size.
    public static func completedEpochs(_ path: String) -> Int? {
        guard let bytes = FileManager.default.contents(atPath: (path as NSString).appendingPathComponent(marker)),
              let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any],
              let epochs = object["epochs"] as? Int, let files = object["files"] as? [String: Int], !files.isEmpty else { return nil }
        for (file, size) in files {
            guard !file.split(separator: "/").contains(".."), !file.hasPrefix("/") else { return nil }
            var info = stat()
            guard lstat((path as NSString).appendingPathComponent(file), &info) == 0, info.st_mode & S_IFMT == S_IFREG,
                  Int(info.st_size) == size else { return nil }
        }
        return epochs
    }

    /// Deals with what a crash left: a copy being deleted goes; a complete new copy that was
    /// not installed yet, and is the newest, is installed; an incomplete one goes.
    func removeLeftovers() throws {
        if Self.exists(trash) { try FileManager.default.removeItem(atPath: trash) }
        guard Self.exists(staging) else { return }
        if latest()?.path == staging { try install() } else { try discard(staging) }
    }

    /// Renames `path` out of the way, then deletes it, so that it is never seen half-deleted
    /// under its name (a deletion that fails leaves `<name>.trash/`, removed next time).
    func discard(_ path: String) throws {
        try move(path, to: trash)
        try? FileManager.default.removeItem(atPath: trash)
    }

    func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw AtomicFile.failure("cannot rename \(from) to \(to)", errno: errno)
        }
        try Self.sync(parent)
    }

    /// Every regular file under `folder`, relative, with its size.
    func listFiles(_ folder: String) throws -> [(path: String, size: Int)] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw PluginError.failure("cannot list \(folder)", hint: "check that the run folder is readable")
        }
        var files: [(path: String, size: Int)] = []
        for case let file as String in enumerator {
            var info = stat()
            if lstat((folder as NSString).appendingPathComponent(file), &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                files.append((file, Int(info.st_size)))
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Flushes a file's or folder's contents (a folder's: its names) to the disk.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFile.failure("cannot open \(path) to flush it", errno: errno) }
        defer { close(fd) }
        // EINVAL: the file system cannot flush this kind of file; nothing more to do.
        guard fsync(fd) == 0 || errno == EINVAL else { throw AtomicFile.failure("cannot flush \(path) to the disk", errno: errno) }
    }

    static func syncFolders(under folder: String) throws {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let file = enumerator?.nextObject() as? String {
            let path = (folder as NSString).appendingPathComponent(file)
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { try sync(path) }
        }
        try sync(folder)
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

/// Thrown by a test's `after` hook: a simulated crash, after which nothing is cleaned up.
public struct CheckpointCrash: Error {
    /// The step after which the crash happened.
    public let step: CheckpointFolders.Step
    /// A crash after `step`.
    public init(_ step: CheckpointFolders.Step) { self.step = step }
}
