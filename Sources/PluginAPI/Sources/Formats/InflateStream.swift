/// DEFLATE decoding (RFC 1951) from input pulled in pieces to output pushed in pieces. Holds
/// one input piece, a 64-bit bit buffer, and the newest output: the 32 KB window that
/// back-references reach into plus up to `flushSize` bytes not yet pushed, so the memory used
/// does not depend on the size of the data. Errors are `Inflate.Failure`, as the whole-array
/// readers (`Inflate.zlib`, `Gzip.decompress`) report them; those are built on this.
struct InflateStream {
    /// The farthest a back-reference reaches.
    static let windowSize = 32768
    /// Output collected before it is pushed (the window is kept in front of it).
    static let flushSize = 256 << 10

    // Input: the current piece, the position in it, and bits taken from it not yet used.
    private var piece: [UInt8]
    private var at: Int
    private var inputEnded = false
    private let pull: () throws -> [UInt8]
    private var hold: UInt64 = 0
    private var held = 0

    // Output: buffer[0..<filled] are the newest bytes produced, buffer[flushed..<filled] not yet pushed.
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var filled = 0, flushed = 0
    private let push: (UnsafeBufferPointer<UInt8>) throws -> Void
    /// The bytes produced so far (pushed or about to be).
    private(set) var total = 0
    /// The most bytes the stream may produce.
    let limit: Int

    private init(piece: [UInt8], at: Int, pull: @escaping () throws -> [UInt8], buffer: UnsafeMutablePointer<UInt8>, capacity: Int,
                 limit: Int, push: @escaping (UnsafeBufferPointer<UInt8>) throws -> Void) {
        (self.piece, self.at, self.pull, self.buffer, self.capacity, self.limit, self.push) = (piece, at, pull, buffer, capacity, limit, push)
    }

    /// Runs `body` on a stream that reads `input` from byte `from`, then the pieces `pull`
    /// returns until it returns an empty array (the end of the input), and hands its output to
    /// `push` in order (each piece valid during the call only).
    static func run<Result>(input: [UInt8], from: Int, limit: Int, pull: () throws -> [UInt8], push: (UnsafeBufferPointer<UInt8>) throws -> Void,
                            _ body: (inout InflateStream) throws -> Result) throws -> Result {
        let capacity = windowSize + flushSize
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        return try withoutActuallyEscaping(pull) { pull in
            try withoutActuallyEscaping(push) { push in
                var stream = InflateStream(piece: input, at: min(max(from, 0), input.count), pull: pull, buffer: buffer,
                                           capacity: capacity, limit: limit, push: push)
                return try body(&stream)
            }
        }
    }

    static var truncated: Inflate.Failure { Inflate.Failure(description: "the compressed data is truncated") }

    // MARK: Input

    /// Takes the next input piece; false at the end of the input.
    private mutating func nextPiece() throws -> Bool {
        while !inputEnded {
            piece = try pull()
            at = 0
            if piece.isEmpty { inputEnded = true } else { return true }
        }
        return false
    }

    /// Fills the bit buffer to at least 57 bits, or with what is left of the input.
    private mutating func refill() throws {
        while held <= 56 {
            if at == piece.count { guard try nextPiece() else { return } }
            hold |= UInt64(piece[at]) << UInt64(held)
            at += 1; held += 8
        }
    }

    /// The next `n` bits (0 ... 16), least significant first.
    @inline(__always)
    private mutating func bits(_ n: Int) throws -> Int {
        if held < n {
            try refill()
            guard held >= n else { throw Self.truncated }
        }
        let value = Int(truncatingIfNeeded: hold & ((1 << UInt64(n)) - 1))
        hold >>= UInt64(n); held -= n
        return value
    }

    /// Drops the bits left of the current byte (before a stored block and a trailer).
    private mutating func align() {
        let extra = held % 8
        hold >>= UInt64(extra); held -= extra
    }

    /// The next `count` whole bytes after the compressed data (a checksum trailer), or nil when
    /// the input ends first.
    mutating func alignedBytes(_ count: Int) throws -> [UInt8]? {
        align()
        var bytes: [UInt8] = []
        for _ in 0..<count {
            guard let byte = try nextByte() else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// The next whole byte (at a byte boundary: before any DEFLATE data, or after
    /// `alignedBytes`), or nil at the end of the input.
    mutating func nextByte() throws -> UInt8? {
        align()
        if held < 8 {
            try refill()
            guard held >= 8 else { return nil }
        }
        let byte = UInt8(truncatingIfNeeded: hold)
        hold >>= 8; held -= 8
        return byte
    }

    /// Whether any input is left.
    mutating func hasInput() throws -> Bool {
        if held > 0 { return true }
        try refill()
        return held > 0
    }

    // MARK: Output

    /// Pushes what is not pushed yet; keeps the last 32 KB in front for back-references.
    private mutating func flush() throws {
        while filled > flushed {                   // at most flushSize bytes a piece
            let count = min(filled - flushed, Self.flushSize)
            try push(UnsafeBufferPointer(start: buffer + flushed, count: count))
            flushed += count
        }
        if filled > Self.windowSize {
            UnsafeMutableRawPointer(buffer).copyMemory(from: buffer + (filled - Self.windowSize), byteCount: Self.windowSize)
            filled = Self.windowSize
        }
        flushed = filled
    }

    /// Makes room for `count` (at most 258) more bytes.
    @inline(__always)
    private mutating func room(_ count: Int) throws {
        if filled + count > capacity { try flush() }
    }

    // MARK: Blocks

    /// Decodes DEFLATE blocks up to the last one and pushes all the output.
    mutating func inflate() throws {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try stored()
            case 1: try codes(Self.fixedLiterals, Self.fixedDistances)
            case 2:
                let (literals, distances) = try dynamicTables()
                try codes(literals, distances)
            default:
                throw Inflate.Failure(description: "invalid block type 3")
            }
        } while last == 0
        try flush()
    }

    private static let fixedLiterals = Inflate.Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
    private static let fixedDistances = Inflate.Huffman(lengths: [Int](repeating: 5, count: 30))

    private mutating func stored() throws {
        align()
        let len = try bits(8) | (try bits(8)) << 8
        let nlen = try bits(8) | (try bits(8)) << 8
        guard len == ~nlen & 0xFFFF else { throw Inflate.Failure(description: "stored block length check failed") }
        guard len <= limit - total else { throw Inflate.tooLarge(limit) }
        var left = len
        while left > 0 && held >= 8 {            // whole bytes already in the bit buffer
            try room(1)
            buffer[filled] = UInt8(truncatingIfNeeded: hold)
            hold >>= 8; held -= 8
            filled += 1; total += 1; left -= 1
        }
        while left > 0 {
            if at == piece.count { guard try nextPiece() else { throw Self.truncated } }
            if filled == capacity { try flush() }
            let n = min(left, piece.count - at, capacity - filled)
            piece.withUnsafeBufferPointer { source in
                (buffer + filled).update(from: source.baseAddress.unsafelyUnwrapped + at, count: n)
            }
            at += n; filled += n; total += n; left -= n
        }
    }

    private mutating func dynamicTables() throws -> (Inflate.Huffman, Inflate.Huffman) {
        let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for k in 0..<ncode { codeLengths[order[k]] = try bits(3) }
        let lencode = Inflate.Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < nlen + ndist {
            let symbol = try decode(lencode)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw Inflate.Failure(description: "repeat with no previous length") }
                lengths += [Int](repeating: previous, count: 3 + (try bits(2)))
            case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
            default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
            }
        }
        guard lengths.count == nlen + ndist else { throw Inflate.Failure(description: "code lengths overrun") }
        return (Inflate.Huffman(lengths: Array(lengths[0..<nlen])), Inflate.Huffman(lengths: Array(lengths[nlen...])))
    }

    /// The next symbol: by table for the short codes, else bit by bit.
    @inline(__always)
    private mutating func decode(_ code: Inflate.Huffman) throws -> Int {
        if held < Inflate.Huffman.fastBits { try refill() }
        let entry = Int(code.fast[Int(truncatingIfNeeded: hold) & (1 << Inflate.Huffman.fastBits - 1)])
        let length = entry & 15
        if length != 0 && length <= held {
            hold >>= UInt64(length); held -= length
            return entry >> 4
        }
        return try slowDecode(code)
    }

    /// `puff`'s decoding, one bit at a time: codes longer than the table, and missing ones.
    private mutating func slowDecode(_ huffman: Inflate.Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for length in 1..<16 {
            code |= try bits(1)
            let count = huffman.counts[length]
            if code - count < first { return huffman.symbols[index + (code - first)] }
            index += count; first += count; first <<= 1; code <<= 1
        }
        throw Inflate.Failure(description: "invalid Huffman code")
    }

    private mutating func codes(_ literals: Inflate.Huffman, _ distances: Inflate.Huffman) throws {
        while true {
            let symbol = try decode(literals)
            if symbol < 256 {
                guard total < limit else { throw Inflate.tooLarge(limit) }
                try room(1)
                buffer[filled] = UInt8(truncatingIfNeeded: symbol)
                filled += 1; total += 1
                continue
            }
            if symbol == 256 { return }
            let code = symbol - 257
            guard code < 29 else { throw Inflate.Failure(description: "invalid length code") }
            let length = Deflate.lengthBase[code] + (try bits(Deflate.lengthExtra[code]))
            let dcode = try decode(distances)
            guard dcode < 30 else { throw Inflate.Failure(description: "invalid distance code") }
            let distance = Deflate.distanceBase[dcode] + (try bits(Deflate.distanceExtra[dcode]))
            guard distance <= total else { throw Inflate.Failure(description: "distance reaches before the start") }
            guard length <= limit - total else { throw Inflate.tooLarge(limit) }
            try room(length)
            // filled >= min(total, windowSize) >= distance, so the source is in the buffer.
            let source = buffer + (filled - distance), target = buffer + filled
            if distance >= length {
                target.update(from: source, count: length)
            } else {
                for k in 0..<length { target[k] = source[k] }   // overlapping: repeats the last `distance` bytes
            }
            filled += length; total += length
        }
    }
}
