import MeshCore

/// A failure the orchestrator reports as one line and an exit status: bad input (2) or
/// a topology that could not start (3).
public struct OrchestratorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The process exit status.
    public let exitCode: Int32
    /// What went wrong, one line (without a `meshbed:` prefix).
    public let message: String

    /// Line breaks become spaces; every other control character in quoted input is escaped
    /// (`DisplayText`), so a name or path cannot split or colour the line.
    public init(exitCode: Int32, _ message: String) {
        self.exitCode = exitCode
        self.message = DisplayText.escaped(String(message.map { $0.isNewline ? " " : $0 }))
    }

    /// Bad input: a file, a flag, a name (exit 2).
    public static func badInput(_ message: String) -> OrchestratorError { OrchestratorError(exitCode: 2, message) }

    /// The topology could not be started (exit 3).
    public static func couldNotStart(_ message: String) -> OrchestratorError { OrchestratorError(exitCode: 3, message) }

    public var description: String { message }
}
