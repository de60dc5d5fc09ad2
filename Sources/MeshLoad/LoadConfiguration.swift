import MeshIO

/// What `meshbed load` sends, where, how much and how fast.
public struct LoadConfiguration: Sendable {
    /// Where the requests go.
    public var target: LoadTarget
    /// Request method.
    public var method: String = "GET"
    /// Extra request headers.
    public var headers: [(name: String, value: String)] = []
    /// Request body (sent with Content-Length), if any.
    public var body: [UInt8] = []
    /// Stop after this many requests (default 1000 when neither this nor `duration` is set).
    public var requests: Int?
    /// Stop issuing requests after this many nanoseconds.
    public var duration: UInt64?
    /// Open loop: requests per second, scheduled at fixed intervals whatever the responses do.
    /// nil means closed loop: each connection sends its next request when the last one answered.
    public var rate: Double?
    /// Connections (closed loop: requests in flight; open loop: the most in flight).
    public var concurrency: Int = 8
    /// Event-loop threads (default: one per core).
    public var threads: Int?
    /// A request with no response after this many nanoseconds fails as a timeout.
    public var timeout: UInt64 = 30_000_000_000
    /// Ask every sidecar for its decision record (`x-meshbed-explain: 1`) and aggregate the
    /// records into `LoadResult.explain`. Off by default: without it nothing is read.
    public var explain = false

    public init(target: LoadTarget) {
        self.target = target
    }

    /// The request as bytes, serialized once and sent as is every time.
    func serializedRequest() -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: "\(method) \(target.path) HTTP/1.1\r\n".utf8)
        let hasHost = headers.contains { $0.name.lowercased() == "host" }
        if !hasHost { out.append(contentsOf: "host: \(target.hostHeader)\r\n".utf8) }
        out.append(contentsOf: "user-agent: meshbed-load\r\n".utf8)
        for header in headers { out.append(contentsOf: "\(header.name): \(header.value)\r\n".utf8) }
        if explain, !headers.contains(where: { $0.name.lowercased() == "x-meshbed-explain" }) {
            out.append(contentsOf: "x-meshbed-explain: 1\r\n".utf8)
        }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) {
            out.append(contentsOf: "content-length: \(body.count)\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: body)
        return out
    }
}

/// A load target parsed from `http://HOST:PORT/PATH` (numeric host or localhost).
public struct LoadTarget: Sendable, Equatable {
    /// The address connections go to.
    public var address: SocketAddress
    /// The `Host` header value.
    public var hostHeader: String
    /// The request target, `/` at least.
    public var path: String

    public init(address: SocketAddress, hostHeader: String, path: String) {
        self.address = address
        self.hostHeader = hostHeader
        self.path = path
    }

    /// Parses an `http://` URL; nil (with the reason) when it is not one meshbed can reach.
    public static func parse(url: String) -> Result<LoadTarget, LoadTargetError> {
        guard url.hasPrefix("http://") else {
            return .failure(LoadTargetError(message: "only http:// URLs are supported"))
        }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<slash])
        var path = String(rest[slash...])
        if path.isEmpty { path = "/" }
        if path.hasPrefix("?") { path = "/" + path }
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(LoadTargetError(message: "the path has spaces or control characters"))
        }
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        let withPort = hasPort ? authority : authority + ":80"
        guard let address = SocketAddress(withPort) else {
            return .failure(LoadTargetError(message: "expected a numeric host or localhost with an optional port, got '\(authority)'"))
        }
        return .success(LoadTarget(address: address, hostHeader: authority, path: path))
    }
}

/// Why a load URL was refused.
public struct LoadTargetError: Error, Sendable {
    public let message: String
}
