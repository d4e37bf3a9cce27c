import Foundation

/// A NumPy `.npy` array: its shape and values, read from or written to the format NumPy uses
/// (`numpy.save`/`numpy.load`, versions 1.0-3.0, C order).
public struct NPYArray: Equatable {
    /// The dimensions, outermost first; `[]` for a scalar.
    public var shape: [Int]
    /// The values in C (row-major) order, widened to Double so int64 and float64 survive.
    public var values: [Double]
    /// NumPy's dtype string the values came from or are written as, such as `<f4`.
    public var dtype: String

    /// An array of `values` in C order with `shape` (their counts are not checked against each other).
    /// `NPY.encode` writes dtype `<f8` as float64 and anything else as float32 (`<f4`).
    public init(shape: [Int], values: [Double], dtype: String = "<f4") {
        self.shape = shape
        self.values = values
        self.dtype = dtype
    }

    /// Float32 values with their shape.
    public init(shape: [Int], floats: [Float]) {
        self.init(shape: shape, values: floats.map(Double.init), dtype: "<f4")
    }

    /// The values as Float32.
    public var floats: [Float] { values.map { Float($0) } }

    /// The number of elements the shape implies.
    public var count: Int { shape.reduce(1, *) }

    /// The values as Float32, refusing (as bad input naming `source`) any value that is NaN,
    /// infinite, or beyond Float32's range, instead of letting it turn into infinity later.
    public func float32Values(source: String) throws -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            let f = Float(v)
            guard v.isFinite, f.isFinite else {
                let why = v.isFinite ? "is beyond the float32 range (+-3.4e38)" : "is not a finite number"
                throw PluginError.invalidInput("\(source): value \(v) at flat index \(i) \(why)",
                                               hint: "the experiment computes in float32; remove NaN/infinite values or rescale the data")
            }
            out[i] = f
        }
        return out
    }
}

/// Reads and writes `.npy` files. Every error names the file and what is wrong with it.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // "\x93NUMPY"

    /// Reads a `.npy` file of dtype float32/64, int8-64, uint8-64 or bool, in C order.
    public static func read(_ path: String) throws -> NPYArray {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError.invalidInput("cannot read \(path): no such file or not readable",
                                           hint: "check the path; .npy files are written by numpy.save")
        }
        return try decode([UInt8](data), name: path)
    }

    /// Reads a `.npy` file whose values are used as Float32 (`read` then `float32Values`).
    public static func readFloat32(_ path: String) throws -> (shape: [Int], values: [Float]) {
        let array = try read(path)
        return (array.shape, try array.float32Values(source: path))
    }

    /// Decodes `.npy` bytes; `name` is used in error messages. The header is parsed as
    /// strictly as NumPy does, and the data must be exactly as long as the shape and dtype say.
    public static func decode(_ bytes: [UInt8], name: String) throws -> NPYArray {
        func bad(_ what: String) -> PluginError {
            .invalidInput("\(name) is not a valid .npy file: \(what)", hint: "write it with numpy.save(path, array) (C order)")
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw bad("it does not start with the \\x93NUMPY magic") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw bad("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw bad("format version \(major) is not supported (1, 2 and 3 are)")
        }
        guard bytes.count - headerStart >= headerLength else { throw bad("truncated header (\(headerLength) bytes announced)") }
        let header: NPYHeader
        do { header = try NPYHeader.parse(Array(bytes[headerStart..<(headerStart + headerLength)])) } catch let problem as NPYHeader.Problem {
            throw bad(problem.what)
        }
        guard !header.fortranOrder else { throw bad("Fortran order is not supported") }
        guard let (width, decodeOne) = decoder(for: header.descr) else {
            throw bad("dtype \(NPYHeader.Parser.printable(header.descr)) is not supported (float16 and complex are not; use float32, float64, intN, uintN or bool)")
        }
        let shape = header.shape
        guard let count = ShapeCount.elements(shape) else { throw bad("shape \(shape) has more elements than fit in 64 bits") }
        let (needed, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow else { throw bad("shape \(shape) of \(header.descr) needs more bytes than fit in 64 bits") }
        let start = headerStart + headerLength, present = bytes.count - start
        guard present == needed else {
            let what = present < needed ? "the data is truncated" : "the data has trailing bytes"
            throw bad("\(what): shape \(shape) of \(header.descr) needs \(needed) bytes, the file has \(present)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count { values[i] = decodeOne(raw, start + i * width) }
        }
        return NPYArray(shape: shape, values: values, dtype: header.descr)
    }

    /// Writes float32 (`<f4`, the default) or float64 (`<f8`) data as a version 1.0 `.npy`
    /// file, atomically.
    public static func write(_ array: NPYArray, to path: String) throws {
        try AtomicFile.write(Data(encode(array)), to: path)
    }

    /// Encodes an array as `.npy` bytes; dtype `<f8` keeps doubles, anything else writes `<f4`.
    public static func encode(_ array: NPYArray) -> [UInt8] {
        let double = array.dtype == "<f8"
        let shapeText = array.shape.isEmpty ? "()" : array.shape.count == 1 ? "(\(array.shape[0]),)"
            : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(double ? "<f8" : "<f4")', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        out.reserveCapacity(out.count + array.values.count * (double ? 8 : 4))
        for v in array.values {
            if double {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Element width and a reader for a little-endian or byte dtype.
    static func decoder(for descr: String) -> (Int, (UnsafeRawBufferPointer, Int) -> Double)? {
        let order = descr.first
        guard order == "<" || order == "|" || order == "=" else { return nil }
        switch descr.dropFirst() {
        case "f4": return (4, { Double(Float(bitPattern: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self).littleEndian)) })
        case "f8": return (8, { Double(bitPattern: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self).littleEndian) })
        case "i1": return (1, { Double(Int8(bitPattern: $0[$1])) })
        case "u1", "b1": return (1, { Double($0[$1]) })
        case "i2": return (2, { Double(Int16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int16.self))) })
        case "u2": return (2, { Double(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self))) })
        case "i4": return (4, { Double(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int32.self))) })
        case "u4": return (4, { Double(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self))) })
        case "i8": return (8, { Double(Int64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int64.self))) })
        case "u8": return (8, { Double(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self))) })
        default: return nil
        }
    }
}
