import Foundation

/// The dynamic symbol table of an ELF64 little-endian shared library (x86-64, aarch64), read
/// from the file without loading it: the names it defines (its exports) and the names it needs
/// from other libraries. Every offset and size comes from the file, so each is checked for
/// overflow and against the file's length before use; a damaged file is an error, never a read
/// outside it.
public struct ELFSymbols: Equatable {
    /// Global or weak symbols the library defines.
    public var defined: Set<String>
    /// Symbols the library needs from the libraries it is linked with.
    public var undefined: Set<String>

    public init(defined: Set<String>, undefined: Set<String>) {
        (self.defined, self.undefined) = (defined, undefined)
    }

    /// Why a file is not a readable ELF64 library.
    public struct Malformed: Error, CustomStringConvertible { public var description: String }

    /// Libraries much larger than this are not plugins or runtimes of this project.
    public static let maximumFileSize = 1 << 30

    /// Reads the library at `path`.
    public static func read(path: String) throws -> ELFSymbols {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes[.size] as? Int, size > maximumFileSize {
            throw Malformed(description: "larger than \(maximumFileSize >> 20) MB")
        }
        return try parse(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Reads a library from its bytes.
    public static func parse(_ data: Data) throws -> ELFSymbols {
        let bytes = [UInt8](data)
        let file = Reader(bytes: bytes)
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw Malformed(description: "not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else { throw Malformed(description: "not a 64-bit little-endian ELF file") }
        let sectionTable = try file.int(at: 0x28, size: 8)
        let entrySize = try file.int(at: 0x3A, size: 2), count = try file.int(at: 0x3C, size: 2)
        guard entrySize >= 64 else { throw Malformed(description: "section header entries of \(entrySize) bytes") }
        try file.checkRange(offset: sectionTable, count: count, size: entrySize, what: "section header table")

        struct Section { var type: Int, offset: Int, size: Int, link: Int, entrySize: Int }
        let sections: [Section] = try (0..<count).map { i in
            let base = sectionTable + i * entrySize
            return Section(type: try file.int(at: base + 4, size: 4), offset: try file.int(at: base + 0x18, size: 8),
                           size: try file.int(at: base + 0x20, size: 8), link: try file.int(at: base + 0x28, size: 4),
                           entrySize: try file.int(at: base + 0x38, size: 8))
        }
        let dynamicSymbols = 11  // SHT_DYNSYM
        guard let table = sections.first(where: { $0.type == dynamicSymbols }) else { return ELFSymbols(defined: [], undefined: []) }
        guard table.entrySize >= 24, table.link < sections.count else { throw Malformed(description: "a damaged dynamic symbol table") }
        let strings = sections[table.link]
        try file.checkRange(offset: table.offset, count: table.size / table.entrySize, size: table.entrySize, what: "dynamic symbol table")
        try file.checkRange(offset: strings.offset, count: strings.size, size: 1, what: "dynamic string table")

        var symbols = ELFSymbols(defined: [], undefined: [])
        for i in 1..<max(1, table.size / table.entrySize) {
            let entry = table.offset + i * table.entrySize
            let nameOffset = try file.int(at: entry, size: 4), info = Int(bytes[entry + 4]), section = try file.int(at: entry + 6, size: 2)
            let binding = info >> 4  // 1 global, 2 weak
            guard binding == 1 || binding == 2, nameOffset > 0, nameOffset < strings.size else { continue }
            let start = strings.offset + nameOffset, limit = strings.offset + strings.size
            guard let end = bytes[start..<limit].firstIndex(of: 0) else { throw Malformed(description: "a symbol name runs past its string table") }
            guard end > start else { continue }  // an empty name names nothing
            let name = String(decoding: bytes[start..<end], as: UTF8.self)
            if section == 0 { symbols.undefined.insert(name) } else { symbols.defined.insert(name) }
        }
        return symbols
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: [UInt8]

        func int(at offset: Int, size: Int) throws -> Int {
            guard offset >= 0, offset <= bytes.count - size else { throw Malformed(description: "truncated at byte \(offset)") }
            var value: UInt64 = 0
            for i in (0..<size).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
            guard value <= UInt64(Int.max) else { throw Malformed(description: "an offset or size beyond any file") }
            return Int(value)
        }

        /// `count` items of `size` bytes from `offset` lie inside the file (no overflow).
        func checkRange(offset: Int, count: Int, size: Int, what: String) throws {
            let (length, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
                throw Malformed(description: "the \(what) lies outside the file")
            }
        }
    }
}
