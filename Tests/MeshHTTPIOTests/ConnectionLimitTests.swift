import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Testing

/// Issue 7, item 6: a listener keeps at most its limit of connections open; new ones beyond
/// it are closed at once and counted, and the ones it has are still served.
@Suite struct ConnectionLimitTests {
    static let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)

    @Test func beyondTheLimitNewConnectionsCloseAtOnceAndAreCounted() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!,
                                    configuration: HTTPServerConfiguration(maxConnections: 8)) { _ in ScriptedHandler() }
        defer { server.shutdown(timeout: 5_000_000_000) }
        #expect(server.connectionLimit == 8)

        var idle: [RawConnection] = []
        for _ in 0..<8 { idle.append(try RawConnection(server.address)) }
        #expect(eventually { server.connectionCount == 8 })
        #expect(server.rejectedConnections == 0)

        // The ninth is accepted and closed at once, before it could send anything.
        let ninth = try rawExchange(server.address, [])
        #expect(ninth.closed)
        #expect(ninth.bytes.isEmpty)
        #expect(eventually { server.rejectedConnections == 1 })
        #expect(server.connectionCount == 8)

        // The connections it has are served.
        let reply = idle[0].exchange(Self.request)
        #expect(reply.statuses == [200])
        #expect(!reply.closed)

        // A connection that leaves frees its place.
        idle[1].close()
        #expect(eventually { server.connectionCount == 7 })
        let fresh = try RawConnection(server.address)
        #expect(fresh.exchange(Self.request).statuses == [200])
        #expect(server.rejectedConnections == 1)
    }

    @Test func theDefaultLimitLeavesDescriptorsForUpstreams() {
        let limit = Posix.openFileLimit()
        #expect(TCPServer.defaultConnectionLimit >= 16)
        #expect(TCPServer.defaultConnectionLimit < limit)
        #expect(TCPServer.defaultConnectionLimit <= max(16, limit / 2))
    }
}
