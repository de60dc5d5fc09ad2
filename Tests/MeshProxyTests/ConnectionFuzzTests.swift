import MeshConfig
import MeshCore
import MeshEcho
import MeshIO
import MeshProxy
import MeshTestSupport
import Testing

/// Random byte streams through whole server connections: a sidecar's outbound and inbound
/// ports (the proxy handler, against in-process echo apps), its admin port and an echo app.
/// Each stream is a mutation of valid pipelined requests plus garbage, cut at random points
/// into separate writes; once the server is quiet for a moment (pipelined requests behind a
/// proxied one are handled then) the client half-closes. After every stream the listener must have closed
/// the connection (no hang) and must still answer a normal request (issue 7, item 1).
@Suite(.serialized) struct ConnectionFuzzTests {
    /// Streams per listener; with the seed below the whole suite runs in a few seconds.
    static let streamsPerListener = 100

    /// Valid requests the streams are built from: every framing, the odd forms, and hosts
    /// the mesh does not know.
    static let requests: [String] = [
        "GET / HTTP/1.1\r\nHost: reviews\r\n\r\n",
        "GET /a?b=c HTTP/1.1\r\nHost: reviews\r\nConnection: keep-alive\r\n\r\n",
        "HEAD / HTTP/1.1\r\nHost: reviews\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: reviews\r\nContent-Length: 5\r\n\r\nhello",
        "PUT /c HTTP/1.1\r\nHost: reviews\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "POST /e HTTP/1.1\r\nHost: reviews\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        "GET http://reviews/abs HTTP/1.1\r\nHost: reviews\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: reviews\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: ratings\r\n\r\n",
        "GET /?delay=2ms HTTP/1.1\r\nHost: reviews\r\nConnection: te, x-drop\r\nTE: trailers\r\nX-Drop: 1\r\n\r\n",
        "GET /?size=70000 HTTP/1.1\r\nHost: reviews\r\n\r\n",
        "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n",
        "DELETE / HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n",
    ].map { $0 }

    static let garbage: [[UInt8]] = ["XYZ\r\n\r\n", "\r\n", "\0", ":", " ", "\t", "\r", "\n", "HTTP/1.1", "Content-Length: 9\r\n",
                                     "Transfer-Encoding: chunked\r\n", "ffffffffffffffff\r\n", "\u{7f}", "\u{ff}"].map { Array($0.utf8) }

    /// One stream: 1-4 requests, mutated a few times, perhaps with garbage at the end.
    static func stream(_ random: inout SeededRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0...Int(random.next() % 4) {
            bytes += Array(requests[Int(random.next() % UInt64(requests.count))].utf8)
        }
        for _ in 0..<Int(random.next() % 5) where !bytes.isEmpty {
            let at = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 6 {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 1: bytes.insert(contentsOf: garbage[Int(random.next() % UInt64(garbage.count))], at: at)
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(random.next() % 8)))
            case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + Int(random.next() % 40))], at: at)
            case 4: bytes.removeSubrange(at...)
            default: bytes[at] ^= 0x20
            }
        }
        if random.next() % 3 == 0 { bytes += garbage[Int(random.next() % UInt64(garbage.count))] }
        return bytes
    }

    /// Random cut points: up to 6 pieces.
    static func pieces(_ count: Int, _ random: inout SeededRandom) -> [Int] {
        guard count > 1 else { return [] }
        return (0..<Int(random.next() % 6)).map { _ in 1 + Int(random.next() % UInt64(count)) }
    }

    @Test func randomStreamsNeverStopAListener() throws {
        let group = try EventLoopGroup(threads: 1)
        let echoes = try ["reviews-v1-0", "productpage-v1-0"].map { id in
            try EchoServer(configuration: EchoConfiguration(service: String(id.split(separator: "-")[0]), version: "v1", instance: id),
                           address: SocketAddress("127.0.0.1:0")!, group: group)
        }
        let snapshot = MeshSnapshot(version: 1, topology: "fuzz", services: [
            "reviews": DestinationConfig(versions: ["v1": [Endpoint(id: "reviews-v1-0", address: echoes[0].address.description)]]),
            "ratings": DestinationConfig(versions: ["v1": []]),
        ])
        let control = try FakeControlPlane(group: group, snapshot: snapshot)
        let configuration = SidecarConfiguration.loopback(instance: "productpage-v1-0", service: "productpage", control: control.server.address, app: echoes[1].address)
        let sidecar = try Sidecar(configuration)
        defer {
            sidecar.shutdown()
            for echo in echoes { echo.shutdown(timeout: 2_000_000_000) }
            control.server.shutdown(timeout: 2_000_000_000)
            group.shutdown()
        }
        let listeners: [(name: String, address: SocketAddress, normalHost: String, normalPath: String)] = [
            ("outbound", sidecar.addresses["outbound"]!, "reviews", "/"),
            ("inbound", sidecar.addresses["inbound"]!, "productpage", "/"),
            ("admin", sidecar.addresses["admin"]!, "x", "/ready"),
            ("echo", echoes[0].address, "reviews", "/"),
        ]
        // The outbound port routes once the snapshot arrived.
        #expect(eventually(within: 10) { normalRequestStatus(listeners[0].address, host: "reviews") == 200 })

        var random = SeededRandom(seed: 7)
        for listener in listeners {
            var hung = 0
            var unanswered = 0
            for _ in 0..<Self.streamsPerListener {
                let bytes = Self.stream(&random)
                let cuts = Self.pieces(bytes.count, &random)
                let reply = try rawExchange(listener.address, bytes, pieces: cuts, settle: 0.01, halfClose: true, within: 10)
                if !reply.closed { hung += 1 }
                if normalRequestStatus(listener.address, host: listener.normalHost, path: listener.normalPath) != 200 { unanswered += 1 }
            }
            // Counts only: the inputs are not printed (seed 7 reproduces them).
            #expect(hung == 0, "\(listener.name): \(hung) streams left open after the client's half-close")
            #expect(unanswered == 0, "\(listener.name): \(unanswered) normal requests unanswered after a stream")
        }
    }
}
