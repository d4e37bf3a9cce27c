import Foundation

/// "Nice" axis ticks and their labels, shared by every plot type.
public enum Ticks {
    /// The 1-2-5 step (1, 2, 5 times a power of ten) giving at most about `target` intervals over `span`.
    public static func niceStep(span: Double, target: Int = 6) -> Double {
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(1, target))
        let mag = pow(10, floor(log10(raw)))
        let f = raw / mag
        let nice: Double = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
        return nice * mag
    }

    /// Tick values on a 1-2-5 step lying inside `range` (ends included), about `target` of them.
    /// Values are snapped to the step's decimals, so 3 × 0.1 comes out as 0.3.
    public static func linear(_ range: ClosedRange<Double>, target: Int = 6) -> [Double] {
        let lo = range.lowerBound, hi = range.upperBound
        guard lo.isFinite, hi.isFinite else { return [] }
        if hi <= lo { return [lo] }
        let step = niceStep(span: hi - lo, target: target)
        let eps = step * 1e-9
        let first = (lo / step - 1e-9).rounded(.up)
        let last = (hi / step + 1e-9).rounded(.down)
        guard last >= first, last - first < 1000 else { return [] }
        let decimals = max(0, -Int(floor(log10(step))))
        let scale = pow(10, Double(min(decimals, 15)))
        var out: [Double] = []
        var i = first
        while i <= last {
            var v = i * step
            if decimals > 0 { v = (v * scale).rounded() / scale }
            if abs(v) < eps { v = 0 }
            out.append(v)
            i += 1
        }
        return out
    }

    /// Powers of ten inside `range` (which must be positive; a non-positive lower end is
    /// treated as a tiny positive number). With many decades, every k-th power is kept
    /// so at most about 10 ticks remain.
    public static func log(_ range: ClosedRange<Double>) -> [Double] {
        let hi = range.upperBound
        guard hi.isFinite, hi > 0 else { return [] }
        let lo = range.lowerBound > 0 ? range.lowerBound : hi * 1e-12
        let a = Int((log10(lo) - 1e-9).rounded(.up)), b = Int((log10(hi) + 1e-9).rounded(.down))
        guard b >= a else { return [] }
        let every = max(1, (b - a + 9) / 10)
        return stride(from: a, through: b, by: 1).filter { ($0 - a) % every == 0 }.map { pow(10, Double($0)) }
    }

    /// A short readable label: 0, 0.5, 1.5, 1000, 1e-05, 2.5e+06 (never "0.30000000000000004").
    public static func label(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "?" : (v > 0 ? "∞" : "-∞") }
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e-4, a < 1e6 {
            var s = String(format: "%.6g", v)
            if s.contains("e") { s = String(format: "%.6f", v) }   // defensive; %g only uses e outside this band
            if s.contains(".") {
                while s.hasSuffix("0") { s.removeLast() }
                if s.hasSuffix(".") { s.removeLast() }
            }
            return s == "-0" ? "0" : s
        }
        return String(format: "%.4g", v)
    }
}
