import Foundation

/// Colour scales used by the plots, returned as "#rrggbb" strings.
public enum ColorMap {
    /// RdBu-like diverging stops from blue (-1) through near-white (0) to red (+1).
    static let divergingStops: [(Double, Double, Double)] = [
        (33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240), (247, 247, 247),
        (253, 219, 199), (244, 165, 130), (214, 96, 77), (178, 24, 43),
    ]

    /// Sequential stops from white to dark blue (used for heatmap cells).
    static let sequentialStops: [(Double, Double, Double)] = [
        (247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107),
    ]

    /// Ten distinct categorical colours (matplotlib tab10).
    static let tab10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// Maps `t` in [-1, 1] to blue .. white .. red (clamped; NaN gives the white centre).
    public static func diverging(_ t: Double) -> String {
        let u = t.isNaN ? 0.5 : (min(1, max(-1, t)) + 1) / 2
        return interpolate(divergingStops, u)
    }

    /// Maps `t` in [0, 1] to white .. dark blue (clamped; NaN gives white).
    public static func sequential(_ t: Double) -> String {
        interpolate(sequentialStops, t.isNaN ? 0 : min(1, max(0, t)))
    }

    /// The `i`-th of 10 distinct categorical colours (tab10-like), cycling for larger `i`.
    public static func category(_ i: Int) -> String {
        tab10[((i % tab10.count) + tab10.count) % tab10.count]
    }

    /// Relative luminance (0 dark ... 1 light) of a "#rrggbb" colour, to choose readable text colours.
    static func luminance(_ hex: String) -> Double {
        let v = Int(hex.dropFirst(), radix: 16) ?? 0xffffff
        let r = Double((v >> 16) & 255), g = Double((v >> 8) & 255), b = Double(v & 255)
        return (0.299 * r + 0.587 * g + 0.114 * b) / 255
    }

    static func interpolate(_ stops: [(Double, Double, Double)], _ u: Double) -> String {
        let pos = u * Double(stops.count - 1)
        let i = min(stops.count - 2, max(0, Int(pos)))
        let f = pos - Double(i)
        let a = stops[i], b = stops[i + 1]
        func ch(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", ch(a.0, b.0), ch(a.1, b.1), ch(a.2, b.2))
    }
}
