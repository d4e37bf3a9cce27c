/// The header of a `.npy` file, parsed as strictly as NumPy's `read_array_header`: a Python
/// dict literal with exactly the keys `descr` (a string), `fortran_order` (`True` or `False`)
/// and `shape` (a tuple of non-negative ints), followed only by padding white space.
struct NPYHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// What is wrong with a header, in words for an error message.
    struct Problem: Error { var what: String }

    /// Parses `text` (the header after the length field).
    static func parse(_ text: [UInt8]) throws -> NPYHeader {
        var p = Parser(bytes: text)
        p.skipSpace()
        try p.expect(UInt8(ascii: "{"), "the header is not a dict (it does not start with '{')")
        var descr: String?, fortran: Bool?, shape: [Int]?
        var seen: Set<String> = []
        while true {
            p.skipSpace()
            if p.peek == UInt8(ascii: "}") { p.at += 1; break }
            let key = try p.string()
            guard seen.insert(key).inserted else { throw Problem(what: "the header repeats the key '\(key)'") }
            p.skipSpace()
            try p.expect(UInt8(ascii: ":"), "no ':' after the key '\(key)'")
            p.skipSpace()
            switch key {
            case "descr": descr = try p.string()
            case "fortran_order": fortran = try p.boolean()
            case "shape": shape = try p.tuple()
            default: throw Problem(what: "the header has the unknown key '\(Parser.printable(key))' (only descr, fortran_order and shape are allowed)")
            }
            p.skipSpace()
            if p.peek == UInt8(ascii: ",") { p.at += 1; continue }
            try p.expect(UInt8(ascii: "}"), "expected ',' or '}' after the value of '\(key)'")
            break
        }
        p.skipSpace()
        guard p.at == p.bytes.count else { throw Problem(what: "unexpected text after the header dict") }
        guard let descr else { throw Problem(what: "the header has no 'descr'") }
        guard let fortran else { throw Problem(what: "the header has no 'fortran_order'") }
        guard let shape else { throw Problem(what: "the header has no 'shape'") }
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// A cursor over the header bytes.
    struct Parser {
        let bytes: [UInt8]
        var at = 0

        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func skipSpace() {
            while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { at += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws {
            guard peek == byte else { throw Problem(what: what) }
            at += 1
        }

        /// A quoted string without escapes (NumPy writes none in these fields).
        mutating func string() throws -> String {
            guard let q = peek, q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") else { throw Problem(what: "expected a quoted string") }
            at += 1
            let start = at
            while let b = peek, b != q {
                guard b != UInt8(ascii: "\\"), b >= 0x20, b < 0x7F else { throw Problem(what: "a string in the header holds an escape or a non-ASCII character") }
                at += 1
            }
            guard peek == q else { throw Problem(what: "a string in the header is not closed") }
            at += 1
            return String(decoding: bytes[start..<(at - 1)], as: UTF8.self)
        }

        mutating func boolean() throws -> Bool {
            for (word, value) in [("True", true), ("False", false)] {
                let w = Array(word.utf8)
                if at + w.count <= bytes.count, Array(bytes[at..<(at + w.count)]) == w {
                    at += w.count
                    return value
                }
            }
            throw Problem(what: "'fortran_order' must be True or False")
        }

        /// A tuple of non-negative ints: `()`, `(n,)`, `(n, m)`, `(n, m,)`.
        mutating func tuple() throws -> [Int] {
            try expect(UInt8(ascii: "("), "'shape' must be a tuple such as (3, 4)")
            var shape: [Int] = []
            while true {
                skipSpace()
                if peek == UInt8(ascii: ")") { at += 1; break }
                shape.append(try integer())
                skipSpace()
                if peek == UInt8(ascii: ",") { at += 1; continue }
                try expect(UInt8(ascii: ")"), "'shape' must be a tuple of non-negative integers")
                guard shape.count != 1 else { throw Problem(what: "'shape' (\(shape[0])) is not a tuple: a one-element tuple needs a trailing comma") }
                break
            }
            guard shape.count <= 32 else { throw Problem(what: "'shape' has \(shape.count) dimensions, NumPy allows at most 32") }
            return shape
        }

        /// A non-negative decimal integer (an `L` suffix, as Python 2 wrote, is allowed).
        mutating func integer() throws -> Int {
            var value = 0, digits = 0
            while let b = peek, b >= 0x30, b <= 0x39 {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int(b - 0x30))
                guard !o1, !o2 else { throw Problem(what: "a dimension in 'shape' does not fit in 64 bits") }
                value = sum; digits += 1; at += 1
            }
            guard digits > 0 else { throw Problem(what: "'shape' must be a tuple of non-negative integers") }
            if peek == UInt8(ascii: "L") { at += 1 }
            return value
        }

        /// `text` with anything unprintable replaced, short enough for one line.
        static func printable(_ text: String) -> String {
            String(text.unicodeScalars.prefix(40).map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
        }
    }
}
