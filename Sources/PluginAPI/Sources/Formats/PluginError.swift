/// An error a plugin raises, with a one-line message and a hint on how to fix it.
///
/// The kind decides what the host does with the run folder: bad input leaves nothing behind
/// (the folder is removed); a failure or divergence keeps what was written, marked failed.
public struct PluginError: Error, CustomStringConvertible, Sendable {
    /// What kind of error it is; the raw value is the `kind` of `summary.json`'s `error`.
    public enum Kind: String, Sendable {
        /// The user's input (a file, an option combination) is wrong.
        case invalidInput = "invalid input"
        /// Training produced NaN or infinity.
        case diverged
        /// Anything else that stopped the run.
        case failure
    }

    /// What the host does with the run folder (see the type).
    public var kind: Kind
    /// One line on what went wrong, naming the file, option or value.
    public var message: String
    /// One line on how to fix it, shown after the message.
    public var hint: String

    /// An error of any kind; `invalidInput`, `diverged` and `failure` are shorter.
    public init(kind: Kind, message: String, hint: String) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    /// Bad user input: a malformed file, a wrong shape, an impossible combination of options.
    public static func invalidInput(_ message: String, hint: String) -> PluginError {
        PluginError(kind: .invalidInput, message: message, hint: hint)
    }

    /// Training diverged (NaN or infinite loss).
    public static func diverged(_ message: String, hint: String) -> PluginError {
        PluginError(kind: .diverged, message: message, hint: hint)
    }

    /// Any other failure.
    public static func failure(_ message: String, hint: String) -> PluginError {
        PluginError(kind: .failure, message: message, hint: hint)
    }

    /// The message, without the hint.
    public var description: String { message }
}
