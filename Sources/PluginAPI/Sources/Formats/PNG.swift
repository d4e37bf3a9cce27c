import Foundation

/// An 8-bit image: grayscale (1 channel) or RGB (3 channels), rows top to bottom.
public struct Image: Equatable {
    /// Pixels per row.
    public var width: Int
    /// Rows.
    public var height: Int
    /// Bytes per pixel: 1 for grayscale, 3 for RGB.
    public var channels: Int
    /// Row-major pixels, `channels` bytes each.
    public var pixels: [UInt8]

    /// A blank image filled with `value`.
    public init(width: Int, height: Int, channels: Int, fill value: UInt8 = 255) {
        precondition(channels == 1 || channels == 3, "images have 1 or 3 channels")
        self.width = width; self.height = height; self.channels = channels
        pixels = [UInt8](repeating: value, count: width * height * channels)
    }

    /// An image of the given pixels; stops the program (a precondition) unless `pixels` holds
    /// `width * height * channels` bytes.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "\(pixels.count) bytes for a \(width)x\(height)x\(channels) image")
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }
}

/// PNG files (ISO/IEC 15948): 8-bit grayscale or RGB, written with per-row adaptive
/// filters and our DEFLATE; read back (any filter, stored/fixed/dynamic blocks) with CRC and
/// Adler-32 checks.
public enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG bytes of `image`.
    public static func encode(_ image: Image) -> [UInt8] {
        var header: [UInt8] = []
        header += bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height))
        header += [8, image.channels == 3 ? 2 : 0, 0, 0, 0]
        return signature + chunk("IHDR", header) + chunk("IDAT", Deflate.zlib(filteredRows(image))) + chunk("IEND", [])
    }

    /// Each row of `image` after its filter-type byte, filtered with the usual heuristic: the
    /// filter whose output has the smallest sum of |signed bytes| (the first on ties). Costs
    /// are counted without building the filtered rows; only the winner is written.
    static func filteredRows(_ image: Image) -> [UInt8] {
        let (stride, bpp, height) = (image.width * image.channels, image.channels, image.height)
        precondition(image.pixels.count == stride * height, "\(image.pixels.count) bytes for a \(image.width)x\(height)x\(bpp) image")
        var raw = [UInt8](repeating: 0, count: (stride + 1) * height)
        let zeros = [UInt8](repeating: 0, count: stride)
        // The byte loops run on buffer pointers: every index below is inside a row of `stride`
        // bytes, and the rows inside `pixels` and `raw` (the precondition and the sizes above).
        image.pixels.withUnsafeBufferPointer { pixels in
            raw.withUnsafeMutableBufferPointer { out in
                zeros.withUnsafeBufferPointer { zeros in
                    for y in 0..<height {
                        let row = UnsafeBufferPointer(rebasing: pixels[(y * stride)..<((y + 1) * stride)])
                        let above = y == 0 ? zeros : UnsafeBufferPointer(rebasing: pixels[((y - 1) * stride)..<(y * stride)])
                        let target = UnsafeMutableBufferPointer(rebasing: out[(y * (stride + 1) + 1)..<((y + 1) * (stride + 1))])
                        out[y * (stride + 1)] = filterRow(row, above: above, bpp: bpp, into: target)
                    }
                }
            }
        }
        return raw
    }

    /// Filters one row into `out` with the filter whose output has the smallest sum of
    /// |signed bytes| (the first on ties; the five costs in one pass), and returns its type.
    private static func filterRow(_ row: UnsafeBufferPointer<UInt8>, above: UnsafeBufferPointer<UInt8>, bpp: Int,
                                  into out: UnsafeMutableBufferPointer<UInt8>) -> UInt8 {
        @inline(__always) func cost(_ value: UInt8, _ prediction: UInt8) -> Int { Int(Int8(bitPattern: value &- prediction).magnitude) }
        var costs = (0, 0, 0, 0, 0)
        for i in 0..<row.count {
            let (x, b) = (row[i], above[i])
            let (a, c) = i >= bpp ? (row[i - bpp], above[i - bpp]) : (0, 0)
            costs.0 += cost(x, 0); costs.1 += cost(x, a); costs.2 += cost(x, b)
            costs.3 += cost(x, predictor(3, a, b, c)); costs.4 += cost(x, predictor(4, a, b, c))
        }
        var (best, type) = (costs.0, UInt8(0))
        for (candidate, total) in [(UInt8(1), costs.1), (2, costs.2), (3, costs.3), (4, costs.4)] where total < best { (best, type) = (total, candidate) }
        for i in 0..<row.count {
            let (a, c) = i >= bpp ? (row[i - bpp], above[i - bpp]) : (0, 0)
            out[i] = row[i] &- predictor(type, a, above[i], c)
        }
        return type
    }

    /// Writes `image` as a PNG file atomically.
    public static func write(_ image: Image, to path: String) throws {
        try AtomicFile.write(Data(encode(image)), to: path)
    }

    /// The largest image `decode` accepts, in bytes of filtered rows (256 MB).
    public static let maxDecodedBytes = 256 << 20

    /// Decodes 8-bit grayscale or RGB PNG bytes, checking every chunk's CRC and the zlib
    /// checksum; the error says what is wrong.
    public static func decode(_ bytes: [UInt8], name: String = "image") throws -> Image {
        func bad(_ what: String) -> PluginError {
            .invalidInput("\(name) is not a readable PNG: \(what)", hint: "8-bit grayscale or RGB PNGs without interlacing are supported")
        }
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { throw bad("no PNG signature") }
        var at = 8
        var header: [UInt8] = [], data: [UInt8] = []
        while at + 8 <= bytes.count {
            let length = Int(readBigEndian(bytes, at))
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            guard at + 12 + length <= bytes.count else { throw bad("chunk \(type) is truncated") }
            let body = Array(bytes[(at + 8)..<(at + 8 + length)])
            guard Checksum.crc32(bytes[(at + 4)..<(at + 8 + length)]) == readBigEndian(bytes, at + 8 + length) else {
                throw bad("CRC mismatch in chunk \(type)")
            }
            if type == "IHDR" { header = body } else if type == "IDAT" { data += body } else if type == "IEND" { break }
            at += 12 + length
        }
        guard header.count == 13 else { throw bad("missing IHDR") }
        let (width, height) = (Int(readBigEndian(header, 0)), Int(readBigEndian(header, 4)))
        guard header[8] == 8, header[9] == 0 || header[9] == 2, header[12] == 0 else {
            throw bad("bit depth \(header[8]), colour type \(header[9]), interlace \(header[12]) are not supported")
        }
        let channels = header[9] == 2 ? 3 : 1
        guard width > 0, height > 0 else { throw bad("empty image (\(width) x \(height))") }
        // Both sizes are below 2^32, so stride + 1 and the product are checked against the cap
        // before anything of that size exists.
        let stride = width * channels
        let (rawSize, overflow) = (stride + 1).multipliedReportingOverflow(by: height)
        guard !overflow, rawSize <= maxDecodedBytes else {
            throw bad("\(width) x \(height) pixels are more than the \(maxDecodedBytes >> 20) MB this reader decodes")
        }
        let raw: [UInt8]
        do { raw = try Inflate.zlib(data, limit: rawSize) } catch { throw bad("\(error)") }
        guard raw.count == rawSize else { throw bad("the image data has \(raw.count) bytes, expected \(rawSize)") }
        var pixels = [UInt8](repeating: 0, count: stride * height)
        var previous = [UInt8](repeating: 0, count: stride)
        for y in 0..<height {
            let type = raw[y * (stride + 1)]
            guard type <= 4 else { throw bad("unknown filter type \(type) in row \(y)") }
            var row = Array(raw[(y * (stride + 1) + 1)..<((y + 1) * (stride + 1))])
            unfilter(type, row: &row, previous: previous, bpp: channels)
            pixels.replaceSubrange((y * stride)..<((y + 1) * stride), with: row)
            previous = row
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Reads a PNG file.
    public static func read(_ path: String) throws -> Image {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.invalidInput("cannot read \(path)", hint: "check the path")
        }
        return try decode([UInt8](data), name: path)
    }

    static func unfilter(_ type: UInt8, row: inout [UInt8], previous: [UInt8], bpp: Int) {
        for i in 0..<row.count {
            let a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0
            row[i] = row[i] &+ predictor(type, a, b, c)
        }
    }

    /// The PNG predictors: none, sub, up, average, Paeth.
    @inline(__always)
    static func predictor(_ type: UInt8, _ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        switch type {
        case 1: return a
        case 2: return b
        case 3: return UInt8((Int(a) + Int(b)) / 2)
        case 4:
            let p = Int(a) + Int(b) - Int(c)
            let (pa, pb, pc) = (abs(p - Int(a)), abs(p - Int(b)), abs(p - Int(c)))
            return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        default: return 0
        }
    }

    static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(body.count)) + typeBytes + body + bigEndian(Checksum.crc32(typeBytes + body))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func readBigEndian(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
