import Foundation
import Formats

/// CIFAR-10 batch files read record by record: the file's length is checked first, and only
/// the records the experiment asks for are read (a subset of 20 reads 20 x 3,073 bytes, not the
/// whole file). Every error names the file, says what is wrong, and how to fix it.
public enum CIFARBatchFile {
    /// One label byte, then 3,072 pixel bytes.
    public static let recordSize = 3073, imageSize = 3072

    /// The pixels (3,072 bytes per image) and labels of the first `limit` records (all when nil).
    public typealias Records = (pixels: [UInt8], labels: [Int])

    static let hint = "the file is truncated or not a CIFAR-10 binary batch; download it again (host fetch cifar10)"

    /// How many records to read from a batch of `length` bytes, after checking the length.
    static func recordCount(length: Int, limit: Int?, name: String) throws -> Int {
        guard length > 0, length % recordSize == 0 else {
            throw PluginError.invalidInput("\(name): \(length) bytes is not a whole number of \(recordSize)-byte records", hint: hint)
        }
        if let limit, limit < 0 {
            throw PluginError.invalidInput("\(name): cannot read \(limit) records", hint: "give a subset size of 0 or more")
        }
        return min(length / recordSize, limit ?? Int.max)
    }

    /// Splits `count` whole records at the start of `bytes` into pixels and labels.
    static func split(_ bytes: UnsafeRawBufferPointer, count: Int, name: String) throws -> Records {
        guard bytes.count >= count * recordSize else {
            throw PluginError.invalidInput("\(name): ended after \(bytes.count) bytes while reading \(count) records", hint: hint)
        }
        var pixels = [UInt8](repeating: 0, count: count * imageSize), labels = [Int](repeating: 0, count: count)
        try pixels.withUnsafeMutableBytes { p in
            for i in 0..<count {
                let label = Int(bytes[i * recordSize])
                guard label <= 9 else {
                    throw PluginError.invalidInput("\(name): record \(i) has label \(label), above 9", hint: "the file is damaged or not a CIFAR-10 batch")
                }
                labels[i] = label
                p.baseAddress.unsafelyUnwrapped.advanced(by: i * imageSize)
                    .copyMemory(from: bytes.baseAddress.unsafelyUnwrapped.advanced(by: i * recordSize + 1), byteCount: imageSize)
            }
        }
        return (pixels, labels)
    }

    /// Decodes the bytes of a whole batch file; `name` names it in errors.
    public static func decode(_ bytes: [UInt8], name: String, limit: Int? = nil) throws -> Records {
        let count = try recordCount(length: bytes.count, limit: limit, name: name)
        return try bytes.withUnsafeBytes { try split($0, count: count, name: name) }
    }

    /// Reads the first `limit` records (all when nil) of the batch file at `path`, reading
    /// nothing beyond them.
    public static func read(_ path: String, limit: Int? = nil) throws -> Records {
        let missing = PluginError.invalidInput("\(path) is missing or unreadable",
                                               hint: "CIFAR-10's binary version (cifar-10-binary.tar.gz) unpacks into data_batch_1.bin ... data_batch_5.bin and test_batch.bin; run `host fetch cifar10` or give the folder with --cifar-dir")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
              let handle = FileHandle(forReadingAtPath: path) else { throw missing }
        defer { try? handle.close() }
        let data: Data
        let count: Int
        do {
            let length = try handle.seekToEnd()
            guard length <= UInt64(Int.max) else { throw PluginError.invalidInput("\(path): \(length) bytes is too large a file", hint: hint) }
            count = try recordCount(length: Int(length), limit: limit, name: path)
            try handle.seek(toOffset: 0)
            data = count == 0 ? Data() : try handle.read(upToCount: count * recordSize) ?? Data()
        } catch let error as PluginError {
            throw error
        } catch {
            throw PluginError.invalidInput("\(path) cannot be read: \(error.localizedDescription)", hint: "check the file's permissions, or download it again")
        }
        return try data.withUnsafeBytes { try split($0, count: count, name: path) }
    }
}
