/// DEFLATE decompression (RFC 1951) of zlib streams: stored, fixed and dynamic Huffman
/// blocks, decoded canonically from code lengths (after zlib's `puff`), with a lookup table
/// for the short codes. Used to check the PNGs we write and to read PNGs from elsewhere; the
/// decoding itself streams (`InflateStream`, what `Gzip.decompress(limit:read:write:)` uses).
public enum Inflate {
    /// Why a stream could not be decompressed: damaged, truncated, unsupported, or longer than the limit.
    public struct Failure: Error, CustomStringConvertible {
        /// What is wrong, in one line ("bad zlib header").
        public var description: String
    }

    /// The largest output `zlib` and `Gzip.decompress` produce unless told otherwise (1 GiB).
    public static let defaultLimit = 1 << 30

    /// The bytes of a zlib stream, after checking its header and Adler-32 checksum. Stops with
    /// an error as soon as the output would pass `limit` bytes (a damaged stream or a bomb).
    public static func zlib(_ stream: [UInt8], limit: Int = defaultLimit) throws -> [UInt8] {
        guard stream.count >= 6 else { throw Failure(description: "the zlib stream is truncated") }
        guard stream[0] & 0x0F == 8, (Int(stream[0]) << 8 | Int(stream[1])) % 31 == 0 else {
            throw Failure(description: "bad zlib header")
        }
        var out: [UInt8] = []
        let trailer = try InflateStream.run(input: stream, from: 2, limit: limit, pull: { [] },
                                            push: { out.append(contentsOf: $0) }) { inflater -> [UInt8]? in
            try inflater.inflate()
            return try inflater.alignedBytes(4)
        }
        guard let trailer else { throw Failure(description: "the zlib stream lacks its Adler-32 checksum") }
        let stored = UInt32(trailer[0]) << 24 | UInt32(trailer[1]) << 16 | UInt32(trailer[2]) << 8 | UInt32(trailer[3])
        guard stored == Checksum.adler32(out) else { throw Failure(description: "Adler-32 checksum mismatch") }
        return out
    }

    /// The error for output beyond `limit`.
    static func tooLarge(_ limit: Int) -> Failure {
        Failure(description: "the data inflates to more than \(limit) bytes, the limit (a damaged file or a decompression bomb)")
    }

    /// A canonical Huffman code built from code lengths (0 = unused symbol), as `puff` builds
    /// it: `counts` and `symbols` for decoding bit by bit, and `fast`, indexed by the next
    /// `fastBits` bits of the stream, for the codes at most that long. Over-subscribed and
    /// incomplete codes are accepted as `puff`'s decoding treats them: the codes past the end
    /// of a length are unreachable, and a missing code is "invalid Huffman code".
    struct Huffman {
        static let fastBits = 10
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]
        /// `symbol << 4 | length` of the code that the low `fastBits` bits start with; 0 when
        /// no code of at most `fastBits` bits matches (decode bit by bit).
        var fast = [UInt16](repeating: 0, count: 1 << fastBits)

        /// `lengths` are at most 15 each (the callers read them from 3- or 4-bit fields).
        init(lengths: [Int]) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<15 { offsets[l + 1] = offsets[l] + counts[l] }
            for (symbol, l) in lengths.enumerated() where l != 0 { symbols[offsets[l]] = symbol; offsets[l] += 1 }
            // The codes of each length are first..<first+count, as far as they fit in `length`
            // bits (the bit-by-bit decoder never reaches the rest); the stream sends a code's
            // bits from its most significant, so the table index is the code reversed.
            var first = 0, index = 0
            for length in 1...Self.fastBits {
                let count = counts[length]
                var code = first
                while code < min(first + count, 1 << length) {
                    let entry = UInt16(symbols[index + code - first] << 4 | length)
                    var slot = Self.reversed(code, length)
                    while slot < 1 << Self.fastBits { fast[slot] = entry; slot += 1 << length }
                    code += 1
                }
                index += count; first += count; first <<= 1
            }
        }

        /// The low `length` bits of `code` in reverse order.
        static func reversed(_ code: Int, _ length: Int) -> Int {
            var value = 0
            for i in 0..<length where code >> i & 1 != 0 { value |= 1 << (length - 1 - i) }
            return value
        }
    }
}
