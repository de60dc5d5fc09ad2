import MeshIO

/// Keep-alive client connections per upstream address, for one event loop.
///
/// `checkout` hands out an idle connection (most recently used first, so a few hot
/// connections stay warm) or opens a new one; `checkin` returns it after its response.
/// An idle connection that the peer closes or half-closes leaves the pool at once, so a
/// request is never sent on a connection the upstream has already given up.
public final class HTTPConnectionPool {
    /// The loop whose connections this pool holds.
    public let loop: EventLoop
    /// Idle connections kept per address; extra ones are closed on checkin.
    public var maxIdlePerAddress: Int
    private var idle: [SocketAddress: [HTTPClientConnection]] = [:]

    public init(loop: EventLoop, maxIdlePerAddress: Int = 64) {
        self.loop = loop
        self.maxIdlePerAddress = maxIdlePerAddress
    }

    /// An idle reusable connection to `address`, or a new one (still connecting).
    public func checkout(_ address: SocketAddress) throws(IOError) -> HTTPClientConnection {
        while var list = idle[address], let connection = list.popLast() {
            idle[address] = list.isEmpty ? nil : list
            connection.onIdleClose = nil
            if connection.isReusable { return connection }
            connection.close()
        }
        return try HTTPClientConnection.connect(to: address, on: loop)
    }

    /// Returns a connection whose exchange ended; it is kept only if still reusable.
    public func checkin(_ connection: HTTPClientConnection) {
        guard connection.isReusable else {
            connection.close()
            return
        }
        var list = idle[connection.address] ?? []
        guard list.count < maxIdlePerAddress else {
            connection.close()
            return
        }
        connection.onIdleClose = { [weak self] closed in self?.remove(closed) }
        list.append(connection)
        idle[connection.address] = list
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
