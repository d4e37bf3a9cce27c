import Foundation
import Formats

/// A grayscale image read from or written to a PGM file.
public struct GrayImage: Equatable, Sendable {
    /// The image's size in pixels.
    public var width: Int, height: Int
    /// Samples row by row, as stored (0...maxValue).
    public var samples: [UInt16]
    /// The largest sample value the file declares (1...65535).
    public var maxValue: Int

    /// An image as given: `samples` should hold `width * height` values row by row, each at most `maxValue`.
    public init(width: Int, height: Int, samples: [UInt16], maxValue: Int) {
        self.width = width; self.height = height; self.samples = samples; self.maxValue = maxValue
    }

    /// The samples scaled to [0, 1] by the declared maximum.
    public var scaled: [Float] { samples.map { Float($0) / Float(maxValue) } }
}

/// Netpbm PGM: binary (P5) and plain (P2) grayscale, 8- or 16-bit (maxval up to 65535, 16-bit
/// samples big-endian), with `#` comments in the header. Every error names the file.
public enum PGM {
    /// Reads the PGM file at `path`.
    public static func read(_ path: String) throws -> GrayImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.invalidInput("cannot read \(path): no such file or not readable", hint: "check the path")
        }
        return try parse([UInt8](data), source: path)
    }

    /// Parses PGM bytes; `source` names them in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws -> GrayImage {
        let hint = "a PGM file starts with P5 (binary) or P2 (plain), then width, height and maxval"
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2") else {
            let start = String(decoding: bytes.prefix(2), as: UTF8.self)
            throw PluginError.invalidInput("\(source): not a PGM file (starts with '\(start)', not P5 or P2)", hint: hint)
        }
        let binary = bytes[1] == UInt8(ascii: "5")
        var at = 2
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }
        /// The next decimal number, skipping white space and comments.
        func number(_ what: String) throws -> Int {
            while at < bytes.count {
                if isSpace(bytes[at]) { at += 1 } else if bytes[at] == UInt8(ascii: "#") {
                    while at < bytes.count && bytes[at] != 0x0A && bytes[at] != 0x0D { at += 1 }
                } else { break }
            }
            var value = 0, digits = 0
            while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 {
                value = value * 10 + Int(bytes[at] - 0x30); digits += 1; at += 1
                guard value <= 1 << 24 else { throw PluginError.invalidInput("\(source): the \(what) is too large", hint: hint) }
            }
            guard digits > 0 else {
                throw PluginError.invalidInput("\(source): truncated or malformed header: no \(what)", hint: hint)
            }
            return value
        }
        let width = try number("width"), height = try number("height"), maxValue = try number("maxval")
        guard width > 0, height > 0 else { throw PluginError.invalidInput("\(source): empty image (\(width) x \(height))", hint: hint) }
        guard (1...65535).contains(maxValue) else {
            throw PluginError.invalidInput("\(source): maxval \(maxValue) is outside 1...65535", hint: hint)
        }
        let (count, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow else { throw PluginError.invalidInput("\(source): \(width) x \(height) pixels do not fit in 64 bits", hint: hint) }
        let available = bytes.count - min(at + 1, bytes.count)
        if binary {
            at += 1   // the single white-space character after maxval
            let size = maxValue < 256 ? 1 : 2
            let (needed, tooMany) = count.multipliedReportingOverflow(by: size)
            guard !tooMany, available >= needed else {
                throw PluginError.invalidInput("\(source): truncated: \(width) x \(height) needs \(tooMany ? "more than 2^63" : String(needed)) bytes of pixels, the file has \(available)",
                                               hint: "the file is damaged or incomplete")
            }
        } else {
            // Every plain sample takes at least one digit and one separator (the last: one digit).
            guard count <= (available + 1) / 2 else {
                throw PluginError.invalidInput("\(source): truncated: \(width) x \(height) needs \(count) values, the file has room for at most \((available + 1) / 2)",
                                               hint: "the file is damaged or incomplete")
            }
        }
        var samples = [UInt16](repeating: 0, count: count)
        if binary {
            let size = maxValue < 256 ? 1 : 2
            for i in 0..<count {
                samples[i] = size == 1 ? UInt16(bytes[at + i]) : UInt16(bytes[at + 2 * i]) << 8 | UInt16(bytes[at + 2 * i + 1])
            }
        } else {
            for i in 0..<count {
                let v: Int
                do { v = try number("pixel \(i)") } catch {
                    throw PluginError.invalidInput("\(source): truncated: \(width) x \(height) needs \(count) values, found \(i)", hint: "the file is damaged or incomplete")
                }
                samples[i] = UInt16(min(v, 65535))
            }
        }
        if let bad = samples.firstIndex(where: { Int($0) > maxValue }) {
            throw PluginError.invalidInput("\(source): pixel \(bad) is \(samples[bad]), above maxval \(maxValue)", hint: "the file is damaged")
        }
        return GrayImage(width: width, height: height, samples: samples, maxValue: maxValue)
    }

    /// The binary (P5) encoding of `image`.
    public static func encode(_ image: GrayImage) -> [UInt8] {
        var out = Array("P5\n\(image.width) \(image.height)\n\(image.maxValue)\n".utf8)
        if image.maxValue < 256 {
            out += image.samples.map { UInt8($0) }
        } else {
            for s in image.samples { out += [UInt8(s >> 8), UInt8(s & 0xff)] }
        }
        return out
    }

    /// Writes `image` as binary PGM, atomically.
    public static func write(_ image: GrayImage, to path: String) throws {
        try Data(encode(image)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
