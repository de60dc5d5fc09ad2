import Foundation
import MeshConfig
import MeshEcho
import MeshIO
import MeshProxy
import MeshTestSupport
import Testing

/// An upstream that answers the first request on each connection (keep-alive) and closes
/// the connection, without answering, when a second request arrives on it: the moment a
/// server gives up an idle connection just as a client reuses it.
final class OneRequestPerConnection: ByteStreamHandler {
    let connections: Shared<Int>
    var answered = false
    init(connections: Shared<Int>) { self.connections = connections }
    func connectionActive(_ connection: any ByteStream) { connections.update { $0 += 1 } }
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        guard String(decoding: bytes, as: UTF8.self).contains("\r\n\r\n") else { return 0 }
        if answered {
            connection.close()
        } else {
            answered = true
            connection.write(Array("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".utf8))
        }
        return bytes.count
    }
    func connectionReadEOF(_ connection: any ByteStream) { connection.close() }
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {}
}

@Suite struct StaleConnectionTests {
    @Test func idempotentRequestIsSentAgainWhenAPooledConnectionTurnsOutDead() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let connections = Shared(0)
        let upstream = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in
            OneRequestPerConnection(connections: connections)
        }
        defer { upstream.close() }
        let app = try EchoServer(configuration: EchoConfiguration(service: "client"), address: SocketAddress("127.0.0.1:0")!, group: group)
        defer { app.shutdown() }
        let snapshot = MeshSnapshot(version: 1, topology: "t", services: [
            "flaky": DestinationConfig(versions: ["v1": [Endpoint(id: "flaky-v1-0", address: upstream.address.description)]]),
        ])
        let control = try FakeControlPlane(group: group, snapshot: snapshot)
        defer { control.server.shutdown() }
        let configuration = SidecarConfiguration.loopback(instance: "client-v1-0", service: "client", control: control.server.address, app: app.address)
        let sidecar = try Sidecar(configuration)
        defer { sidecar.shutdown() }
        let outbound = sidecar.addresses["outbound"]!
        #expect(eventually(within: 10) { curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(sidecar.addresses["admin"]!)/ready"]) == "200" })

        // The first GET leaves a pooled connection behind; the second finds it dead and is
        // sent again on a new connection instead of failing with 502.
        #expect(curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: flaky", "http://\(outbound)/a"]) == "200")
        #expect(curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: flaky", "http://\(outbound)/b"]) == "200")
        #expect(connections.value == 2)
        // A request with a body is not replayed: it fails visibly.
        let post = curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: flaky", "--data", "x", "http://\(outbound)/c"])
        #expect(post == "502")
    }
}
