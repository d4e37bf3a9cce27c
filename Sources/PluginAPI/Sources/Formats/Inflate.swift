/// DEFLATE decompression (RFC 1951) of zlib streams: stored, fixed and dynamic Huffman
/// blocks, decoded canonically from code lengths (after zlib's `puff`). Used to check the
/// PNGs we write and to read PNGs from elsewhere.
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
        var reader = BitReader(bytes: stream, position: 2)
        let out = try inflate(&reader, limit: limit)
        let at = reader.alignedPosition
        guard at + 4 <= stream.count else { throw Failure(description: "the zlib stream lacks its Adler-32 checksum") }
        let stored = UInt32(stream[at]) << 24 | UInt32(stream[at + 1]) << 16 | UInt32(stream[at + 2]) << 8 | UInt32(stream[at + 3])
        guard stored == Checksum.adler32(out) else { throw Failure(description: "Adler-32 checksum mismatch") }
        return out
    }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        init(lengths: [Int]) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<15 { offsets[l + 1] = offsets[l] + counts[l] }
            for (symbol, l) in lengths.enumerated() where l != 0 { symbols[offsets[l]] = symbol; offsets[l] += 1 }
        }

        func decode(_ r: inout BitReader) throws -> Int {
            var code = 0, first = 0, index = 0
            for length in 1..<16 {
                code |= try r.bits(1)
                let count = counts[length]
                if code - count < first { return symbols[index + (code - first)] }
                index += count; first += count; first <<= 1; code <<= 1
            }
            throw Failure(description: "invalid Huffman code")
        }
    }

    /// The error for output beyond `limit`.
    static func tooLarge(_ limit: Int) -> Failure {
        Failure(description: "the data inflates to more than \(limit) bytes, the limit (a damaged file or a decompression bomb)")
    }

    static func inflate(_ r: inout BitReader, limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var last = 0
        repeat {
            last = try r.bits(1)
            switch try r.bits(2) {
            case 0:
                r.align()
                let len = try r.byte() | (try r.byte()) << 8
                let nlen = try r.byte() | (try r.byte()) << 8
                guard len == ~nlen & 0xFFFF else { throw Failure(description: "stored block length check failed") }
                guard len <= limit - out.count else { throw tooLarge(limit) }
                for _ in 0..<len { out.append(UInt8(try r.byte())) }
            case 1:
                let lengths = (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 }
                try codes(&r, &out, Huffman(lengths: lengths), Huffman(lengths: [Int](repeating: 5, count: 30)), limit: limit)
            case 2:
                let (lit, dist) = try dynamicTables(&r)
                try codes(&r, &out, lit, dist, limit: limit)
            default:
                throw Failure(description: "invalid block type 3")
            }
        } while last == 0
        return out
    }

    static func dynamicTables(_ r: inout BitReader) throws -> (Huffman, Huffman) {
        let nlen = try r.bits(5) + 257, ndist = try r.bits(5) + 1, ncode = try r.bits(4) + 4
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for k in 0..<ncode { codeLengths[order[k]] = try r.bits(3) }
        let lencode = Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < nlen + ndist {
            let symbol = try lencode.decode(&r)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw Failure(description: "repeat with no previous length") }
                lengths += [Int](repeating: previous, count: 3 + (try r.bits(2)))
            case 17: lengths += [Int](repeating: 0, count: 3 + (try r.bits(3)))
            default: lengths += [Int](repeating: 0, count: 11 + (try r.bits(7)))
            }
        }
        guard lengths.count == nlen + ndist else { throw Failure(description: "code lengths overrun") }
        return (Huffman(lengths: Array(lengths[0..<nlen])), Huffman(lengths: Array(lengths[nlen...])))
    }

    static func codes(_ r: inout BitReader, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman, limit: Int) throws {
        while true {
            let symbol = try lit.decode(&r)
            if symbol < 256 {
                guard out.count < limit else { throw tooLarge(limit) }
                out.append(UInt8(symbol)); continue
            }
            if symbol == 256 { return }
            let code = symbol - 257
            guard code < 29 else { throw Failure(description: "invalid length code") }
            let length = Deflate.lengthBase[code] + (try r.bits(Deflate.lengthExtra[code]))
            let dcode = try dist.decode(&r)
            guard dcode < 30 else { throw Failure(description: "invalid distance code") }
            let distance = Deflate.distanceBase[dcode] + (try r.bits(Deflate.distanceExtra[dcode]))
            guard distance <= out.count else { throw Failure(description: "distance reaches before the start") }
            guard length <= limit - out.count else { throw tooLarge(limit) }
            let start = out.count - distance
            for k in 0..<length { out.append(out[start + k]) }
        }
    }
}

/// Reads bits least-significant first.
struct BitReader {
    let bytes: [UInt8]
    var position: Int
    private var buffer = 0, count = 0

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    mutating func bits(_ n: Int) throws -> Int {
        while count < n {
            guard position < bytes.count else { throw Inflate.Failure(description: "the compressed data is truncated") }
            buffer |= Int(bytes[position]) << count
            position += 1; count += 8
        }
        let value = buffer & ((1 << n) - 1)
        buffer >>= n; count -= n
        return value
    }

    mutating func align() { buffer = 0; count = 0 }

    mutating func byte() throws -> Int { try bits(8) }

    /// The byte position after the last whole byte consumed.
    var alignedPosition: Int { position - count / 8 }
}
