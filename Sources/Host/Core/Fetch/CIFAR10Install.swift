import Foundation
import PluginAPI

/// Unpacking CIFAR-10's official archive into the data folder (the part of `host fetch
/// cifar10` after the download, also used for a manual download).
extension CIFAR10 {
    /// The largest archive `install` reads (the official one is 170,052,171 bytes).
    public static let maxArchiveSize = 256 << 20
    /// The most bytes the archive may inflate to (the official tar is about 184.4 MB).
    public static let maxUnpackedSize = 256 << 20

    /// The pieces an archive file is read in.
    static let readSize = 1 << 20

    /// `install(archive:...)` for the archive file at `path`, whose size is checked against
    /// `maxArchiveSize` before it is read. The file is read twice, 1 MB at a time: once for its
    /// MD5, then to unpack it as it inflates, so the memory used does not grow with its size.
    @discardableResult
    public static func install(archiveAt path: String, expectedMD5: String = archiveMD5, into root: String, source: String? = nil) throws -> String {
        let source = source ?? path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes, attributes[.type] as? FileAttributeType == .typeRegular, let size = (attributes[.size] as? NSNumber)?.intValue,
              FileManager.default.isReadableFile(atPath: path) else {
            throw unreadable(path)
        }
        guard size <= maxArchiveSize else { throw tooLarge(source, size: size) }
        var md5 = MD5()
        try readPieces(path, source: source) { md5.update($0) }
        try check(md5.finalHex(), expected: expectedMD5, source: source)
        let file = try ArchiveFile(path: path, source: source)
        return try unpack(read: { try file.next() }, into: root, source: source)
    }

    /// Checks `archive` (the bytes of `cifar-10-binary.tar.gz`) against `expectedMD5`,
    /// unpacks it, checks that every batch file is there and whole, and moves the result to
    /// `<root>/cifar-10-batches-bin` in one rename, replacing an earlier copy. Nothing is left
    /// behind when any step fails. The archive may inflate to at most `maxUnpackedSize` bytes;
    /// member names are normalised and duplicates refused (`Tar.Reader`). Returns the folder.
    @discardableResult
    public static func install(archive: [UInt8], expectedMD5: String = archiveMD5, into root: String, source: String) throws -> String {
        try check(MD5.hex(archive), expected: expectedMD5, source: source)
        var offset = 0
        return try unpack(read: {
            let piece = Array(archive[offset..<min(archive.count, offset + readSize)])
            offset += piece.count
            return piece
        }, into: root, source: source)
    }

    static func unreadable(_ path: String) -> PluginError {
        PluginError.invalidInput("\(path) is missing, unreadable or not a file", hint: "give the path of cifar-10-binary.tar.gz downloaded from \(archiveURL)")
    }

    static func tooLarge(_ source: String, size: Int) -> PluginError {
        PluginError.invalidInput("\(source) is \(size / 1_000_000) MB, more than the \(maxArchiveSize >> 20) MB a CIFAR-10 archive can be",
                                 hint: "this is not cifar-10-binary.tar.gz (163 MB); download \(archiveURL) again")
    }

    static func check(_ digest: String, expected: String, source: String) throws {
        guard digest == expected.lowercased() else {
            throw PluginError.invalidInput("\(source): MD5 is \(digest), expected \(expected)",
                                           hint: "the download is damaged or not CIFAR-10's binary version; download it again")
        }
    }

    /// Hands the file at `path` to `body` 1 MB at a time.
    static func readPieces(_ path: String, source: String, _ body: ([UInt8]) throws -> Void) throws {
        let file = try ArchiveFile(path: path, source: source)
        while true {
            let piece = try file.next()
            if piece.isEmpty { return }
            try body(piece)
        }
    }

    /// An archive file read in pieces, refused when it grows past `maxArchiveSize`.
    final class ArchiveFile {
        let handle: FileHandle
        let path: String, source: String
        var read = 0

        init(path: String, source: String) throws {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw unreadable(path) }
            (self.handle, self.path, self.source) = (handle, path, source)
        }

        deinit { try? handle.close() }

        /// The next piece of at most `readSize` bytes; empty at the end.
        func next() throws -> [UInt8] {
            let data: Data?
            do { data = try handle.read(upToCount: readSize) } catch {
                throw PluginError.invalidInput("cannot read \(path): \(error.localizedDescription)", hint: "check the file, or download it again")
            }
            let piece = data.map { [UInt8]($0) } ?? []
            read += piece.count
            guard read <= maxArchiveSize else { throw tooLarge(source, size: read) }
            return piece
        }
    }

    /// A write into the staging folder that failed (reported as such, not as a damaged archive).
    struct WriteFailure: Error { var underlying: Error }

    /// Inflates and unpacks the archive that `read` returns piece by piece into a staging
    /// folder next to the target, checks the batch files and renames the folder into place.
    /// Removes the staging folder (and `root` when it made it) when anything fails.
    static func unpack(read: () throws -> [UInt8], into root: String, source: String) throws -> String {
        let fm = FileManager.default
        var made = root                                   // the topmost folder this call creates, if any
        while true {
            let parent = (made as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != made, !fm.fileExists(atPath: parent) else { break }
            made = parent
        }
        let madeRoot = !fm.fileExists(atPath: made)
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let target = (root as NSString).appendingPathComponent(folderName)
        let staging = (root as NSString).appendingPathComponent(".\(folderName).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            let sizes = try unpackMembers(read: read, into: staging, source: source)
            for name in trainFiles + [testFile] {
                let path = folderName + "/" + name
                guard let size = sizes[path] else {
                    throw PluginError.invalidInput("\(source) has no \(path)", hint: "this is not CIFAR-10's binary version (cifar-10-binary.tar.gz)")
                }
                guard size % recordSize == 0, size > 0 else {
                    throw PluginError.invalidInput("\(source): \(path) is \(size) bytes, not a whole number of \(recordSize)-byte records",
                                                   hint: "the archive is damaged; download it again")
                }
            }
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
            try fm.moveItem(atPath: staging, toPath: target)
        } catch {
            try? fm.removeItem(atPath: staging)
            if madeRoot { try? fm.removeItem(atPath: made) }
            throw error
        }
        return target
    }

    /// Writes the archive's members under `<folderName>/` into `staging` as their bytes
    /// inflate; returns every member's size by path. Damaged data is a `PluginError`
    /// ("cannot be unpacked"); errors of `read` and of writing are passed on.
    static func unpackMembers(read: () throws -> [UInt8], into staging: String, source: String) throws -> [String: Int] {
        var reader = Tar.Reader(limit: maxUnpackedSize)
        var sizes: [String: Int] = [:]
        var output: FileHandle?
        defer { try? output?.close() }
        func writing(_ work: () throws -> Void) throws {
            do { try work() } catch { throw WriteFailure(underlying: error) }
        }
        do {
            try Gzip.decompress(limit: maxUnpackedSize, read: read) { piece in
                try reader.feed(piece[...]) { event in
                    switch event {
                    case .file(let path, let size):
                        try writing { try output?.close() }
                        output = nil
                        sizes[path] = size
                        guard path.hasPrefix(folderName + "/") else { return }
                        let file = (staging as NSString).appendingPathComponent(String(path.dropFirst(folderName.count + 1)))
                        try writing {
                            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                            guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
                                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
                            }
                            output = handle
                        }
                    case .contents(let bytes):
                        if let output { try writing { try output.write(contentsOf: Data(bytes)) } }
                    }
                }
            }
            try reader.finish()
            try writing { try output?.close() }
            output = nil
        } catch let error as WriteFailure {
            throw error.underlying
        } catch let error as PluginError {
            throw error
        } catch {
            throw PluginError.invalidInput("\(source) cannot be unpacked: \(error)", hint: "the archive is damaged; download it again")
        }
        return sizes
    }

    /// A small archive in the layout of `cifar-10-binary.tar.gz`: five training batches and a
    /// test batch of `recordsPerBatch` generated images each (`GeneratedImages`) and
    /// `batches.meta.txt`. For tests and demonstrations of the download path.
    public static func standInArchive(recordsPerBatch: Int, seed: UInt64) -> [UInt8] {
        var entries: [Tar.Entry] = []
        for (i, name) in (trainFiles + [testFile]).enumerated() {
            let set = GeneratedImages.make(count: recordsPerBatch, seed: seed &+ UInt64(i))
            entries.append(Tar.Entry(path: folderName + "/" + name, contents: encode(set)))
        }
        entries.append(Tar.Entry(path: folderName + "/batches.meta.txt", contents: Array((defaultClassNames.joined(separator: "\n") + "\n").utf8)))
        return Gzip.compress(Tar.archive(entries))
    }
}


extension CIFAR10 {
    /// Whether `folder` holds what an install unpacks: the five training batches and the test
    /// batch, each a regular, non-empty file of whole 3,073-byte records (`host fetch` then says
    /// so instead of downloading 163 MB again).
    static func isCompleteInstall(_ folder: String) -> Bool {
        (trainFiles + [testFile]).allSatisfy { name in
            let path = (folder as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.intValue else { return false }
            return size > 0 && size % recordSize == 0
        }
    }
}
