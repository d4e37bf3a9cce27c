/// The tar archive format (POSIX ustar and the old v7 headers): what `cifar-10-binary.tar.gz`
/// holds. Regular files and folders only; anything else is skipped.
public enum Tar {
    /// One file of an archive.
    public struct Entry: Equatable, Sendable {
        /// The path inside the archive, relative, with `/` separators.
        public var path: String
        public var contents: [UInt8]

        public init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The regular files of `archive`. Throws for a damaged header (bad checksum), a file that
    /// runs past the end, or a path that is absolute or climbs out with `..`.
    public static func files(_ archive: [UInt8]) throws -> [Entry] {
        var entries: [Entry] = []
        var at = 0
        while at + 512 <= archive.count {
            let header = archive[at..<(at + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }                      // end-of-archive marker
            let stored = octal(header, 148, 8)
            let sum = header.enumerated().reduce(0) { $0 + (148..<156 ~= $1.offset ? 32 : Int($1.element)) }
            guard stored == sum else { throw Failure(description: "damaged tar header at byte \(at) (checksum \(stored ?? -1), computed \(sum))") }
            guard let size = octal(header, 124, 12) else { throw Failure(description: "damaged tar header at byte \(at) (size field)") }
            var name = text(header, 0, 100)
            if header[at + 257..<at + 262].elementsEqual("ustar".utf8) {
                let prefix = text(header, 345, 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            let type = header[at + 156]
            let start = at + 512
            guard start + size <= archive.count else {
                throw Failure(description: "\(name) needs \(size) bytes but the archive ends after \(archive.count - start)")
            }
            if type == UInt8(ascii: "0") || type == 0 {
                let parts = name.split(separator: "/")
                guard !name.hasPrefix("/"), !parts.contains("..") else {
                    throw Failure(description: "refusing to unpack \(name): it points outside the target folder")
                }
                entries.append(Entry(path: parts.joined(separator: "/"), contents: Array(archive[start..<(start + size)])))
            }
            at = start + (size + 511) / 512 * 512
        }
        return entries
    }

    /// A ustar archive of `entries` (used by tests and to make small stand-ins).
    public static func archive(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            var header = [UInt8](repeating: 0, count: 512)
            put(Array(entry.path.utf8.prefix(100)), at: 0, in: &header)
            put(field(0o644, 8), at: 100, in: &header)
            put(field(0, 8), at: 108, in: &header)
            put(field(0, 8), at: 116, in: &header)
            put(field(entry.contents.count, 12), at: 124, in: &header)
            put(field(0, 12), at: 136, in: &header)
            header[156] = UInt8(ascii: "0")
            put(Array("ustar\u{0}00".utf8), at: 257, in: &header)
            for i in 148..<156 { header[i] = 32 }
            put(field(header.reduce(0) { $0 + Int($1) }, 7), at: 148, in: &header)
            out += header + entry.contents + [UInt8](repeating: 0, count: (512 - entry.contents.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    private static func text(_ header: ArraySlice<UInt8>, _ offset: Int, _ length: Int) -> String {
        let start = header.startIndex + offset
        let bytes = header[start..<(start + length)].prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func octal(_ header: ArraySlice<UInt8>, _ offset: Int, _ length: Int) -> Int? {
        let digits = text(header, offset, length).filter { $0 != " " }
        return digits.isEmpty ? 0 : Int(digits, radix: 8)
    }

    /// `value` as zero-padded octal filling `width - 1` bytes, then a NUL.
    private static func field(_ value: Int, _ width: Int) -> [UInt8] {
        let digits = String(value, radix: 8)
        return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
    }

    private static func put(_ bytes: [UInt8], at offset: Int, in header: inout [UInt8]) {
        for (i, b) in bytes.enumerated() { header[offset + i] = b }
    }
}
