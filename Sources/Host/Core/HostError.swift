/// An error the host reports as one line plus a hint, with the exit code to use.
public struct HostError: Error, Equatable {
    public var message: String
    public var hint: String
    public var exitCode: Int32

    public init(_ message: String, hint: String, exitCode: Int32 = ExitCode.usage) {
        self.message = message
        self.hint = hint
        self.exitCode = exitCode
    }
}

/// The host's exit codes.
public enum ExitCode {
    public static let success: Int32 = 0
    /// The run started but failed (an error in training, divergence).
    public static let failure: Int32 = 1
    /// Bad command line, bad input, or a plugin that cannot be loaded: nothing was run.
    public static let usage: Int32 = 2
    /// Stopped by Ctrl-C; the run folder holds what was done, marked interrupted.
    public static let interrupted: Int32 = 130
}
