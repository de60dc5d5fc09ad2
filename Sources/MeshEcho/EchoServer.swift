import MeshHTTPIO
import MeshIO
import Synchronization

/// A running echo app: an HTTP server whose every connection gets an `EchoHandler`.
public final class EchoServer: Sendable {
    private let server: HTTPServer
    /// The bound address.
    public var address: SocketAddress { server.address }

    public init(configuration: EchoConfiguration, address: SocketAddress, group: EventLoopGroup,
                serverConfiguration: HTTPServerConfiguration = .init()) throws(IOError) {
        let identity = EchoIdentity(configuration)
        let counter = SeedCounter()
        // One pool per loop for downstream calls, used only on that loop.
        var pools: [ObjectIdentifier: LoopPool] = [:]
        if !configuration.calls.isEmpty {
            for loop in group.loops { pools[ObjectIdentifier(loop)] = LoopPool(HTTPConnectionPool(loop: loop)) }
        }
        let poolsByLoop = pools
        server = try HTTPServer(group: group, address: address, configuration: serverConfiguration) { loop in
            // Each connection draws from its own stream: seed, seed+1, ... in accept order.
            let index = counter.next()
            return EchoHandler(identity: identity, configuration: configuration, seed: configuration.seed &+ index,
                               pool: poolsByLoop[ObjectIdentifier(loop)]?.pool)
        }
    }

    /// Stops accepting and finishes in-flight requests (see `HTTPServer.shutdown`).
    @discardableResult
    public func shutdown(timeout: UInt64 = 10_000_000_000) -> Bool {
        server.shutdown(timeout: timeout)
    }
}

/// A pool that belongs to one loop, handed to handlers created on that loop.
final class LoopPool: @unchecked Sendable {
    let pool: HTTPConnectionPool
    init(_ pool: HTTPConnectionPool) { self.pool = pool }
}

/// Hands out 0, 1, 2, ... across threads.
final class SeedCounter: Sendable {
    private let value = Atomic<UInt64>(0)
    func next() -> UInt64 { value.add(1, ordering: .relaxed).oldValue }
}
