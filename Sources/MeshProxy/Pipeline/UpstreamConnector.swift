import MeshHTTP
import MeshHTTPIO
import MeshIO

/// Receives one upstream exchange's events: an attempt's, or a mirrored copy's. Fake
/// connections call these directly; a real one calls `HTTPClientResponseHandler`'s
/// methods, which lead here.
protocol UpstreamEvents: HTTPClientResponseHandler {
    func receivedHead(_ head: HTTPResponseHead)
    func receivedBody(_ bytes: UnsafeRawBufferPointer)
    func receivedEnd()
    /// The exchange failed; the connection is closed.
    func failed(_ error: HTTPClientError)
    func becameWritable()
}

extension UpstreamEvents {
    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) { receivedHead(head) }
    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) { receivedBody(bytes) }
    func responseEnd(on connection: HTTPClientConnection) { receivedEnd() }
    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) { failed(error) }
    func requestWritable(on connection: HTTPClientConnection) { becameWritable() }
}

/// One upstream HTTP/1.1 connection as the pipeline sees it (`HTTPClientConnection` is the
/// real one; the in-memory harness scripts fake ones). Response events go to the
/// `UpstreamEvents` given to `send`.
protocol UpstreamConnection: AnyObject {
    /// Whether the TCP connection is established (a pooled one is; a new one is connecting).
    var isConnected: Bool { get }
    /// False while the request's pending bytes are above the high-water mark.
    var isWritable: Bool { get }
    func send(_ request: UnsafeRawBufferPointer, isHEAD: Bool, events: any UpstreamEvents)
    func writeBody(_ bytes: UnsafeRawBufferPointer)
    func pauseReading()
    func resumeReading()
    /// Closes; an exchange in progress fails with `.cancelled` (synchronously).
    func close()
    /// Called once when the connection closes, for whatever reason.
    var onClose: (() -> Void)? { get set }
}

/// Where upstream connections come from and go back to: a keep-alive pool per loop.
protocol UpstreamConnector: AnyObject {
    /// An idle pooled connection to `address`, or a new one (still connecting).
    func checkout(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection
    /// A new connection, never a pooled one (to resend on after a pooled one turned out dead).
    func connect(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection
    /// Returns a connection whose exchange ended (kept only if still reusable, and closed once
    /// idle for `idleTimeout` nanoseconds).
    func checkin(_ connection: any UpstreamConnection, idleTimeout: UInt64)
    /// Whether an idle connection to `address` is kept.
    func hasIdle(_ address: SocketAddress) -> Bool
    /// Closes one idle connection to any of `addresses`; false when there is none.
    func closeOneIdle(toAnyOf addresses: [SocketAddress]) -> Bool
}

extension HTTPClientConnection: UpstreamConnection {
    func send(_ request: UnsafeRawBufferPointer, isHEAD: Bool, events: any UpstreamEvents) {
        send(request, isHEAD: isHEAD, handler: events)
    }
}

/// The real connector: an `HTTPConnectionPool` on the loop.
final class PooledUpstreams: UpstreamConnector {
    let pool: HTTPConnectionPool
    /// Whether a pooled connection must not be used again (link faults now apply to its
    /// address, and it has no fault stages): closed instead of reused or pooled.
    var retire: ((HTTPClientConnection) -> Bool)?

    init(pool: HTTPConnectionPool) {
        self.pool = pool
    }

    func checkout(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection {
        var connection = try pool.checkout(address)
        // An idle connection from before the faults is closed; a new one is made with them.
        while let retire, connection.isConnected, retire(connection) {
            connection.close()
            connection = try pool.checkout(address)
        }
        return connection
    }

    func connect(_ address: SocketAddress) throws(IOError) -> any UpstreamConnection {
        try pool.connect(address, pool.loop)
    }

    func checkin(_ connection: any UpstreamConnection, idleTimeout: UInt64) {
        guard let connection = connection as? HTTPClientConnection else { return connection.close() }
        if let retire, retire(connection) { return connection.close() }
        pool.checkin(connection, idleTimeout: idleTimeout)
    }

    func hasIdle(_ address: SocketAddress) -> Bool { pool.hasIdle(address) }

    func closeOneIdle(toAnyOf addresses: [SocketAddress]) -> Bool { pool.closeOneIdle(toAnyOf: addresses) }
}
