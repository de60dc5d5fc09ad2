import CMeshbedShims
import Glibc

/// Makes the handler for each accepted connection; runs on the accepting loop's thread.
public typealias TCPHandlerFactory = @Sendable (TCPConnection) -> ByteStreamHandler

/// Takes one connection off a listening socket: a descriptor, nil when none is waiting.
/// `Posix.accept` outside tests; tests inject failures through it.
package typealias TCPAcceptCall = @Sendable (Int32) throws(IOError) -> Int32?

/// A listening socket on one loop; accepted connections stay on that loop until they close.
///
/// Beyond its server's connection limit a new connection is accepted and closed at once (and
/// counted). When accepting fails for lack of descriptors (EMFILE, ENFILE) the listener stops
/// watching its socket for `acceptBackoff` instead of spinning on the level-triggered event;
/// the waiting connections stay in the kernel's backlog meanwhile.
final class TCPListener: Selectable {
    let loop: EventLoop
    let fd: Int32
    let factory: TCPHandlerFactory
    let gate: ConnectionGate
    let accept: TCPAcceptCall
    private var closed = false
    private var backoffTimer: TimerID?

    /// How long accepting pauses after the process ran out of descriptors.
    static let acceptBackoff: UInt64 = 100_000_000

    init(loop: EventLoop, fd: Int32, gate: ConnectionGate, accept: @escaping TCPAcceptCall, factory: @escaping TCPHandlerFactory) {
        self.loop = loop
        self.fd = fd
        self.gate = gate
        self.accept = accept
        self.factory = factory
    }

    /// A non-blocking listening socket on `address` with SO_REUSEADDR and SO_REUSEPORT.
    static func makeSocket(_ address: SocketAddress, backlog: Int32 = 1024) throws(IOError) -> Int32 {
        let fd = try Posix.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
        do {
            try Posix.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            try Posix.setOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1)
            try Posix.bind(fd, address)
            try Posix.listen(fd, backlog: backlog)
        } catch {
            Posix.close(fd)
            throw error
        }
        return fd
    }

    /// Claims a port the way a plain listener would (no SO_REUSEPORT), so that a port another
    /// process listens on is refused with EADDRINUSE instead of being silently shared, and
    /// port 0 becomes a port nobody uses. Returns the address with the port filled in.
    static func probe(_ address: SocketAddress) throws(IOError) -> SocketAddress {
        let fd = try Posix.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
        defer { Posix.close(fd) }
        try Posix.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
        try Posix.bind(fd, address)
        return try Posix.localAddress(fd)
    }

    func start() throws(IOError) {
        try loop.register(fd, self, events: EPOLLIN.rawValue)
    }

    func handleEvents(_ events: UInt32) {
        // Bounded so one busy listener cannot starve the loop's other connections.
        for _ in 0..<64 where !closed && backoffTimer == nil {
            let accepted: Int32?
            do {
                accepted = try accept(fd)
            } catch {
                if Self.concernsOneConnection(error) { continue }
                // Out of descriptors (or something unknown): retrying at once would spin.
                backOff()
                return
            }
            guard let client = accepted else { return }
            guard gate.admit() else {
                Posix.close(client)
                continue
            }
            try? Posix.setOption(client, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            let connection = TCPConnection(fd: client, loop: loop, gate: gate)
            // A connection that cannot start closes itself and gives its place back.
            try? connection.start(handler: factory(connection))
        }
    }

    /// Errors accept4 passes on from one pending connection (man 2 accept): the next may work.
    private static func concernsOneConnection(_ error: IOError) -> Bool {
        [EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH].contains(error.code)
    }

    private func backOff() {
        gate.noteBackoff()
        try? loop.modify(fd, events: 0)
        backoffTimer = loop.schedule(after: Self.acceptBackoff) { [weak self] in
            guard let self, !self.closed else { return }
            self.backoffTimer = nil
            try? self.loop.modify(self.fd, events: EPOLLIN.rawValue)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let backoffTimer { loop.cancel(backoffTimer) }
        loop.unregister(fd)
        Posix.close(fd)
    }
}

/// A TCP server: one SO_REUSEPORT listener on each loop of a group, so the kernel spreads
/// connections across loops and each connection lives on one thread from accept to close.
/// At most `connectionLimit` connections are open at once, across all loops.
public final class TCPServer: Sendable {
    /// The bound address (with the real port when port 0 was asked for).
    public let address: SocketAddress
    private let listeners: [(EventLoop, Int32)]
    private let gate: ConnectionGate

    /// The default connection limit of a listener: half of the descriptors the process may
    /// open (RLIMIT_NOFILE) after 64 kept for its own use, since a proxy opens an upstream
    /// connection for each downstream one; at least 16.
    public static var defaultConnectionLimit: Int {
        max(16, (min(Posix.openFileLimit(), 1 << 24) - 64) / 2)
    }

    /// Binds on every loop of `group` and starts accepting, at most `maxConnections` at once
    /// (nil: `defaultConnectionLimit`).
    public convenience init(group: EventLoopGroup, address: SocketAddress, maxConnections: Int? = nil,
                            factory: @escaping TCPHandlerFactory) throws(IOError) {
        try self.init(group: group, address: address, maxConnections: maxConnections,
                      accept: { fd throws(IOError) in try Posix.accept(fd) }, factory: factory)
    }

    /// As the public initializer, with the call that takes connections off the socket.
    package init(group: EventLoopGroup, address: SocketAddress, maxConnections: Int?, accept: @escaping TCPAcceptCall,
                 factory: @escaping TCPHandlerFactory) throws(IOError) {
        var fds: [(EventLoop, Int32)] = []
        let bound = try TCPListener.probe(address)
        do {
            for loop in group.loops {
                fds.append((loop, try TCPListener.makeSocket(bound)))
            }
        } catch {
            for (_, fd) in fds { Posix.close(fd) }
            throw error
        }
        let gate = ConnectionGate(limit: maxConnections ?? Self.defaultConnectionLimit)
        self.address = bound
        self.listeners = fds
        self.gate = gate
        for (loop, fd) in fds {
            loop.execute {
                let listener = TCPListener(loop: loop, fd: fd, gate: gate, accept: accept, factory: factory)
                if (try? listener.start()) == nil { Posix.close(fd) }
            }
        }
    }

    /// The most connections open at once.
    public var connectionLimit: Int { gate.limit }
    /// Connections open now (accepted and not yet closed).
    public var openConnections: Int { gate.openCount }
    /// Connections closed at once because `connectionLimit` were open.
    public var rejectedConnections: Int { gate.rejected }
    /// Times a listener paused accepting because the process was out of descriptors.
    public var acceptBackoffs: Int { gate.backoffs }

    /// Stops accepting; established connections are left to their handlers.
    public func close() {
        for (loop, fd) in listeners {
            loop.execute { (loop.selectable(for: fd) as? TCPListener)?.close() }
        }
    }
}
