import CMeshbedShims
import Glibc

/// Makes the handler for each accepted connection; runs on the accepting loop's thread.
public typealias TCPHandlerFactory = @Sendable (TCPConnection) -> TCPConnectionHandler

/// A listening socket on one loop; accepted connections stay on that loop until they close.
final class TCPListener: Selectable {
    let loop: EventLoop
    let fd: Int32
    let factory: TCPHandlerFactory
    private var closed = false

    init(loop: EventLoop, fd: Int32, factory: @escaping TCPHandlerFactory) {
        self.loop = loop
        self.fd = fd
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
        for _ in 0..<64 where !closed {
            let accepted: Int32?
            do {
                accepted = try Posix.accept(fd)
            } catch {
                // EMFILE and friends: leave the connection queued and try again on the next event.
                return
            }
            guard let client = accepted else { return }
            try? Posix.setOption(client, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            let connection = TCPConnection(fd: client, loop: loop)
            do {
                try connection.start(handler: factory(connection))
            } catch {
                Posix.close(client)
            }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        loop.unregister(fd)
        Posix.close(fd)
    }
}

/// A TCP server: one SO_REUSEPORT listener on each loop of a group, so the kernel spreads
/// connections across loops and each connection lives on one thread from accept to close.
public final class TCPServer: Sendable {
    /// The bound address (with the real port when port 0 was asked for).
    public let address: SocketAddress
    private let listeners: [(EventLoop, Int32)]
    private let factory: TCPHandlerFactory

    /// Binds on every loop of `group` and starts accepting.
    public init(group: EventLoopGroup, address: SocketAddress, factory: @escaping TCPHandlerFactory) throws(IOError) {
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
        self.address = bound
        self.listeners = fds
        self.factory = factory
        for (loop, fd) in fds {
            loop.execute {
                let listener = TCPListener(loop: loop, fd: fd, factory: factory)
                if (try? listener.start()) == nil { Posix.close(fd) }
            }
        }
    }

    /// Stops accepting; established connections are left to their handlers.
    public func close() {
        for (loop, fd) in listeners {
            loop.execute { (loop.selectable(for: fd) as? TCPListener)?.close() }
        }
    }
}
