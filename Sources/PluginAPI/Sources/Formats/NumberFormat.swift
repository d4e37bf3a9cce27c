import Foundation

/// "value (expected e)", for results printed beside what theory predicts.
public func formatNumber(_ value: Double, expected: Double) -> String {
    "\(formatNumber(value)) (expected \(formatNumber(expected)))"
}

/// Formats a number compactly for people: integers without ".0", others with up to 6
/// significant digits, very large or small ones in exponent form.
public func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    let magnitude = abs(v)
    if magnitude >= 1e-4 && magnitude < 1e6 {
        var s = String(format: "%.6g", v)
        if s.contains("e") { return s }
        while s.contains(".") && (s.hasSuffix("0")) { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
    return String(format: "%.4e", v)
}
