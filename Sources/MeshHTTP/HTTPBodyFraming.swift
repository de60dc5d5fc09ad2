/// How a message body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Equatable, Hashable {
    /// No body.
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(UInt64)
    /// The chunked transfer coding.
    case chunked
    /// The body runs until the peer closes the connection (responses only).
    case untilClose
}
