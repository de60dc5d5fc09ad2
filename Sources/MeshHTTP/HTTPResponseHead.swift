/// A parsed response head. `reason` is a view of the head bytes that `headers` holds.
public struct HTTPResponseHead: Sendable {
    /// The status code, 100...599.
    public var status: Int
    /// HTTP/1.0 or HTTP/1.1.
    public var version: HTTPVersion
    /// Whether the connection can carry another exchange after this response (RFC 9112 §9.3);
    /// false for `.untilClose` bodies and 101 Switching Protocols.
    public var keepAlive: Bool
    /// How the body is delimited, after RFC 9112 §6.3 (HEAD, 1xx, 204 and 304 responses have none).
    public var framing: HTTPBodyFraming
    /// The header fields (and the storage of the whole head).
    public var headers: HTTPHeaders
    let reasonStart: UInt32
    let reasonEnd: UInt32

    /// The reason phrase as sent (possibly empty).
    public var reason: ArraySlice<UInt8> { headers.slice(Int(reasonStart), Int(reasonEnd)) }
}
