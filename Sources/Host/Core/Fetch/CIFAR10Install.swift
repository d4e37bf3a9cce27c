import Foundation
import PluginAPI

/// Unpacking CIFAR-10's official archive into the data folder (the part of `host fetch
/// cifar10` after the download, also used for a manual download).
extension CIFAR10 {
    /// The largest archive `install` reads (the official one is 170,052,171 bytes).
    public static let maxArchiveSize = 256 << 20
    /// The most bytes the archive may inflate to (the official tar is about 184.4 MB).
    public static let maxUnpackedSize = 256 << 20

    /// `install(archive:...)` for the archive file at `path`, whose size is checked against
    /// `maxArchiveSize` before it is read.
    @discardableResult
    public static func install(archiveAt path: String, expectedMD5: String = archiveMD5, into root: String, source: String? = nil) throws -> String {
        let source = source ?? path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes, attributes[.type] as? FileAttributeType == .typeRegular, let size = (attributes[.size] as? NSNumber)?.intValue,
              let data = size <= maxArchiveSize ? FileManager.default.contents(atPath: path) : Data() else {
            throw PluginError.invalidInput("\(path) is missing, unreadable or not a file",
                                           hint: "give the path of cifar-10-binary.tar.gz downloaded from \(archiveURL)")
        }
        guard size <= maxArchiveSize, data.count <= maxArchiveSize else {
            throw PluginError.invalidInput("\(source) is \(size / 1_000_000) MB, more than the \(maxArchiveSize >> 20) MB a CIFAR-10 archive can be",
                                           hint: "this is not cifar-10-binary.tar.gz (163 MB); download \(archiveURL) again")
        }
        return try install(archive: [UInt8](data), expectedMD5: expectedMD5, into: root, source: source)
    }

    /// Checks `archive` (the bytes of `cifar-10-binary.tar.gz`) against `expectedMD5`,
    /// unpacks it, checks that every batch file is there and whole, and moves the result to
    /// `<root>/cifar-10-batches-bin` in one rename, replacing an earlier copy. Nothing is left
    /// behind when any step fails. The archive may inflate to at most `maxUnpackedSize` bytes;
    /// member names are normalised and duplicates refused (`Tar.files`). Returns the folder.
    @discardableResult
    public static func install(archive: [UInt8], expectedMD5: String = archiveMD5, into root: String, source: String) throws -> String {
        let digest = MD5.hex(archive)
        guard digest == expectedMD5.lowercased() else {
            throw PluginError.invalidInput("\(source): MD5 is \(digest), expected \(expectedMD5)",
                                           hint: "the download is damaged or not CIFAR-10's binary version; download it again")
        }
        let tar: [UInt8], files: [Tar.Entry]
        do {
            tar = try Gzip.decompress(archive, limit: maxUnpackedSize)
            files = try Tar.files(tar)
        } catch {
            throw PluginError.invalidInput("\(source) cannot be unpacked: \(error)",
                                           hint: "the archive is damaged; download it again")
        }
        let wanted = trainFiles + [testFile]
        let inFolder = files.filter { $0.path.hasPrefix(folderName + "/") }
        for name in wanted {
            guard let entry = inFolder.first(where: { $0.path == folderName + "/" + name }) else {
                throw PluginError.invalidInput("\(source) has no \(folderName)/\(name)", hint: "this is not CIFAR-10's binary version (cifar-10-binary.tar.gz)")
            }
            guard entry.contents.count % recordSize == 0, !entry.contents.isEmpty else {
                throw PluginError.invalidInput("\(source): \(entry.path) is \(entry.contents.count) bytes, not a whole number of \(recordSize)-byte records",
                                               hint: "the archive is damaged; download it again")
            }
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let target = (root as NSString).appendingPathComponent(folderName)
        let staging = (root as NSString).appendingPathComponent(".\(folderName).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            for entry in inFolder {
                let relative = String(entry.path.dropFirst(folderName.count + 1))
                let path = (staging as NSString).appendingPathComponent(relative)
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(entry.contents).write(to: URL(fileURLWithPath: path))
            }
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
            try fm.moveItem(atPath: staging, toPath: target)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        return target
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
