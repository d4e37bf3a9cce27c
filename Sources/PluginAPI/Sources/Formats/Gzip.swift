/// The gzip file format (RFC 1952) around DEFLATE data: what `.tar.gz` downloads are.
public enum Gzip {
    /// The decompressed bytes of a single-member gzip file, after checking its header, CRC-32
    /// and length. Throws `Inflate.Failure` saying what is wrong, including as soon as the
    /// output would pass `limit` bytes (a damaged file or a decompression bomb).
    public static func decompress(_ file: [UInt8], limit: Int = Inflate.defaultLimit) throws -> [UInt8] {
        guard file.count >= 18, file[0] == 0x1F, file[1] == 0x8B else {
            throw Inflate.Failure(description: "not a gzip file (it does not start with 1f 8b)")
        }
        guard file[2] == 8 else { throw Inflate.Failure(description: "gzip compression method \(file[2]) is not DEFLATE") }
        let flags = file[3]
        var at = 10
        if flags & 0x04 != 0 {                                  // FEXTRA
            guard at + 2 <= file.count else { throw Inflate.Failure(description: "the gzip header is truncated") }
            at += 2 + (Int(file[at]) | Int(file[at + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {   // FNAME, FCOMMENT: zero-terminated
            while at < file.count && file[at] != 0 { at += 1 }
            at += 1
        }
        if flags & 0x02 != 0 { at += 2 }                         // FHCRC
        guard at < file.count else { throw Inflate.Failure(description: "the gzip header is truncated") }
        var reader = BitReader(bytes: file, position: at)
        let out = try Inflate.inflate(&reader, limit: limit)
        let end = reader.alignedPosition
        guard end + 8 <= file.count else { throw Inflate.Failure(description: "the gzip file is truncated (no CRC-32 and length at the end)") }
        let word = { (i: Int) in UInt32(file[i]) | UInt32(file[i + 1]) << 8 | UInt32(file[i + 2]) << 16 | UInt32(file[i + 3]) << 24 }
        guard word(end) == Checksum.crc32(out) else { throw Inflate.Failure(description: "CRC-32 mismatch: the data is corrupt") }
        guard word(end + 4) == UInt32(truncatingIfNeeded: out.count) else {
            throw Inflate.Failure(description: "length mismatch: the data is corrupt")
        }
        return out
    }

    /// `data` as a gzip file (fixed-Huffman DEFLATE, as `Deflate.zlib`).
    public static func compress(_ data: [UInt8]) -> [UInt8] {
        let zlib = Deflate.zlib(data)
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        let crc = Checksum.crc32(data), size = UInt32(truncatingIfNeeded: data.count)
        let trailer = (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * UInt32($0))) }
        return header + zlib[2..<(zlib.count - 4)] + trailer
    }
}
