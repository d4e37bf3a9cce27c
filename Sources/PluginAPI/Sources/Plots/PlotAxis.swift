import Foundation

/// One numeric axis: its drawn range, linear or logarithmic scale, and tick values.
struct PlotAxis {
    var lo: Double
    var hi: Double
    var log: Bool
    var ticks: [Double]

    /// The range actually drawn.
    var range: ClosedRange<Double> { lo...hi }

    /// Position of `v` along the axis as a fraction (0 at `lo`, 1 at `hi`); nil when `v`
    /// cannot be drawn (NaN, infinite, or not positive on a log axis).
    func fraction(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        if log {
            guard v > 0 else { return nil }
            return (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
        }
        return (v - lo) / (hi - lo)
    }

    /// An axis over exactly `range` (no rounding); degenerate or invalid ranges are padded.
    static func fixed(_ range: ClosedRange<Double>, log: Bool, target: Int = 6) -> PlotAxis {
        var lo = range.lowerBound, hi = range.upperBound
        if log {
            if !(hi > 0) || !hi.isFinite { hi = 10 }
            if !(lo > 0) || !lo.isFinite || lo >= hi { lo = hi / 1000 }
        } else if !lo.isFinite || !hi.isFinite || hi <= lo {
            (lo, hi) = padded(lo.isFinite ? lo : 0, hi.isFinite ? hi : 0)
        }
        return PlotAxis(lo: lo, hi: hi, log: log, ticks: ticks(lo, hi, log: log, target: target))
    }

    /// An axis spanning the finite `values` (positive ones only when `log`) plus `pad` times
    /// their span on each side (in decades for log), with the nice tick values inside it:
    /// data from 1 to 200 gives an axis from 1 to 200, not one rounded out to 0...250.
    /// `includeZero` widens the range to 0 and never pads across that end. `fixed`, when
    /// given, is used as it is instead.
    static func automatic(_ values: [Double], log: Bool, fixed range: ClosedRange<Double>? = nil,
                          includeZero: Bool = false, pad: Double = 0, target: Int = 6) -> PlotAxis {
        if let range { return fixed(range, log: log, target: target) }
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite && (!log || v > 0) {
            lo = min(lo, v); hi = max(hi, v)
        }
        if lo > hi { return fixed(log ? 1...10 : 0...1, log: log, target: target) }
        if log {
            var a = log10(lo), b = log10(hi)
            if b - a < 1e-9 { a -= 0.5; b += 0.5 }   // one value: the decade around it
            let p = (b - a) * pad
            return fixed(pow(10, a - p)...pow(10, b + p), log: true, target: target)
        }
        if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
        if hi <= lo { (lo, hi) = padded(lo, hi) }
        let p = (hi - lo) * pad
        let nlo = includeZero && lo == 0 ? 0 : lo - p
        let nhi = includeZero && hi == 0 ? 0 : hi + p
        return fixed(nlo...nhi, log: false, target: target)
    }

    /// The pad a plot adds to a value axis so that curves and markers at the extremes do not
    /// sit on the frame: 3% of the data's span at each end.
    static let valuePad = 0.03

    /// A non-empty range around a single value `v` (or the pair lo, hi when they coincide).
    static func padded(_ lo: Double, _ hi: Double) -> (Double, Double) {
        let v = (lo + hi) / 2
        let pad = v == 0 ? 1 : abs(v) * 0.1
        return (v - pad, v + pad)
    }

    static func ticks(_ lo: Double, _ hi: Double, log: Bool, target: Int) -> [Double] {
        guard log else { return Ticks.linear(lo...hi, target: target) }
        let t = Ticks.log(lo...hi)
        if t.count > 3 { return t }
        // Two decades or less: add 2x and 5x so the axis is not bare.
        let decade = pow(10, floor(log10(lo) - 1e-9))
        var dense: [Double] = []
        for k in 0...3 {
            for m: Double in [1, 2, 5] {
                let v = m * decade * pow(10, Double(k))
                if v >= lo * (1 - 1e-9), v <= hi * (1 + 1e-9) { dense.append(v) }
            }
        }
        return dense.count >= 2 ? dense : Ticks.linear(lo...hi, target: 4).filter { $0 > 0 }
    }
}
