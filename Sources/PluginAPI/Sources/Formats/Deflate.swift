/// DEFLATE compression (RFC 1951) with LZ77 matching over hash chains and the fixed Huffman
/// code, wrapped as a zlib stream (RFC 1950). Simple and always valid; plots and weight maps
/// with flat regions shrink a lot, noisy images little.
public enum Deflate {
    /// Length code bases and extra bits for codes 257...285.
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                      4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// `data` as a zlib stream: header, fixed-Huffman DEFLATE data, Adler-32.
    public static func zlib(_ data: [UInt8]) -> [UInt8] {
        var out = BitWriter()
        out.bytes = [0x78, 0x01]          // deflate, 32 KB window; (0x7801 % 31 == 0)
        out.write(1, bits: 1)             // final block
        out.write(1, bits: 2)             // fixed Huffman
        compress(data, into: &out)
        writeSymbol(256, &out)            // end of block
        out.flush()
        let adler = Checksum.adler32(data)
        out.bytes += [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
        return out.bytes
    }

    /// Greedy LZ77: at each position, the longest match among the last 64 positions with the
    /// same 3-byte hash within 32 KB, if at least 3 long.
    static func compress(_ data: [UInt8], into out: inout BitWriter) {
        let n = data.count
        let hashSize = 1 << 15
        var head = [Int](repeating: -1, count: hashSize)
        var previous = [Int](repeating: -1, count: n)
        // The matching loops run on buffer pointers (a tenth of a plot's time with checked
        // arrays): every index is a position below n, or a hash below hashSize.
        data.withUnsafeBufferPointer { data in
            head.withUnsafeMutableBufferPointer { head in
                previous.withUnsafeMutableBufferPointer { previous in
                    func hash(_ i: Int) -> Int { (Int(data[i]) << 10 ^ Int(data[i + 1]) << 5 ^ Int(data[i + 2])) & (hashSize - 1) }
                    func insert(_ i: Int) {
                        guard i + 2 < n else { return }
                        let h = hash(i)
                        previous[i] = head[h]
                        head[h] = i
                    }
                    var i = 0
                    while i < n {
                        var bestLength = 0, bestDistance = 0
                        if i + 2 < n {
                            var candidate = head[hash(i)]
                            var chain = 64
                            while candidate >= 0 && i - candidate <= 32768 && chain > 0 {
                                var length = 0
                                let limit = min(258, n - i)
                                while length < limit && data[candidate + length] == data[i + length] { length += 1 }
                                if length > bestLength { bestLength = length; bestDistance = i - candidate; if length == limit { break } }
                                candidate = previous[candidate]
                                chain -= 1
                            }
                        }
                        if bestLength >= 3 {
                            writeLength(bestLength, &out)
                            writeDistance(bestDistance, &out)
                            for j in i..<(i + bestLength) { insert(j) }
                            i += bestLength
                        } else {
                            writeSymbol(Int(data[i]), &out)
                            insert(i)
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// A literal/length symbol in the fixed code (RFC 1951, 3.2.6), most significant bit first.
    static func writeSymbol(_ symbol: Int, _ out: inout BitWriter) {
        switch symbol {
        case 0...143: out.writeReversed(0x30 + symbol, bits: 8)
        case 144...255: out.writeReversed(0x190 + symbol - 144, bits: 9)
        case 256...279: out.writeReversed(symbol - 256, bits: 7)
        default: out.writeReversed(0xC0 + symbol - 280, bits: 8)
        }
    }

    static func writeLength(_ length: Int, _ out: inout BitWriter) {
        var code = lengthBase.count - 1
        while lengthBase[code] > length { code -= 1 }
        writeSymbol(257 + code, &out)
        out.write(length - lengthBase[code], bits: lengthExtra[code])
    }

    static func writeDistance(_ distance: Int, _ out: inout BitWriter) {
        var code = distanceBase.count - 1
        while distanceBase[code] > distance { code -= 1 }
        out.writeReversed(code, bits: 5)
        out.write(distance - distanceBase[code], bits: distanceExtra[code])
    }
}

/// Writes bits least-significant first, as DEFLATE packs them.
struct BitWriter {
    var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var count = 0

    /// Writes the low `bits` bits of `value`, least significant first (extra bits, headers).
    mutating func write(_ value: Int, bits: Int) {
        guard bits > 0 else { return }
        buffer |= UInt64(value & ((1 << bits) - 1)) << UInt64(count)
        count += bits
        while count >= 8 { bytes.append(UInt8(buffer & 0xFF)); buffer >>= 8; count -= 8 }
    }

    /// Writes a Huffman code, whose most significant bit goes first.
    mutating func writeReversed(_ code: Int, bits: Int) {
        var reversed = 0
        for k in 0..<bits where code & (1 << k) != 0 { reversed |= 1 << (bits - 1 - k) }
        write(reversed, bits: bits)
    }

    mutating func flush() {
        if count > 0 { bytes.append(UInt8(buffer & 0xFF)) }
        buffer = 0; count = 0
    }
}
