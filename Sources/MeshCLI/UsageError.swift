import MeshCore

/// A mistake in how meshbed was invoked (unknown flag, bad or missing value), reported as
/// one line, `meshbed: <message>`, on standard error, with exit status `exitCode` (2).
///
/// `description` is that whole line, so the CLI prints `"\(error)"` as is.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The process exit status for usage errors.
    public static let exitCode: Int32 = 2

    /// What went wrong, without the `meshbed: ` prefix; always a single line.
    public let message: String
    /// Set when the arguments asked for help (`--help` or `-h`) instead: the flags the
    /// command's parser asked about, in order. The CLI prints the command's help and exits 0.
    public let helpFlags: [String]?

    /// Creates a usage error; control characters in `message` (which may quote a flag's
    /// value) are escaped (`DisplayText`), so it is one line of plain text.
    public init(_ message: String) {
        self.message = DisplayText.escaped(message)
        helpFlags = nil
    }

    /// A request for `command`'s help; `flags` are the flags its parser accepts.
    public static func helpRequested(command: String, flags: [String]) -> UsageError {
        UsageError(message: "help for 'meshbed \(command)' requested", helpFlags: flags)
    }

    private init(message: String, helpFlags: [String]) {
        self.message = message
        self.helpFlags = helpFlags
    }

    /// The line the CLI shows: `meshbed: <message>`.
    public var description: String { "meshbed: \(message)" }
}
