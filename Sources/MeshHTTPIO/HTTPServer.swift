import MeshHTTP
import MeshIO
import Synchronization

/// Keeps the open connections of one server on one loop, for graceful shutdown.
/// Touched only on its loop's thread.
final class HTTPConnectionTracker: @unchecked Sendable {
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    private var draining = false
    private let open: ConnectionCounter

    init(open: ConnectionCounter) {
        self.open = open
    }

    /// A connection started (it is counted from here, so one that failed to start is never waited for).
    func opened(_ connection: HTTPServerConnection) {
        connections[ObjectIdentifier(connection)] = connection
        open.value.add(1, ordering: .relaxed)
        if draining { connection.drain() }
    }

    func closed(_ connection: HTTPServerConnection) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil {
            open.value.subtract(1, ordering: .relaxed)
        }
    }

    func drainAll() {
        draining = true
        for connection in Array(connections.values) { connection.drain() }
        open.drainingLoops.add(1, ordering: .releasing)
    }
}

/// Counts a server's open connections across loops, and the loops that began draining.
final class ConnectionCounter: Sendable {
    let value = Atomic<Int>(0)
    let drainingLoops = Atomic<Int>(0)
}

/// An HTTP/1.1 server on every loop of a group. Each accepted connection gets its own
/// handler from `handlerFactory`, made on the connection's loop.
public final class HTTPServer: Sendable {
    /// The bound address (the real port when 0 was asked for).
    public var address: SocketAddress { tcp.address }
    private let tcp: TCPServer
    private let trackers: [(EventLoop, HTTPConnectionTracker)]
    private let openConnections: ConnectionCounter

    public convenience init(group: EventLoopGroup, address: SocketAddress, configuration: HTTPServerConfiguration = .init(),
                            handlerFactory: @escaping @Sendable (EventLoop) -> HTTPRequestHandler) throws(IOError) {
        try self.init(group: group, address: address, configuration: configuration,
                      accept: { fd throws(IOError) in try Posix.accept(fd) }, handlerFactory: handlerFactory)
    }

    /// As the public initializer, with the call that takes connections off the socket (for tests).
    package init(group: EventLoopGroup, address: SocketAddress, configuration: HTTPServerConfiguration,
                 accept: @escaping TCPAcceptCall, handlerFactory: @escaping @Sendable (EventLoop) -> HTTPRequestHandler) throws(IOError) {
        let counter = ConnectionCounter()
        var trackers: [(EventLoop, HTTPConnectionTracker)] = []
        var byLoop: [ObjectIdentifier: HTTPConnectionTracker] = [:]
        for loop in group.loops {
            let tracker = HTTPConnectionTracker(open: counter)
            trackers.append((loop, tracker))
            byLoop[ObjectIdentifier(loop)] = tracker
        }
        let lookup = byLoop
        self.trackers = trackers
        self.openConnections = counter
        tcp = try TCPServer(group: group, address: address, maxConnections: configuration.maxConnections, accept: accept) { connection in
            guard let wrap = configuration.streamWrapper, let stream = wrap(connection) else {
                return HTTPServerConnection(stream: connection, configuration: configuration,
                                            handler: handlerFactory(connection.loop),
                                            tracker: lookup[ObjectIdentifier(connection.loop)])
            }
            // HTTP on the caller's stream (TLS), which handles the connection's events.
            stream.handler = HTTPServerConnection(stream: stream, configuration: configuration,
                                                  handler: handlerFactory(connection.loop),
                                                  tracker: lookup[ObjectIdentifier(connection.loop)])
            return stream
        }
    }

    /// Connections currently open.
    public var connectionCount: Int { openConnections.value.load(ordering: .relaxed) }
    /// How many loops have started draining their connections during `shutdown` (for tests
    /// that act once a shutdown is under way).
    package var drainingLoops: Int { openConnections.drainingLoops.load(ordering: .acquiring) }
    /// The most connections open at once.
    public var connectionLimit: Int { tcp.connectionLimit }
    /// Connections closed at once because `connectionLimit` were open.
    public var rejectedConnections: Int { tcp.rejectedConnections }
    /// Times accepting paused because the process was out of descriptors.
    public var acceptBackoffs: Int { tcp.acceptBackoffs }

    /// Stops accepting and lets in-flight requests finish: idle connections close now,
    /// busy ones after their current response. Blocks until all are closed or `timeout`
    /// nanoseconds pass; returns whether all closed.
    @discardableResult
    public func shutdown(timeout: UInt64 = 10_000_000_000) -> Bool {
        tcp.close()
        for (loop, tracker) in trackers {
            loop.execute { tracker.drainAll() }
        }
        let deadline = Posix.monotonicNanoseconds() &+ timeout
        while openConnections.value.load(ordering: .relaxed) > 0 {
            if Posix.monotonicNanoseconds() > deadline { return false }
            Posix.sleep(nanoseconds: 2_000_000)
        }
        return true
    }
}
