/// A request the control plane refuses: the HTTP status to answer with and a one-line
/// message, sent as `{"error": "message"}`.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status (400, 404, 405, 413, ...).
    public let status: Int
    /// What is wrong, on one line.
    public let message: String

    /// Line breaks in `message` become spaces, so the error always fits one line.
    public init(status: Int, _ message: String) {
        self.status = status
        self.message = String(message.map { $0.isNewline ? " " : $0 })
    }

    /// A 400 Bad Request.
    public static func badRequest(_ message: String) -> ControlError {
        ControlError(status: 400, message)
    }

    public var description: String { "\(status): \(message)" }
}
