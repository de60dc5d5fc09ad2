/// A parsed request head. The byte slices are views of the head bytes that `headers` holds
/// (one array for the whole head), so the head itself is small and cheap to pass around.
public struct HTTPRequestHead: Sendable {
    /// Offsets of the request-line parts in the head bytes; `UInt32.max` marks an absent part.
    struct Layout: Sendable {
        var methodEnd: UInt32
        var targetStart: UInt32
        var targetEnd: UInt32
        var pathStart: UInt32
        var pathEnd: UInt32
        var queryStart: UInt32
        var authorityStart: UInt32
        var authorityEnd: UInt32
    }

    /// The method (`.other` for methods without a case; see `methodBytes`).
    public var method: HTTPMethod
    /// HTTP/1.0 or HTTP/1.1.
    public var version: HTTPVersion
    /// RFC 9112 §9.3: HTTP/1.1 persists unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool
    /// `Expect: 100-continue` (case-insensitive) on an HTTP/1.1 request.
    public var expectsContinue: Bool
    /// `.none`, `.contentLength(n)` or `.chunked`.
    public var framing: HTTPBodyFraming
    /// The header fields (and the storage of the whole head).
    public var headers: HTTPHeaders
    let layout: Layout

    /// The method token as sent.
    public var methodBytes: ArraySlice<UInt8> { headers.slice(0, Int(layout.methodEnd)) }

    /// The request-target as sent: origin-form `/a?b`, absolute-form `http://svc/a`,
    /// authority-form `host:port` (CONNECT) or `*` (OPTIONS).
    public var target: ArraySlice<UInt8> { headers.slice(Int(layout.targetStart), Int(layout.targetEnd)) }

    /// The target up to `?`; for absolute-form the path after the authority (`/` if empty);
    /// `*` for asterisk-form; empty for authority-form.
    public var path: ArraySlice<UInt8> { headers.slice(Int(layout.pathStart), Int(layout.pathEnd)) }

    /// The part of the target after `?`, without it; nil when there is no `?`.
    public var query: ArraySlice<UInt8>? {
        layout.queryStart == .max ? nil : headers.slice(Int(layout.queryStart), Int(layout.targetEnd))
    }

    /// The authority of an absolute-form or authority-form target; nil otherwise.
    public var authority: ArraySlice<UInt8>? {
        layout.authorityStart == .max ? nil : headers.slice(Int(layout.authorityStart), Int(layout.authorityEnd))
    }
}
