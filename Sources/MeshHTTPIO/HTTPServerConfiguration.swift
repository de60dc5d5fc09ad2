import MeshHTTP
import MeshIO

/// Settings of an HTTP/1.1 server, with the defaults a sidecar uses.
public struct HTTPServerConfiguration: Sendable {
    /// Time allowed to receive a whole request head once its first byte arrived (slowloris guard).
    public var headerTimeout: UInt64 = 10_000_000_000
    /// Time a keep-alive connection may sit with no request before it is closed.
    public var idleTimeout: UInt64 = 60_000_000_000
    /// Parser limits: request line, header bytes, header count.
    public var limits = HTTPParserLimits()
    /// The most connections open at once; more are closed at once and counted
    /// (nil: `TCPServer.defaultConnectionLimit`, derived from the descriptor limit).
    public var maxConnections: Int?
    /// The stream each accepted connection's HTTP runs on (a TLS session over it, say), made on
    /// the connection's loop; it must be the connection's handler. nil (or a wrapper returning
    /// nil for a connection): HTTP runs on the TCP connection itself, with nothing in between.
    public var streamWrapper: (@Sendable (TCPConnection) -> (any ByteStream & ByteStreamHandler)?)?

    public init(headerTimeout: UInt64 = 10_000_000_000, idleTimeout: UInt64 = 60_000_000_000, limits: HTTPParserLimits = HTTPParserLimits(),
                maxConnections: Int? = nil, streamWrapper: (@Sendable (TCPConnection) -> (any ByteStream & ByteStreamHandler)?)? = nil) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.limits = limits
        self.maxConnections = maxConnections
        self.streamWrapper = streamWrapper
    }
}
