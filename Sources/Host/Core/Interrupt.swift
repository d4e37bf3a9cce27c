import Foundation

/// Ctrl-C handling: the first SIGINT (or SIGTERM, SIGHUP) asks the run to stop at its next
/// step; a second one exits at once.
public enum Interrupt {
    private nonisolated(unsafe) static var count: sig_atomic_t = 0

    /// True once SIGINT was received.
    public static var requested: Bool { count > 0 }

    /// Installs the handler, for SIGINT and for SIGTERM and SIGHUP alike (a worker process gets
    /// those from its supervisor, or SIGTERM when the supervisor dies).
    public static func install() {
        for s in [SIGINT, SIGTERM, SIGHUP] { signal(s, handler) }
    }

    private static let handler: @convention(c) (Int32) -> Void = { _ in
        Interrupt.count += 1
        if Interrupt.count >= 2 { _exit(ExitCode.interrupted) }
        let note: StaticString = "\nhost: stopping after the current step (Ctrl-C again to quit at once)\n"
        _ = write(2, note.utf8Start, note.utf8CodeUnitCount)
    }

    /// For tests: forget an earlier interrupt.
    public static func reset() { count = 0 }
}
