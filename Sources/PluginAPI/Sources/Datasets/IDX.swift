import Foundation
import Formats

/// An IDX array (the MNIST binary format) of unsigned bytes: its dimensions and values.
public struct IDXArray: Equatable, Sendable {
    /// The dimensions, outermost first (`[N, rows, columns]` for images, `[N]` for labels).
    public var shape: [Int]
    /// The values in row-major order.
    public var bytes: [UInt8]

    /// An array of `bytes` in row-major order with `shape` (their counts are not checked against each other).
    public init(shape: [Int], bytes: [UInt8]) {
        self.shape = shape
        self.bytes = bytes
    }
}

/// Reads and writes IDX files: a big-endian magic (two zero bytes, the type code, the number of
/// dimensions), one big-endian UInt32 per dimension, then the values. Only unsigned bytes
/// (type 0x08), the type MNIST and our digits use, are read; every error names the file.
public enum IDX {
    /// The type code of unsigned bytes.
    static let unsignedByte: UInt8 = 0x08

    /// Reads the IDX file at `path`; a name ending in `.gz` is gunzipped first (MNIST is
    /// distributed as `train-images-idx3-ubyte.gz`).
    public static func read(_ path: String) throws -> IDXArray {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.invalidInput("cannot read \(path): no such file or not readable",
                                           hint: "check the path; IDX files are MNIST-style files such as train-images-idx3-ubyte")
        }
        guard path.hasSuffix(".gz") else { return try parse([UInt8](data), source: path) }
        do {
            return try parse(try Gzip.decompress([UInt8](data)), source: path)
        } catch let error as Inflate.Failure {
            throw PluginError.invalidInput("\(path): \(error.description)", hint: "the .gz file is damaged: download it again, or give the gunzipped file")
        }
    }

    /// Parses IDX bytes; `source` names them in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws -> IDXArray {
        let hint = "an IDX file starts with 00 00 08 <dims>, then one big-endian 4-byte size per dimension (the MNIST format)"
        guard bytes.count >= 4 else {
            throw PluginError.invalidInput("\(source): \(bytes.count) bytes, too short for an IDX header", hint: hint)
        }
        guard bytes[0] == 0, bytes[1] == 0, bytes[3] >= 1 else {
            let magic = bytes[0..<4].map { String(format: "%02x", $0) }.joined(separator: " ")
            throw PluginError.invalidInput("\(source): wrong magic number \(magic), not an IDX file", hint: hint)
        }
        guard bytes[2] == unsignedByte else {
            throw PluginError.invalidInput("\(source): IDX value type 0x\(String(bytes[2], radix: 16)) is not supported",
                                           hint: "only unsigned bytes (type 0x08, as MNIST) are read")
        }
        let dims = Int(bytes[3])
        let headerSize = 4 + 4 * dims
        guard bytes.count >= headerSize else {
            throw PluginError.invalidInput("\(source): truncated header (\(bytes.count) bytes, \(headerSize) needed for \(dims) dimensions)", hint: hint)
        }
        let shape = (0..<dims).map { d in
            let at = 4 + 4 * d
            return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        let sizes = shape.map(String.init).joined(separator: " x ")
        let present = bytes.count - headerSize
        guard let count = ShapeCount.elements(shape) else {
            throw PluginError.invalidInput("\(source): the header promises \(sizes) values, more than fit in 64 bits; the file holds \(present)",
                                           hint: "the file is damaged or not an IDX file")
        }
        guard present == count else {
            let what = present < count ? "truncated" : "has trailing bytes"
            throw PluginError.invalidInput("\(source): \(what): the header promises \(sizes) = \(count) values, the file holds \(present)",
                                           hint: "the file is damaged or incomplete; fetch or convert it again")
        }
        return IDXArray(shape: shape, bytes: Array(bytes[headerSize...]))
    }

    /// The IDX encoding of `array`.
    public static func encode(_ array: IDXArray) -> [UInt8] {
        var out: [UInt8] = [0, 0, unsignedByte, UInt8(array.shape.count)]
        for size in array.shape {
            let n = UInt32(size)
            out += [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
        }
        return out + array.bytes
    }

    /// Writes `array` to `path` atomically.
    public static func write(_ array: IDXArray, to path: String) throws {
        try Data(encode(array)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
