import Foundation
import PluginAPI

/// Shows progress on stderr: a live, redrawn line when stderr is a terminal (phase, count,
/// rate, time left, current values), cut to the terminal's width so it never wraps (a wrapped
/// line cannot be redrawn and leaves stale copies), and a plain line every few seconds otherwise.
public final class TerminalProgress: ProgressReporter, @unchecked Sendable {
    private let live: Bool
    private let plainInterval: Double
    private let lock = NSLock()
    private var phase = "", unit = "", total = 0
    private var started = 0.0, lastDraw = 0.0
    private var drewLive = false
    private let columns: () -> Int

    /// Whether this process's stderr is a terminal that can redraw a line: a terminal whose
    /// `TERM` is not `dumb` (Emacs shells, some CI logs), or a worker whose supervisor found one
    /// (`HOST_PROGRESS_LIVE`).
    public static func drawsLive(environment: [String: String] = ProcessInfo.processInfo.environment, stderrIsTerminal: Bool = isatty(2) != 0) -> Bool {
        if let live = environment["HOST_PROGRESS_LIVE"] { return live == "1" }
        return stderrIsTerminal && environment["TERM"] != "dumb"
    }

    /// `live` redraws one line; otherwise a line is printed every `plainInterval` seconds
    /// (`drawsLive()` decides by default).
    public init(live: Bool = TerminalProgress.drawsLive(), plainInterval: Double = 5,
                columns: @escaping () -> Int = TerminalProgress.terminalColumns) {
        self.live = live
        self.plainInterval = plainInterval
        self.columns = columns
    }

    /// The width of the terminal on stderr, asked at each redraw (so a resize is followed); in a
    /// worker, whose stderr is a pipe, the width its supervisor saw (`HOST_TERMINAL_COLUMNS`);
    /// else `COLUMNS`, else 80.
    public static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        let environment = ProcessInfo.processInfo.environment
        for key in ["HOST_TERMINAL_COLUMNS", "COLUMNS"] {
            if let text = environment[key], let n = Int(text), n > 0 { return n }
        }
        return 80
    }

    /// `line` cut to fit in `columns` without wrapping: one column is left free (a line that
    /// fills the last column makes some terminals wrap), and a cut line ends in "…".
    public static func fit(_ line: String, columns: Int) -> String {
        let width = max(columns - 1, 8)
        guard line.count > width else { return line }
        return String(line.prefix(width - 1)) + "…"
    }

    public func begin(_ phase: String, total: Int, unit: String) {
        lock.lock(); defer { lock.unlock() }
        self.phase = phase; self.total = total; self.unit = unit
        started = now(); lastDraw = started
    }

    public func update(completed: Int, values: [(String, Double)]) {
        lock.lock(); defer { lock.unlock() }
        let t = now()
        let due = live ? t - lastDraw >= 0.1 : t - lastDraw >= plainInterval
        guard due || completed == total else { return }
        lastDraw = t
        let line = describe(completed: completed, values: values, elapsed: t - started)
        if live {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + Self.fit(line, columns: columns())).utf8))
            drewLive = true
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    public func end() {
        lock.lock(); defer { lock.unlock() }
        if live && drewLive { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drewLive = false
    }

    func describe(completed: Int, values: [(String, Double)], elapsed: Double) -> String {
        var parts = ["\(phase): \(grouped(completed))/\(grouped(total)) \(unit)"]
        if total > 0 { parts[0] += " (\(Int(100 * Double(completed) / Double(total)))%)" }
        if elapsed > 0, completed > 0 {
            let rate = Double(completed) / elapsed
            parts.append("\(formatNumber((rate * 10).rounded() / 10)) \(unit)/s")
            if completed < total { parts.append(clock((Double(total - completed)) / rate) + " left") }
        }
        for (key, value) in values { parts.append("\(key) \(formatNumber(value))") }
        return parts.joined(separator: "  ")
    }

    private func now() -> Double { Date().timeIntervalSince1970 }
}

/// 1234567 -> "1,234,567".
func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (k, c) in digits.enumerated() {
        if k > 0, (digits.count - k) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// Seconds as m:ss or h:mm:ss.
func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
