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
        /// Responses: framing is rewritten by the server side of this proxy.
        case responseFraming
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

    private static let hopByHop: [[UInt8]] = ["connection", "proxy-connection", "keep-alive", "te",
                                              "transfer-encoding", "upgrade", "content-length"].map { Array($0.utf8) }
    private static let requestOnly: [[UInt8]] = ["host", "expect"].map { Array($0.utf8) }
    private static let source: [UInt8] = Array("x-meshbed-source".utf8)

    /// Appends every field of `headers` that crosses a proxy hop (RFC 9110 §7.6.1: not the
    /// hop-by-hop ones, nor any field the Connection header names), minus `drop`'s fields.
    static func appendForwarded(_ headers: HTTPHeaders, dropping drop: Drop, into out: inout [UInt8]) {
        let connectionIndex = headers.firstIndex(of: "connection")
        for index in 0..<headers.count {
            let name = headers.name(at: index)
            if matches(name, hopByHop) { continue }
            if drop != .responseFraming, matches(name, requestOnly) { continue }
            if drop == .requestFromApp, matches(name, [source]) { continue }
            if let connectionIndex, nominated(name, by: headers.value(at: connectionIndex)) { continue }
            HTTPSerializer.appendHeader(name: name, value: headers.value(at: index), into: &out)
        }
    }

    private static func matches(_ name: ArraySlice<UInt8>, _ list: [[UInt8]]) -> Bool {
        list.contains { candidate in
            candidate.count == name.count && zip(name, candidate).allSatisfy { ($0 | 0x20) == $1 }
        }
    }

    /// Whether the Connection field value lists `name` as a connection option.
    private static func nominated(_ name: ArraySlice<UInt8>, by connection: ArraySlice<UInt8>) -> Bool {
        connection.split(separator: UInt8(ascii: ",")).contains { token in
            let trimmed = token.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
            return trimmed.count == name.count && zip(name, trimmed).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
        }
    }
}
