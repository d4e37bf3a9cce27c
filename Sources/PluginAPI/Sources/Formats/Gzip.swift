/// The gzip file format (RFC 1952) around DEFLATE data: what `.tar.gz` downloads are.
public enum Gzip {
    /// The decompressed bytes of a single-member gzip file, after checking its header, CRC-32
    /// and length. Throws `Inflate.Failure` saying what is wrong, including as soon as the
    /// output would pass `limit` bytes (a damaged file or a decompression bomb).
    public static func decompress(_ file: [UInt8], limit: Int = Inflate.defaultLimit) throws -> [UInt8] {
        guard file.count >= 18 else { throw notGzip }
        var out: [UInt8] = []
        try gunzip(input: file, pull: { [] }, limit: limit) { out.append(contentsOf: $0) }
        return out
    }

    /// Decompresses a single-member gzip file that arrives in pieces, in memory that does not
    /// depend on its size (a 32 KB window and 256 KB of output at a time): `read` returns the
    /// next piece of the file, an empty array at its end; `write` receives the decompressed
    /// bytes in order, in pieces of at most 256 KB, as they are produced. Checks the header,
    /// the CRC-32 and the length as `decompress(_:limit:)` does, with the same errors
    /// (`Inflate.Failure`), and throws as soon as the output would pass `limit` bytes. The
    /// checks on the whole data come last: when this throws, `write` may have received part
    /// or all of the data, so keep what it wrote only when this returns. Errors from `read`
    /// and `write` are passed on. Bytes after the gzip member are left unread.
    public static func decompress(limit: Int = Inflate.defaultLimit, read: () throws -> [UInt8], write: ([UInt8]) throws -> Void) throws {
        try gunzip(input: [], pull: read, limit: limit) { try write(Array($0)) }
    }

    static var notGzip: Inflate.Failure { Inflate.Failure(description: "not a gzip file (it does not start with 1f 8b)") }

    /// Header, DEFLATE data and trailer of a gzip member read from `input`, then from `pull`.
    static func gunzip(input: [UInt8], pull: () throws -> [UInt8], limit: Int, push: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var crc: UInt32 = 0
        try InflateStream.run(input: input, from: 0, limit: limit, pull: pull, push: { bytes in
            crc = Checksum.crc32(bytes, crc: crc)
            try push(bytes)
        }) { stream in
            try skipHeader(&stream)
            try stream.inflate()
            guard let trailer = try stream.alignedBytes(8) else {
                throw Inflate.Failure(description: "the gzip file is truncated (no CRC-32 and length at the end)")
            }
            let word = { (i: Int) in UInt32(trailer[i]) | UInt32(trailer[i + 1]) << 8 | UInt32(trailer[i + 2]) << 16 | UInt32(trailer[i + 3]) << 24 }
            guard word(0) == crc else { throw Inflate.Failure(description: "CRC-32 mismatch: the data is corrupt") }
            guard word(4) == UInt32(truncatingIfNeeded: stream.total) else {
                throw Inflate.Failure(description: "length mismatch: the data is corrupt")
            }
        }
    }

    /// Reads the member header up to the DEFLATE data, which must follow.
    private static func skipHeader(_ stream: inout InflateStream) throws {
        let truncated = Inflate.Failure(description: "the gzip header is truncated")
        func byte() throws -> UInt8 {
            guard let byte = try stream.nextByte() else { throw truncated }
            return byte
        }
        guard try stream.nextByte() == 0x1F, try stream.nextByte() == 0x8B else { throw notGzip }
        let method = try byte()
        guard method == 8 else { throw Inflate.Failure(description: "gzip compression method \(method) is not DEFLATE") }
        let flags = try byte()
        for _ in 0..<6 { _ = try byte() }                         // time, extra flags, system
        if flags & 0x04 != 0 {                                    // FEXTRA
            let length = Int(try byte()) | Int(try byte()) << 8
            for _ in 0..<length { _ = try byte() }
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {    // FNAME, FCOMMENT: zero-terminated
            while try byte() != 0 {}
        }
        if flags & 0x02 != 0 { _ = try byte(); _ = try byte() }  // FHCRC
        guard try stream.hasInput() else { throw truncated }
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
