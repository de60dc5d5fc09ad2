import MeshHTTP

/// Which header fields a proxy must not copy from one hop to the next.
enum ProxyHeaders {
    /// What to leave out besides the hop-by-hop fields.
    enum Drop {
        /// Requests from a peer sidecar: framing and host are rewritten; `expect` is
        /// answered by this proxy.
        case request
        /// Requests from an app or a client: as `request`, and `x-meshbed-source` too, which
        /// only a caller's sidecar may set (never trusted from an app).
        case requestFromApp
        /// Responses from a peer sidecar: framing is rewritten by the server side of this proxy.
        case responseFraming
        /// Responses from the local app: as `responseFraming`, and `x-meshbed-proxy` too, which
        /// marks a sidecar's own replies (an app must not pass for one: a forged
        /// `app-unreachable` would make callers send its requests elsewhere).
        case responseFromApp
    }

    static let version11: [UInt8] = Array(" HTTP/1.1\r\n".utf8)
    static let chunked: [UInt8] = Array("transfer-encoding: chunked\r\n".utf8)
    static let jsonContentType: [UInt8] = Array("content-type: application/json\r\n".utf8)
    static let generatedByProxy: [UInt8] = Array("x-meshbed-proxy: error\r\n".utf8)
    /// Marks an inbound sidecar's 503 when its app refused the connection (the request never
    /// reached it), or its 502 when the app reset a new connection before answering an
    /// idempotent bodiless request: the caller's sidecar may send it to another instance.
    static let appUnreachable: [UInt8] = Array("x-meshbed-proxy: app-unreachable\r\n".utf8)
    static let appUnreachableValue: [UInt8] = Array("app-unreachable".utf8)

    /// Framing: rewritten by this proxy on each side.
    private static let framing: [UInt8] = Array("content-length".utf8)
    /// `x-forwarded-client-cert` is the inbound sidecar's to set (from the verified peer
    /// certificate): never passed on from an app or a peer.
    /// `traceparent` is rewritten by every hop (its own span as the parent of the next).
    private static let requestOnly: [[UInt8]] = ["host", "expect", "x-forwarded-client-cert", "traceparent"].map { Array($0.utf8) }
    static let traceparentName: [UInt8] = Array("traceparent: ".utf8)
    private static let source: [UInt8] = Array("x-meshbed-source".utf8)
    private static let marker: [UInt8] = Array("x-meshbed-proxy".utf8)

    /// Appends every field of `headers` that crosses a proxy hop (the hop-by-hop ones and those
    /// any Connection field names are left out by `HTTPSerializer.appendForwardedHeaders`),
    /// minus `drop`'s fields.
    static func appendForwarded(_ headers: HTTPHeaders, dropping drop: Drop, into out: inout [UInt8]) {
        HTTPSerializer.appendForwardedHeaders(headers, into: &out) { name in
            if matches(name, framing) { return true }
            switch drop {
            case .request: return requestOnly.contains { matches(name, $0) }
            case .requestFromApp: return requestOnly.contains { matches(name, $0) } || matches(name, source)
            case .responseFraming: return false
            case .responseFromApp: return matches(name, marker)
            }
        }
    }

    /// Whether `name` is `lowercased`, compared case-insensitively.
    private static func matches(_ name: UnsafeBufferPointer<UInt8>, _ lowercased: [UInt8]) -> Bool {
        name.count == lowercased.count && zip(name, lowercased).allSatisfy { ($0 | 0x20) == $1 }
    }
}
