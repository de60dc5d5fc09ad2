import MeshIO

/// Keep-alive client connections per upstream address, for one event loop.
///
/// `checkout` hands out an idle connection (most recently used first, so a few hot
/// connections stay warm) or opens a new one; `checkin` returns it after its response.
/// An idle connection that the peer closes or half-closes leaves the pool at once, so a
/// request is never sent on a connection the upstream has already given up; one checked in
/// with an idle timeout is closed once it has been idle that long.
public final class HTTPConnectionPool {
    /// The loop whose connections this pool holds.
    public let loop: EventLoop
    /// Idle connections kept per address; extra ones are closed on checkin.
    public var maxIdlePerAddress: Int
    private var idle: [SocketAddress: [HTTPClientConnection]] = [:]
    /// Where idle timeouts take their time and timer from (the loop, or a test's).
    private let timers: any TimerScheduler
    /// The one timer that closes expired idle connections, and when it fires.
    private var sweepTimer: TimerID?
    private var sweepAt: UInt64 = 0

    /// Opens a new connection to an address (plain TCP by default; a sidecar with mTLS opens
    /// TLS sessions to its peers here).
    public var connect: (SocketAddress, EventLoop) throws(IOError) -> HTTPClientConnection = { address, loop throws(IOError) in
        try HTTPClientConnection.connect(to: address, on: loop)
    }

    public init(loop: EventLoop, maxIdlePerAddress: Int = 64, timers: (any TimerScheduler)? = nil) {
        self.loop = loop
        self.maxIdlePerAddress = maxIdlePerAddress
        self.timers = timers ?? loop
    }

    /// What an idle connection calls when it closes: made once, so a checkin allocates nothing.
    private lazy var removeOnClose: (HTTPClientConnection) -> Void = { [weak self] closed in self?.remove(closed) }

    /// An idle reusable connection to `address`, or a new one (still connecting).
    ///
    /// One hash of the address per checkout and per checkin, the list changed in place (an
    /// address's list stays, empty, once used: no copy, no reallocation per request).
    public func checkout(_ address: SocketAddress) throws(IOError) -> HTTPClientConnection {
        if let index = idle.index(forKey: address) {
            let now = timers.now
            while let connection = idle.values[index].popLast() {
                connection.onIdleClose = nil
                if connection.isReusable, connection.idleExpiry == 0 || connection.idleExpiry > now { return connection }
                connection.close()
            }
        }
        return try connect(address, loop)
    }

    /// Returns a connection whose exchange ended; it is kept only if still reusable, and for at
    /// most `idleTimeout` nanoseconds of idleness (0: until the peer closes it).
    public func checkin(_ connection: HTTPClientConnection, idleTimeout: UInt64 = 0) {
        guard connection.isReusable else {
            connection.close()
            return
        }
        let index = idle.index(forKey: connection.address)
        if let index, idle.values[index].count >= maxIdlePerAddress {
            connection.close()
            return
        }
        connection.onIdleClose = removeOnClose
        connection.idleExpiry = idleTimeout == 0 ? 0 : timers.now &+ idleTimeout
        if let index { idle.values[index].append(connection) } else { idle[connection.address] = [connection] }
        if connection.idleExpiry != 0 { armSweep(at: connection.idleExpiry) }
    }

    /// Arms the sweep for `time` unless it fires earlier already (one timer per pool: one
    /// that fires early finds nothing expired and re-arms for the next expiry).
    private func armSweep(at time: UInt64) {
        if let sweepTimer {
            guard time < sweepAt else { return }
            timers.cancel(sweepTimer)
        }
        sweepAt = time
        sweepTimer = timers.schedule(at: time) { [weak self] in self?.sweep() }
    }

    /// Closes the idle connections whose idle timeout has passed.
    private func sweep() {
        sweepTimer = nil
        let now = timers.now
        var next: UInt64 = 0
        for (address, list) in idle {
            var kept: [HTTPClientConnection] = []
            for connection in list {
                if connection.idleExpiry != 0, connection.idleExpiry <= now {
                    connection.onIdleClose = nil
                    connection.close()
                } else {
                    kept.append(connection)
                    if connection.idleExpiry != 0, next == 0 || connection.idleExpiry < next { next = connection.idleExpiry }
                }
            }
            idle[address] = kept.isEmpty ? nil : kept
        }
        if next != 0 { armSweep(at: next) }
    }

    /// Idle connections to `address` (for tests and metrics).
    public func idleCount(_ address: SocketAddress) -> Int {
        idle[address]?.count ?? 0
    }

    /// Whether an idle connection to `address` is kept.
    public func hasIdle(_ address: SocketAddress) -> Bool {
        idle[address]?.isEmpty == false
    }

    /// Closes one idle connection to any of `addresses` (to make room for one elsewhere);
    /// false when there is none.
    public func closeOneIdle(toAnyOf addresses: [SocketAddress]) -> Bool {
        for address in addresses {
            guard var list = idle[address], !list.isEmpty else { continue }
            let connection = list.removeFirst()
            idle[address] = list.isEmpty ? nil : list
            connection.onIdleClose = nil
            connection.close()
            return true
        }
        return false
    }

    /// Closes every idle connection.
    public func closeAll() {
        let all = idle.values.flatMap { $0 }
        idle = [:]
        for connection in all {
            connection.onIdleClose = nil
            connection.close()
        }
    }

    private func remove(_ connection: HTTPClientConnection) {
        guard var list = idle[connection.address] else { return }
        list.removeAll { $0 === connection }
        idle[connection.address] = list.isEmpty ? nil : list
    }
}
