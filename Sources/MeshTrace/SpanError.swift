/// A span that does not decode or is not valid: one line naming the field by its path
/// (`spans[2].traceId: expected 32 lowercase hex digits, got 'XYZ'`).
public struct SpanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, on one line.
    public let message: String

    /// Line breaks in `message` become spaces.
    public init(_ message: String) {
        self.message = String(message.map { $0.isNewline ? " " : $0 })
    }

    public var description: String { message }
}
