import Foundation
import HostKit
import XCTest

/// The live progress line never wraps: cut to the terminal's width (a wrapped line cannot be
/// redrawn in place, and a 60-column terminal kept 31 stale copies of one).
final class TerminalProgressTests: XCTestCase {
    func testALongLineIsCutToTheWidthAndAShortOneIsLeft() {
        let line = "train d=30: 12,400/50,000 steps (24%)  16,412.3 steps/s  0:02 left  loss 0.998123  running_mean_loss 1.00021"
        for columns in [40, 60, 80] {
            let cut = TerminalProgress.fit(line, columns: columns)
            XCTAssertEqual(cut.count, columns - 1, "one column left free at \(columns)")
            XCTAssertTrue(cut.hasSuffix("…") && line.hasPrefix(String(cut.dropLast())), cut)
        }
        XCTAssertEqual(TerminalProgress.fit("epoch 1/3: 5/10 batches", columns: 80), "epoch 1/3: 5/10 batches")
        XCTAssertEqual(TerminalProgress.fit(line, columns: 3).count, 8, "a silly width still shows the phase's start")
    }

    /// One redrawn line only on a terminal that can redraw it: plain lines when stderr is not a
    /// terminal or TERM is dumb; a worker follows what its supervisor decided.
    func testLiveLinesOnlyOnATerminalThatIsNotDumb() {
        XCTAssertTrue(TerminalProgress.drawsLive(environment: ["TERM": "xterm-256color"], stderrIsTerminal: true))
        XCTAssertFalse(TerminalProgress.drawsLive(environment: ["TERM": "dumb"], stderrIsTerminal: true))
        XCTAssertFalse(TerminalProgress.drawsLive(environment: ["TERM": "xterm"], stderrIsTerminal: false))
        XCTAssertTrue(TerminalProgress.drawsLive(environment: ["HOST_PROGRESS_LIVE": "1", "TERM": "dumb"], stderrIsTerminal: false))
        XCTAssertFalse(TerminalProgress.drawsLive(environment: ["HOST_PROGRESS_LIVE": "0", "TERM": "xterm"], stderrIsTerminal: true))
    }

    func testTheWorkerUsesTheWidthItsSupervisorSaw() throws {
        // Without a terminal on stderr the width comes from HOST_TERMINAL_COLUMNS, which the
        // supervisor sets for its worker from its own terminal.
        let environment = ProcessInfo.processInfo.environment
        guard isatty(2) == 0 else { throw XCTSkip("stderr is a terminal here; the width comes from it") }
        setenv("HOST_TERMINAL_COLUMNS", "57", 1)
        defer { if let old = environment["HOST_TERMINAL_COLUMNS"] { setenv("HOST_TERMINAL_COLUMNS", old, 1) } else { unsetenv("HOST_TERMINAL_COLUMNS") } }
        XCTAssertEqual(TerminalProgress.terminalColumns(), 57)
    }
}
