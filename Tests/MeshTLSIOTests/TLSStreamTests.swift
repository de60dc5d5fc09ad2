import MeshIO
import MeshTLS
import MeshTLSIO
import MeshTestSupport
import Testing

/// `TLSStream` pairs joined by memory pipes: the handshake, data both ways, backpressure,
/// half-close, and every way a session is refused (none of which reaches `connectionActive`).
@Suite struct TLSStreamTests {
    let group: EventLoopGroup
    let loop: EventLoop
    let pki: TestPKI

    init() throws {
        group = try EventLoopGroup(threads: 1)
        loop = group.loops[0]
        pki = try TestPKI()
    }

    /// A pair for `client` and `server` (services of `pki`, or other contexts), not started.
    func makePair(client: TLSContext? = nil, server: TLSContext? = nil,
                  serverCheck: (@Sendable (PeerCertificate) -> String?)? = nil) throws -> LoopBound<TLSPair> {
        let clientContext = try client ?? pki.context(.client, "frontend")
        let serverContext = try server ?? pki.context(.server, "backend")
        let loop = self.loop
        let pair = onLoop(loop) {
            LoopBound(loop: loop, TLSPair(loop: loop, client: clientContext, server: serverContext, serverCheck: serverCheck))
        }
        return try #require(pair)
    }

    func run<T: Sendable>(_ pair: LoopBound<TLSPair>, _ body: @escaping @Sendable (TLSPair) -> T) -> T? {
        onLoop(loop) { body(pair.value) }
    }

    /// A pair whose apps keep what they receive as text, started and through its handshake.
    func startedPair(sourceLocation: SourceLocation = #_sourceLocation) throws -> LoopBound<TLSPair> {
        let pair = try makePair()
        _ = run(pair) { pair in
            pair.clientApp.keepText = true
            pair.serverApp.keepText = true
            pair.start()
        }
        #expect(eventually { pair.clientAppRecord.active == 1 && pair.serverAppRecord.active == 1 }, sourceLocation: sourceLocation)
        return pair
    }

    @Test func theHandshakeVerifiesBothSidesAndDataFlowsBothWays() throws {
        defer { group.shutdown() }
        let pair = try startedPair()
        let identities = run(pair) { ($0.client.peerCertificate?.uris, $0.server.peerCertificate?.uris, $0.client.isEstablished) }
        #expect(identities?.0 == [TestPKI.spiffe("backend")])
        #expect(identities?.1 == [TestPKI.spiffe("frontend")])
        #expect(identities?.2 == true)

        _ = run(pair) { pair in
            pair.client.write(Array("ping".utf8))
            pair.client.flush()
        }
        #expect(eventually { pair.serverAppRecord.text == "ping" })
        _ = run(pair) { pair in
            pair.server.appendOutbound { $0.append(contentsOf: "pong".utf8) }
            pair.server.flush()
        }
        #expect(eventually { pair.clientAppRecord.text == "pong" })
        let wire = run(pair) { $0.clientWire.sentTotal }
        #expect((wire ?? 0) > 0)
        #expect(pair.failures == [])
    }

    @Test func writesMadeBeforeTheHandshakeEndedAreSentAfterIt() throws {
        defer { group.shutdown() }
        let pair = try makePair()
        let before = run(pair) { pair -> Bool in
            pair.serverApp.keepText = true
            pair.client.write(Array("early ".utf8))
            pair.client.appendOutbound { $0.append(contentsOf: "bytes".utf8) }
            pair.client.flush()
            let established = pair.client.isEstablished
            pair.start()
            return established
        }
        #expect(before == false)
        #expect(eventually { pair.serverAppRecord.text == "early bytes" })
        #expect(pair.serverAppRecord.active == 1)
    }

    @Test func writesBeforeOneFlushLeaveAsOneRecord() throws {
        defer { group.shutdown() }
        let pair = try makePair()
        _ = run(pair) { pair in
            pair.clientApp.keepText = true
            pair.start()
        }
        #expect(eventually { pair.clientAppRecord.active == 1 && pair.serverAppRecord.active == 1 })
        // A response head, then its body in two writes, then one flush (as HTTP writes them).
        let head = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", body = "hello"
        let sent = run(pair) { pair -> Int in
            let before = pair.serverWire.sentTotal
            pair.server.appendOutbound { $0.append(contentsOf: head.utf8) }
            pair.server.write(Array(body.utf8.prefix(2)))
            pair.server.write(Array(body.utf8.dropFirst(2)))
            pair.server.flush()
            return pair.serverWire.sentTotal - before
        }
        // One TLS 1.3 record: a 5-byte header, the plaintext, its content type byte, a 16-byte tag.
        #expect(sent == head.utf8.count + body.utf8.count + 22)
        #expect(eventually { pair.clientAppRecord.text == head + body })
        #expect(pair.failures == [])
    }

    @Test func largeWritesArriveIntactBothWays() throws {
        defer { group.shutdown() }
        let pair = try makePair()
        _ = run(pair) { $0.start() }
        #expect(eventually { pair.clientAppRecord.active == 1 && pair.serverAppRecord.active == 1 })
        let size = 1 << 20
        // One write of 1 MiB (far more than a 16 KiB record and the 64 KiB buffers), then pieces.
        _ = run(pair) { pair in
            pair.client.write(patternBytes(size))
            pair.client.flush()
            var offset = 0
            while offset < size {
                let count = min(100_000, size - offset)
                pair.server.write(patternBytes(count, from: offset))
                pair.server.flush()
                offset += count
            }
        }
        #expect(eventually(within: 20) { pair.serverAppRecord.received == size && pair.clientAppRecord.received == size })
        #expect(pair.serverAppRecord.mismatches == 0)
        #expect(pair.clientAppRecord.mismatches == 0)
    }

    @Test func pausingStopsDeliveryAndPushesBackOnTheWriter() throws {
        defer { group.shutdown() }
        let pair = try makePair()
        _ = run(pair) { $0.start() }
        #expect(eventually { pair.clientAppRecord.active == 1 && pair.serverAppRecord.active == 1 })
        let size = 1 << 20
        let writable = run(pair) { pair -> (Bool, Bool) in
            pair.server.pauseReading()
            let before = pair.client.isWritable
            pair.client.write(patternBytes(size))
            pair.client.flush()
            return (before, pair.client.isWritable)
        }
        #expect(writable?.0 == true)
        #expect(writable?.1 == false, "1 MiB waiting at a paused reader is above the high-water mark")
        // Every delivery the write scheduled ran before this check (the loop runs in order).
        #expect(run(pair) { _ in true } == true)
        #expect(pair.serverAppRecord.received == 0)
        #expect(pair.clientAppRecord.writable == 0)

        _ = run(pair) { $0.server.resumeReading() }
        #expect(eventually(within: 20) { pair.serverAppRecord.received == size })
        #expect(pair.serverAppRecord.mismatches == 0)
        #expect(eventually { pair.clientAppRecord.writable >= 1 }, "connectionWritable is passed up")
        #expect(run(pair) { $0.client.isWritable } == true)
    }

    @Test func pausingFromInsideTheHandlerKeepsTheRestForLater() throws {
        defer { group.shutdown() }
        let pair = try makePair()
        _ = run(pair) { pair in
            pair.serverApp.keepText = true
            // Pause after the first delivery; the rest must wait, whole, for the resume.
            pair.serverApp.onReceived = { stream in
                stream.pauseReading()
            }
            pair.start()
        }
        #expect(eventually { pair.serverAppRecord.active == 1 })
        _ = run(pair) { pair in
            pair.client.write(Array("first".utf8))
            pair.client.flush()
        }
        #expect(eventually { pair.serverAppRecord.text == "first" })
        _ = run(pair) { pair in
            pair.client.write(Array("second".utf8))
            pair.client.flush()
        }
        #expect(run(pair) { _ in true } == true)
        #expect(pair.serverAppRecord.text == "first")
        _ = run(pair) { pair in
            pair.serverApp.onReceived = nil
            pair.server.resumeReading()
        }
        #expect(eventually { pair.serverAppRecord.text == "firstsecond" })
    }

    @Test func aStreamPausedBeforeTheHandshakeStillCompletesIt() throws {
        defer { group.shutdown() }
        let pair = try makePair()
        _ = run(pair) { pair in
            pair.serverApp.keepText = true
            pair.server.pauseReading()
            pair.client.write(Array("early".utf8))
            pair.start()
        }
        #expect(eventually { pair.clientAppRecord.active == 1 && pair.serverAppRecord.active == 1 })
        #expect(run(pair) { _ in true } == true)
        #expect(pair.serverAppRecord.received == 0, "paused: nothing delivered")
        _ = run(pair) { $0.server.resumeReading() }
        #expect(eventually { pair.serverAppRecord.text == "early" })
    }

    @Test func shutdownWriteSendsCloseNotifyAndTheOtherDirectionGoesOn() throws {
        defer { group.shutdown() }
        let pair = try startedPair()
        _ = run(pair) { pair in
            pair.client.write(Array("request".utf8))
            pair.client.shutdownWrite()
        }
        #expect(eventually { pair.serverAppRecord.eof })
        #expect(pair.serverAppRecord.text == "request")
        #expect(run(pair) { ($0.server.peerClosedWrite, $0.client.peerClosedWrite, $0.server.isClosed) } ?? (false, true, true) == (true, false, false))
        // The server still answers on its half.
        _ = run(pair) { pair in
            pair.server.write(Array("response".utf8))
            pair.server.shutdownWrite()
        }
        #expect(eventually { pair.clientAppRecord.eof })
        #expect(pair.clientAppRecord.text == "response")
        #expect(!pair.clientAppRecord.closed && !pair.serverAppRecord.closed)
        _ = run(pair) { pair in
            pair.client.close()
            pair.server.closeGracefully()
        }
        #expect(eventually { pair.clientAppRecord.closed && pair.serverAppRecord.closed })
        #expect(pair.clientAppRecord.closeError == nil && pair.serverAppRecord.closeError == nil)
    }

    @Test func garbageInsteadOfAHandshakeIsRefusedWithItsReason() throws {
        defer { group.shutdown() }
        let serverContext = try pki.context(.server, "backend")
        let failures = Shared<[String]>([])
        let setup = onLoop(loop) { [loop] in
            let (raw, wire) = MemoryStream.pair(on: loop)
            let rawApp = RecordingHandler()
            raw.handler = rawApp
            let server = TLSStream(lower: wire, context: serverContext)
            let app = RecordingHandler()
            server.handler = app
            server.onHandshakeFailure = { reason in failures.update { $0.append(reason) } }
            raw.activate()
            raw.write(Array("GET / HTTP/1.1\r\nhost: x\r\n\r\n".utf8))
            raw.flush()
            return LoopBound(loop: loop, (server, app, rawApp, wire))
        }
        let bound = try #require(setup)
        let app = bound.unsafeRecord { $0.1 }
        #expect(eventually { app.value.closed })
        #expect(app.value.active == 0 && app.value.received == 0)
        #expect(app.value.closeError?.hasPrefix("TLS handshake refused") == true)
        #expect(failures.value.count == 1)
        #expect(onLoop(loop) { bound.value.3.isClosed } == true, "the connection below is closed")
    }

    @Test func garbageAfterTheHandshakeClosesTheSession() throws {
        defer { group.shutdown() }
        let pair = try makePair()
        _ = run(pair) { $0.start() }
        #expect(eventually { pair.clientAppRecord.active == 1 && pair.serverAppRecord.active == 1 })
        _ = run(pair) { pair in
            // Bytes that are not a TLS record, straight onto the wire.
            pair.clientWire.write(Array(repeating: 0x41, count: 64))
            pair.clientWire.flush()
        }
        #expect(eventually { pair.serverAppRecord.closed })
        #expect(pair.serverAppRecord.closeError?.hasPrefix("TLS session failed") == true)
        #expect(pair.serverAppRecord.received == 0)
        #expect(pair.failures == [], "not a handshake failure")
    }

    @Test func aPeerTheCheckRefusesNeverBecomesActive() throws {
        defer { group.shutdown() }
        let pair = try makePair(serverCheck: { certificate in
            certificate.uris == [TestPKI.spiffe("reviews")] ? nil : "expected \(TestPKI.spiffe("reviews"))"
        })
        _ = run(pair) { pair in
            pair.client.write(Array("GET / HTTP/1.1\r\n\r\n".utf8))
            pair.start()
        }
        #expect(eventually { pair.serverAppRecord.closed })
        #expect(pair.serverAppRecord.active == 0 && pair.serverAppRecord.received == 0)
        #expect(pair.serverAppRecord.closeError?.contains("peer refused: expected spiffe://meshbed.local/ns/t/sa/reviews") == true)
        #expect(pair.failures.contains { $0.hasPrefix("server: peer refused") })
        #expect(run(pair) { $0.server.peerCertificate } ?? nil == nil)
        // The client hears the session end (the server's close_notify, then the connection's end).
        #expect(eventually { pair.clientAppRecord.eof || pair.clientAppRecord.closed })
        #expect(pair.clientAppRecord.received == 0)
    }

    @Test func clientsWithoutACertificateOrFromAnotherCAAreRefused() throws {
        let foreign = try TestPKI()
        let cases: [(String, TLSContext)] = [
            ("no certificate", try pki.context(.client, nil)),
            ("another CA", try TLSContext(configuration: TLSConfiguration(
                role: .client, credential: try foreign.credential("frontend"), trustedRoots: pki.issuer.root.certificateChain))),
        ]
        defer { group.shutdown() }
        for (name, context) in cases {
            let pair = try makePair(client: context)
            _ = run(pair) { $0.start() }
            #expect(eventually { pair.serverAppRecord.closed }, "\(name)")
            #expect(pair.serverAppRecord.active == 0, "\(name)")
            #expect(pair.serverAppRecord.closeError?.hasPrefix("TLS handshake refused") == true, "\(name)")
            #expect(pair.failures.contains { $0.hasPrefix("server: ") }, "\(name)")
        }
    }

    @Test func theHandshakeTimesOut() throws {
        defer { group.shutdown() }
        let serverContext = try pki.context(.server, "backend")
        let failures = Shared<[String]>([])
        let setup = onLoop(loop) { [loop] in
            let (raw, wire) = MemoryStream.pair(on: loop)
            let server = TLSStream(lower: wire, context: serverContext, handshakeTimeout: 50_000_000)
            let app = RecordingHandler()
            server.handler = app
            server.onHandshakeFailure = { reason in failures.update { $0.append(reason) } }
            raw.activate()
            return LoopBound(loop: loop, (server, app, raw))
        }
        let bound = try #require(setup)
        let app = bound.unsafeRecord { $0.1 }
        #expect(eventually { app.value.closed })
        #expect(app.value.active == 0)
        #expect(failures.value == ["TLS handshake timed out"])
    }
}

extension LoopBound {
    /// A Sendable part of the bound value (a record), read once on the loop.
    func unsafeRecord(_ pick: @escaping @Sendable (Value) -> RecordingHandler) -> Shared<StreamRecord> {
        let loop = self.loop
        return onLoop(loop) { pick(self.value).record }!
    }
}

extension LoopBound where Value == TLSPair {
    var clientAppRecord: StreamRecord { onLoop(loop) { self.value.clientApp.record }!.value }
    var serverAppRecord: StreamRecord { onLoop(loop) { self.value.serverApp.record }!.value }

    var failures: [String] { onLoop(loop) { self.value.failures }!.value }
}
