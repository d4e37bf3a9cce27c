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

    /// The regular files of `archive`, their paths normalised (`./` and empty components
    /// dropped). Throws for a damaged header (bad checksum, a size field that is negative, not
    /// octal or too large), a member that runs past the end, a path that is absolute or climbs
    /// out with `..`, and two members whose normalised paths collide (a file given twice, or a
    /// file where a folder is). Folders are checked but not returned; links and other types are
    /// skipped. Every header moves the position forward, so any input ends. `Reader` reads the
    /// same archives as they arrive, without holding them.
    public static func files(_ archive: [UInt8]) throws -> [Entry] {
        var entries: [Entry] = []
        var reader = Reader(length: archive.count)
        try reader.feed(archive[...]) { event in
            switch event {
            case .file(let path, let size):
                entries.append(Entry(path: path, contents: []))
                entries[entries.count - 1].contents.reserveCapacity(size)     // size <= archive.count
            case .contents(let bytes):
                guard !entries.isEmpty else { return }                            // contents follow their .file
                entries[entries.count - 1].contents += bytes
            }
        }
        try reader.finish()
        return entries
    }

    /// `name` without `./` and empty components; refuses absolute paths and `..`.
    static func normalised(_ name: String) throws -> String {
        guard !name.hasPrefix("/") else {
            throw Failure(description: "refusing to unpack \(printable(name)): it is an absolute path, outside the target folder")
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !parts.contains("..") else {
            throw Failure(description: "refusing to unpack \(printable(name)): it points outside the target folder")
        }
        return parts.joined(separator: "/")
    }

    /// A member name fit for a one-line message: control characters replaced, at most 120 characters.
    static func printable(_ name: String) -> String {
        let clean = String(name.unicodeScalars.prefix(120).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return name.unicodeScalars.count > 120 ? clean + "..." : clean
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

    /// A numeric header field: octal digits (leading spaces, then a NUL or space to end), or
    /// GNU's base-256 form (first byte 0x80, big-endian after it). Negative values (base-256
    /// with the sign bit set, or a '-') and values beyond 2^62 are refused.
    static func number(_ header: ArraySlice<UInt8>, _ offset: Int, _ length: Int, what: String, at position: Int) throws -> Int {
        let start = header.startIndex + offset
        let field = header[start..<(start + length)]
        func damaged(_ why: String) -> Failure { Failure(description: "damaged tar header at byte \(position) (\(what) field: \(why))") }
        let limit = 1 << 62
        if let first = field.first, first & 0x80 != 0 {
            guard first == 0x80 else { throw damaged("a negative or unsupported base-256 number") }
            var value = 0
            for b in field.dropFirst() {
                guard value < limit >> 8 else { throw damaged("a base-256 number too large") }
                value = value << 8 | Int(b)
            }
            return value
        }
        var value = 0, index = field.startIndex
        while index < field.endIndex, field[index] == 0x20 { index += 1 }
        while index < field.endIndex, (0x30...0x37).contains(field[index]) {
            value = value * 8 + Int(field[index] - 0x30)
            guard value < limit else { throw damaged("a number too large") }
            index += 1
        }
        guard field[index...].allSatisfy({ $0 == 0 || $0 == 0x20 }) else { throw damaged("not an octal number") }
        return value
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
