/// A snapshot value a sidecar cannot use (a malformed duration, a count out of range): the
/// one-line reason, which the sidecar sends back in its `Ack`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the field: `policy: retries: perTryTimeout: expected a duration like 250ms, got 'soon'`.
    public let message: String

    public init(_ message: String) {
        self.message = String(message.map { $0.isNewline ? " " : $0 })
    }

    public var description: String { message }
}
