import MeshFaults
import MeshIO
import MeshTestSupport
import Testing

/// What the server end of a loopback connection saw, for the test thread.
final class ServerEnd: ByteStreamHandler, Sendable {
    /// Bytes received, with the loop's time of the first arrival.
    let received = Shared<[UInt8]>([])
    let firstArrival = Shared<UInt64?>(nil)
    /// Whether the connection ended, and whether with a reset.
    let closed = Shared<(ended: Bool, reset: Bool)>((false, false))

    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        let now = connection.loop.now
        firstArrival.update { $0 = $0 ?? now }
        received.update { $0.append(contentsOf: bytes) }
        return bytes.count
    }

    func connectionReadEOF(_ connection: any ByteStream) {}

    func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        closed.update { $0 = (true, error?.isConnectionReset == true) }
    }
}

/// The client end's stream (touched on the loop thread only) and how it closed.
final class ClientEnd: ByteStreamHandler {
    var stream: ToxicStream?
    let closedByReset: Shared<Bool?>

    init(closedByReset: Shared<Bool?>) {
        self.closedByReset = closedByReset
    }

    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int { bytes.count }
    func connectionReadEOF(_ connection: any ByteStream) {}
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        closedByReset.update { $0 = error?.isConnectionReset == true }
    }
}

@Suite struct ToxicStreamOverTCPTests {
    /// On a real loop (its clock and timers) over a loopback socket: a latency toxic holds the
    /// first bytes at least its latency (timers never fire early: a bound, not a window), and a
    /// reset toxic's abortive close reaches the peer as ECONNRESET.
    @Test func latencyAndResetOnALoopbackConnection() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let serverEnd = ServerEnd()
        let server = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in serverEnd }
        defer { server.close() }
        let loop = group.loops[0]
        let closedByReset = Shared<Bool?>(nil)
        let client = LoopBound(loop: loop, ClientEnd(closedByReset: closedByReset))
        let toxics = [
            Toxic(name: "latency", kind: .latency(latency: .milliseconds(50), jitter: .zero), direction: .upstream),
            Toxic(name: "reset", kind: .reset(afterBytes: 6, after: nil), direction: .upstream),
        ]
        let sentAt = onLoop(loop) { () -> UInt64 in
            let tcp = try! TCPConnection.connect(to: server.address, on: loop, handler: nil)
            let stream = try! ToxicStream(lower: tcp, role: .client, toxics: toxics, seed: 1)
            stream.handler = client.value
            client.value.stream = stream
            stream.write([1, 2, 3])
            stream.flush()
            return loop.now
        }
        #expect(eventually { serverEnd.received.value == [1, 2, 3] })
        if let sentAt, let arrival = serverEnd.firstArrival.value {
            #expect(arrival >= sentAt + 50_000_000, "arrived \(arrival - sentAt) ns after it was sent")
        } else {
            Issue.record("no send or arrival time")
        }
        _ = onLoop(loop) { () -> Bool in
            client.value.stream?.write([4, 5, 6, 7])
            client.value.stream?.flush()
            return true
        }
        #expect(eventually { closedByReset.value == true })
        #expect(eventually { serverEnd.closed.value.ended })
        #expect(serverEnd.closed.value.reset)
        #expect(serverEnd.received.value.count <= 6)
    }
}
