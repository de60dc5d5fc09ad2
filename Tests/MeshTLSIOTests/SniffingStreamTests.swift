import MeshIO
import MeshTLS
import MeshTLSIO
import MeshTestSupport
import Testing

/// Permissive accepting in memory: the first bytes choose TLS or plaintext, and the bytes
/// looked at are handed on, whole, to whichever it is.
@Suite struct SniffingStreamTests {
    let group: EventLoopGroup
    let loop: EventLoop
    let pki: TestPKI

    init() throws {
        group = try EventLoopGroup(threads: 1)
        loop = group.loops[0]
        pki = try TestPKI()
    }

    /// A raw client end and a sniffing server end above which `app` records; `sent` pieces
    /// are flushed one loop turn apart.
    final class Setup {
        let raw: MemoryStream
        let wire: MemoryStream
        let sniffer: SniffingStream
        let app = RecordingHandler()
        let decisions = Shared<[SniffingStream.Transport]>([])

        init(loop: EventLoop, server: TLSContext, timeout: UInt64 = 10_000_000_000) {
            (raw, wire) = MemoryStream.pair(on: loop)
            let decisions = self.decisions
            sniffer = SniffingStream(lower: wire, timeout: timeout, onDecided: { transport in decisions.update { $0.append(transport) } }) {
                TLSStream(lower: $0, context: server)
            }
            sniffer.handler = app
            app.keepText = true
            raw.activate()
        }
    }

    func makeSetup(timeout: UInt64 = 10_000_000_000) throws -> LoopBound<Setup> {
        let server = try pki.context(.server, "backend")
        let loop = self.loop
        return try #require(onLoop(loop) { LoopBound(loop: loop, Setup(loop: loop, server: server, timeout: timeout)) })
    }

    func send(_ setup: LoopBound<Setup>, _ bytes: [UInt8]) {
        _ = onLoop(loop) {
            setup.value.raw.write(bytes)
            setup.value.raw.flush()
            return true
        }
    }

    func record(_ setup: LoopBound<Setup>) -> StreamRecord {
        onLoop(loop) { setup.value.app.record }!.value
    }

    @Test func plaintextArrivingAByteAtATimeIsHandedOnWhole() throws {
        defer { group.shutdown() }
        let setup = try makeSetup()
        // 0x16 alone could begin TLS: the sniffer waits for the second byte, losing nothing.
        send(setup, [0x16])
        #expect(onLoop(loop) { setup.value.sniffer.transport == nil } == true)
        #expect(record(setup).active == 0)
        send(setup, Array("plain".utf8))
        #expect(eventually { record(setup).text == "\u{16}plain" })
        #expect(record(setup).active == 1)
        #expect(setup.decisions == [.plaintext])
        send(setup, Array(" more".utf8))
        #expect(eventually { record(setup).text == "\u{16}plain more" })
    }

    @Test func aTLSClientGetsATLSSession() throws {
        defer { group.shutdown() }
        let setup = try makeSetup()
        let clientContext = try pki.context(.client, "frontend")
        let client = onLoop(loop) { [loop] () -> LoopBound<(TLSStream, RecordingHandler)> in
            // Replace the raw end's handler with a TLS client over it.
            let tls = TLSStream(lower: setup.value.raw, context: clientContext)
            let app = RecordingHandler()
            app.keepText = true
            tls.handler = app
            tls.write(Array("hello over tls".utf8))
            tls.connectionActive(setup.value.raw)
            return LoopBound(loop: loop, (tls, app))
        }
        let bound = try #require(client)
        #expect(eventually { record(setup).text == "hello over tls" })
        #expect(record(setup).active == 1)
        #expect(setup.decisions == [.tls])
        let peer = onLoop(loop) { setup.value.sniffer.tls?.peerCertificate?.uris }
        #expect(peer == [TestPKI.spiffe("frontend")])
        _ = onLoop(loop) {
            setup.value.sniffer.write(Array("answer".utf8))
            setup.value.sniffer.flush()
            return true
        }
        let clientRecord = onLoop(loop) { bound.value.1.record }!
        #expect(eventually { clientRecord.value.text == "answer" })
    }

    @Test func aConnectionThatSaysNothingIsClosedAfterTheTimeout() throws {
        defer { group.shutdown() }
        let setup = try makeSetup(timeout: 50_000_000)
        #expect(eventually { record(setup).closed })
        #expect(record(setup).active == 0)
        #expect(setup.decisions == [])
    }
}

extension LoopBound where Value == SniffingStreamTests.Setup {
    var decisions: [SniffingStream.Transport] { onLoop(loop) { self.value.decisions }!.value }
}
