import Foundation

/// A colour with its alpha (0...1).
typealias Paint = (color: RGB, alpha: Double)

/// Parsers for SVG attribute values: numbers and lengths, number lists, colours, transforms
/// and path data. Each accepts what it can and ignores the rest; none of them fails.
enum SVGValues {
    /// The numbers in `s` (separated by spaces and/or commas; "1.5.5" is 1.5 and .5, "1-2" is
    /// 1 and -2). Reading stops at the first character that cannot start a number; non-finite
    /// values end the list too.
    static func numbers(_ s: String) -> [Double] {
        var scanner = NumberScanner(s)
        var out: [Double] = []
        while let v = scanner.next() { out.append(v) }
        return out
    }

    /// A single length such as "12", "12.5px" or "1e2" (units other than px are read as px).
    static func length(_ s: String?) -> Double? {
        guard let s else { return nil }
        var scanner = NumberScanner(s)
        return scanner.next()
    }

    /// Named colours: the CSS basic set and a few common extended names.
    static let named: [String: UInt32] = [
        "black": 0x000000, "white": 0xffffff, "red": 0xff0000, "green": 0x008000, "blue": 0x0000ff,
        "yellow": 0xffff00, "cyan": 0x00ffff, "aqua": 0x00ffff, "magenta": 0xff00ff, "fuchsia": 0xff00ff,
        "gray": 0x808080, "grey": 0x808080, "silver": 0xc0c0c0, "maroon": 0x800000, "olive": 0x808000,
        "lime": 0x00ff00, "teal": 0x008080, "navy": 0x000080, "purple": 0x800080, "orange": 0xffa500,
        "brown": 0xa52a2a, "pink": 0xffc0cb, "gold": 0xffd700, "darkgray": 0xa9a9a9, "darkgrey": 0xa9a9a9,
        "lightgray": 0xd3d3d3, "lightgrey": 0xd3d3d3, "dimgray": 0x696969, "dimgrey": 0x696969,
        "whitesmoke": 0xf5f5f5, "gainsboro": 0xdcdcdc, "steelblue": 0x4682b4, "darkblue": 0x00008b,
        "darkred": 0x8b0000, "darkgreen": 0x006400, "darkorange": 0xff8c00, "crimson": 0xdc143c,
        "tomato": 0xff6347, "royalblue": 0x4169e1, "skyblue": 0x87ceeb, "lightblue": 0xadd8e6,
        "indigo": 0x4b0082, "violet": 0xee82ee, "salmon": 0xfa8072, "coral": 0xff7f50, "tan": 0xd2b48c,
    ]

    /// A paint: nil when `s` is not understood; `.some(nil)` for "none" / "transparent";
    /// otherwise the colour and its alpha (rgba() and #rrggbbaa carry one).
    static func paint(_ s: String, currentColor: RGB) -> Paint?? {
        let v = s.trimmingCharacters(in: .whitespaces).lowercased()
        if v == "none" || v == "transparent" { return .some(nil) }
        if v == "currentcolor" { return (currentColor, 1) }
        if v.hasPrefix("#") {
            let hex = Array(v.dropFirst())
            guard hex.allSatisfy(\.isHexDigit), let value = UInt32(String(hex), radix: 16) else { return nil }
            switch hex.count {
            case 3, 4:
                let digit = { (k: Int) in Double((value >> (4 * UInt32(hex.count - 1 - k))) & 0xf) * 17 }
                return (RGB(r: digit(0), g: digit(1), b: digit(2)), hex.count == 4 ? digit(3) / 255 : 1)
            case 6: return (rgb(value), 1)
            case 8: return (rgb(value >> 8), Double(value & 0xff) / 255)
            default: return nil
            }
        }
        if v.hasPrefix("rgb"), let open = v.firstIndex(of: "("), let close = v.lastIndex(of: ")"), open < close {
            let parts = v[v.index(after: open)..<close].split(whereSeparator: { $0 == "," || $0 == " " || $0 == "/" })
            var channels: [Double] = []
            for (k, p) in parts.enumerated() {
                let percent = p.hasSuffix("%")
                guard let x = Double(percent ? String(p.dropLast()) : String(p)), x.isFinite else { return nil }
                if k < 3 { channels.append(min(255, max(0, percent ? x * 2.55 : x))) }
                else { channels.append(min(1, max(0, percent ? x / 100 : x))) }
            }
            guard channels.count >= 3 else { return nil }
            return (RGB(r: channels[0], g: channels[1], b: channels[2]), channels.count > 3 ? channels[3] : 1)
        }
        if let value = named[v] { return (rgb(value), 1) }
        return nil
    }

    static func rgb(_ v: UInt32) -> RGB {
        RGB(r: Double((v >> 16) & 255), g: Double((v >> 8) & 255), b: Double(v & 255))
    }

    /// The transform list of a `transform` attribute: matrix, translate, scale, rotate (with
    /// an optional centre), skewX, skewY. An unreadable part ends the list.
    static func transform(_ s: String) -> Affine {
        var result = Affine.identity
        var rest = Substring(s)
        while let open = rest.firstIndex(of: "("), let close = rest[open...].firstIndex(of: ")") {
            let name = rest[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " ,\t\n\r"))
            let v = numbers(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
            let t: Affine
            switch (name, v.count) {
            case ("matrix", 6): t = Affine(a: v[0], b: v[1], c: v[2], d: v[3], e: v[4], f: v[5])
            case ("translate", 1): t = .translate(v[0], 0)
            case ("translate", 2): t = .translate(v[0], v[1])
            case ("scale", 1): t = .scale(v[0], v[0])
            case ("scale", 2): t = .scale(v[0], v[1])
            case ("rotate", 1): t = .rotate(v[0])
            case ("rotate", 3):
                t = Affine.translate(v[1], v[2]).concatenating(.rotate(v[0])).concatenating(.translate(-v[1], -v[2]))
            case ("skewX", 1): t = Affine(c: tan(v[0] * Double.pi / 180))
            case ("skewY", 1): t = Affine(b: tan(v[0] * Double.pi / 180))
            default: return result
            }
            result = result.concatenating(t)
        }
        return result
    }

    /// Path data as polylines (curves flattened within `tolerance`). Commands: M L H V Z C S
    /// Q T (absolute and relative); an arc (A) is drawn as a straight line to its end point.
    /// Reading stops at the first error, keeping what came before (as SVG renderers do).
    static func path(_ d: String, tolerance: Double) -> [Subpath] {
        var scanner = NumberScanner(d)
        var out: [Subpath] = []
        var current: [Vec2] = []
        var pen = Vec2(x: 0, y: 0), start = pen
        var lastControl: Vec2? = nil      // for S / T reflection
        var lastWasCubic = false, lastWasQuad = false
        var command: UInt8 = 0
        func flush(closed: Bool) {
            if current.count >= 2 || (current.count == 1 && closed) { out.append(Subpath(points: current, closed: closed)) }
            current = []
        }
        while true {
            if let c = scanner.command() {
                command = c
                if c == 90 || c == 122 {   // Z z
                    if !current.isEmpty { flush(closed: true) }
                    pen = start
                    lastWasCubic = false; lastWasQuad = false
                    continue
                }
            } else if scanner.atEnd || command == 0 || command == 90 || command == 122 {
                break
            }
            let relative = command >= 97
            let base = relative ? pen : Vec2(x: 0, y: 0)
            func point() -> Vec2? {
                guard let x = scanner.next(), let y = scanner.next() else { return nil }
                return Vec2(x: base.x + x, y: base.y + y)
            }
            var cubic = false, quad = false
            switch command | 0x20 {   // lower-case
            case 109:   // m
                guard let p = point() else { flush(closed: false); return out }
                if !current.isEmpty { flush(closed: false) }
                pen = p; start = p; current = [p]
                command = relative ? 108 : 76   // further pairs are line-tos
            case 108:   // l
                guard let p = point() else { flush(closed: false); return out }
                if current.isEmpty { current = [pen] }
                pen = p; current.append(p)
            case 104, 118:   // h v
                guard let v = scanner.next() else { flush(closed: false); return out }
                if current.isEmpty { current = [pen] }
                if command | 0x20 == 104 { pen.x = (relative ? pen.x : 0) + v } else { pen.y = (relative ? pen.y : 0) + v }
                current.append(pen)
            case 99, 115:   // c s
                var c1: Vec2
                if command | 0x20 == 99 {
                    guard let p = point() else { flush(closed: false); return out }
                    c1 = p
                } else {
                    c1 = lastWasCubic ? pen * 2 - (lastControl ?? pen) : pen
                }
                guard let c2 = point(), let end = point() else { flush(closed: false); return out }
                if current.isEmpty { current = [pen] }
                current += Curves.cubic(pen, c1, c2, end, tolerance: tolerance)
                lastControl = c2; pen = end; cubic = true
            case 113, 116:   // q t
                var c1: Vec2
                if command | 0x20 == 113 {
                    guard let p = point() else { flush(closed: false); return out }
                    c1 = p
                } else {
                    c1 = lastWasQuad ? pen * 2 - (lastControl ?? pen) : pen
                }
                guard let end = point() else { flush(closed: false); return out }
                if current.isEmpty { current = [pen] }
                current += Curves.quadratic(pen, c1, end, tolerance: tolerance)
                lastControl = c1; pen = end; quad = true
            case 97:   // a: rx ry rotation large-arc sweep x y
                guard scanner.next() != nil, scanner.next() != nil, scanner.next() != nil,
                      scanner.next() != nil, scanner.next() != nil, let end = point() else { flush(closed: false); return out }
                if current.isEmpty { current = [pen] }
                pen = end; current.append(end)
            default:
                flush(closed: false); return out
            }
            lastWasCubic = cubic; lastWasQuad = quad
        }
        flush(closed: false)
        return out
    }

    /// The points of a `points` attribute (polyline, polygon); an odd last number is dropped.
    static func points(_ s: String) -> [Vec2] {
        let v = numbers(s)
        return stride(from: 0, to: v.count - 1, by: 2).map { Vec2(x: v[$0], y: v[$0 + 1]) }
    }

    /// Declarations of a `style` attribute ("fill:#fff; stroke-width:2").
    static func style(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for decl in s.split(separator: ";") {
            let kv = decl.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { continue }
            out[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}

/// Reads numbers and path command letters from an attribute value.
struct NumberScanner {
    private let b: [UInt8]
    private var i = 0

    init(_ s: String) { b = Array(s.utf8) }

    var atEnd: Bool {
        var j = i
        while j < b.count, Self.isSeparator(b[j]) { j += 1 }
        return j >= b.count
    }

    static func isSeparator(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 || c == 44 }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// The next path command letter, if one comes next (after separators).
    mutating func command() -> UInt8? {
        while i < b.count, Self.isSeparator(b[i]) { i += 1 }
        guard i < b.count else { return nil }
        let c = b[i] | 0x20
        // Letters of the path grammar; "e" is excluded (it belongs to numbers).
        guard [109, 108, 104, 118, 99, 115, 113, 116, 97, 122].contains(c), b[i] >= 65 else { return nil }
        i += 1
        return b[i - 1]
    }

    /// The next number, or nil (the position is then unchanged) when none comes next or it is
    /// not finite.
    mutating func next() -> Double? {
        var j = i
        while j < b.count, Self.isSeparator(b[j]) { j += 1 }
        let start = j
        if j < b.count, b[j] == 43 || b[j] == 45 { j += 1 }   // + -
        var digits = 0
        while j < b.count, Self.isDigit(b[j]) { j += 1; digits += 1 }
        if j < b.count, b[j] == 46 {   // .
            j += 1
            while j < b.count, Self.isDigit(b[j]) { j += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if j < b.count, b[j] == 101 || b[j] == 69 {   // e E
            var k = j + 1
            if k < b.count, b[k] == 43 || b[k] == 45 { k += 1 }
            if k < b.count, Self.isDigit(b[k]) {
                while k < b.count, Self.isDigit(b[k]) { k += 1 }
                j = k
            }
        }
        guard let v = Double(String(decoding: b[start..<j], as: UTF8.self)), v.isFinite else { return nil }
        i = j
        // Skip a unit suffix such as "px" (letters other than path commands are not expected).
        while i < b.count, b[i] == 112 || b[i] == 120 || b[i] == 37 { i += 1 }   // p x %
        return v
    }
}
