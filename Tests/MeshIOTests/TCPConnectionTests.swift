import MeshIO
import MeshTestSupport
import Testing

/// Echoes whatever it receives; optionally stops consuming (to exercise backpressure).
final class EchoBack: ByteStreamHandler {
    let log: Shared<[String]>
    init(log: Shared<[String]>) { self.log = log }
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        connection.write(bytes)
        return bytes.count
    }
    func connectionReadEOF(_ connection: any ByteStream) {
        log.update { $0.append("server-eof") }
        connection.shutdownWrite()  // half-close answered with our own FIN after pending bytes
    }
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        log.update { $0.append("server-closed") }
    }
}

/// Collects what the client side receives.
final class Collector: ByteStreamHandler, @unchecked Sendable {
    let received = Shared<[UInt8]>([])
    let events = Shared<[String]>([])
    var consume = true
    func connectionActive(_ connection: any ByteStream) { events.update { $0.append("active") } }
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        guard consume else { return 0 }
        received.update { $0.append(contentsOf: bytes) }
        return bytes.count
    }
    func connectionReadEOF(_ connection: any ByteStream) { events.update { $0.append("eof") } }
    func connectionWritable(_ connection: any ByteStream) { events.update { $0.append("writable") } }
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        events.update { $0.append(error == nil ? "closed" : "closed-error") }
    }
}

/// Resets the connection as soon as bytes arrive.
final class ResetOnData: ByteStreamHandler {
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        connection.reset()
        return bytes.count
    }
    func connectionReadEOF(_ connection: any ByteStream) {}
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {}
}

final class Box<T>: @unchecked Sendable { var value: T; init(_ value: T) { self.value = value } }

@Suite struct TCPConnectionTests {
    @Test func echoRoundTripAndHalfClose() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let log = Shared<[String]>([])
        let server = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in EchoBack(log: log) }
        defer { server.close() }
        let collector = Collector()
        let loop = group.loops[0]
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        loop.execute {
            let connection = try! TCPConnection.connect(to: server.address, on: loop, handler: collector)
            connection.write(payload)
            connection.shutdownWrite()  // half-close: the server still answers everything
        }
        #expect(eventually { collector.events.value.contains("eof") })
        #expect(collector.received.value == payload)
        #expect(eventually { log.value.contains("server-eof") })
        #expect(collector.events.value.first == "active")
    }

    /// `reset()` closes abortively: the peer's read fails (ECONNRESET) instead of ending in order,
    /// and the bytes the resetting side had not sent never arrive.
    @Test func resetIsAnAbortiveClose() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let server = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in ResetOnData() }
        defer { server.close() }
        let collector = Collector()
        let loop = group.loops[0]
        loop.execute {
            let connection = try! TCPConnection.connect(to: server.address, on: loop, handler: collector)
            connection.write([1, 2, 3])
        }
        #expect(eventually { collector.events.value.contains("closed-error") })
        #expect(!collector.events.value.contains("eof"))
    }

    @Test func connectRefusedReportsError() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        // Bind then close to find a port nobody listens on.
        let probe = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in Collector() }
        let address = probe.address
        probe.close()  // runs on the loop before the task below: tasks run in order
        let collector = Collector()
        let loop = group.loops[0]
        loop.execute {
            _ = try? TCPConnection.connect(to: address, on: loop, handler: collector)
        }
        #expect(eventually { collector.events.value.contains("closed-error") })
        #expect(!collector.events.value.contains("active"))
    }

    @Test func backpressurePausesAndResumes() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let log = Shared<[String]>([])
        let server = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in EchoBack(log: log) }
        defer { server.close() }
        let collector = Collector()
        collector.consume = false
        let loop = group.loops[0]
        let connectionBox = Box<TCPConnection?>(nil)
        let chunk = [UInt8](repeating: 7, count: 64 * 1024)
        let writableBefore = Shared(true)
        loop.execute {
            let connection = try! TCPConnection.connect(to: server.address, on: loop, handler: collector)
            connectionBox.value = connection
            // Far more than the socket buffers hold while nobody reads the echo.
            for _ in 0..<160 { connection.write(chunk) }
            connection.flush()
            writableBefore.update { $0 = connection.isWritable }
        }
        #expect(eventually { !writableBefore.value || collector.events.value.contains("active") })
        #expect(writableBefore.value == false)
        // The client is not consuming, so the inbound buffer stops at its limit and the
        // server's writes stall: bounded memory on both sides.
        let pending = Shared(0)
        #expect(eventually(within: 30) {
            loop.execute { pending.update { $0 = connectionBox.value!.pendingOutboundBytes } }
            return pending.value > 0
        })
        loop.execute {
            collector.consume = true
            connectionBox.value!.resumeReading()
        }
        #expect(eventually { collector.received.value.count == 160 * chunk.count })
        #expect(collector.events.value.contains("writable"))
        loop.execute { connectionBox.value!.close() }
        #expect(eventually { collector.events.value.contains("closed") })
    }
}

/// Holds the first bytes (consumes nothing, pauses), resumes itself on the next loop turn,
/// and then ends the connection from inside that delivery of the buffered bytes.
final class EndsWhileDelivering: ByteStreamHandler, @unchecked Sendable {
    enum Ending: Sendable { case close, closeGracefully, consumeOneByteAtATime }
    let ending: Ending
    let seen = Shared<[UInt8]>([])
    private var held = true

    init(_ ending: Ending) { self.ending = ending }

    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        if held {
            held = false
            connection.pauseReading()
            connection.loop.schedule(after: 0) { connection.resumeReading() }
            return 0
        }
        switch ending {
        case .close:
            seen.update { $0.append(contentsOf: bytes) }
            connection.close()
        case .closeGracefully:
            seen.update { $0.append(contentsOf: bytes) }
            connection.write(Array("bye".utf8))
            connection.closeGracefully()
        case .consumeOneByteAtATime:
            // Re-enters the connection while it delivers: pause and resume from the callback.
            seen.update { $0.append(bytes[0]) }
            connection.pauseReading()
            connection.resumeReading()
            if bytes.count == 1 { connection.closeGracefully() }
            return 1
        }
        return bytes.count
    }
    func connectionReadEOF(_ connection: any ByteStream) { connection.close() }
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {}
}

@Suite struct InboundDeliveryTests {
    /// Issue 7, item 1: a handler that closes, or starts lingering, while buffered bytes are
    /// delivered must not make the connection drop those bytes from a buffer already emptied
    /// (that trapped and killed the process). The listener must go on serving afterwards.
    @Test(arguments: [EndsWhileDelivering.Ending.close, .closeGracefully, .consumeOneByteAtATime])
    func handlerEndingTheConnectionDuringDelivery(_ ending: EndsWhileDelivering.Ending) throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let handlers = Shared<[EndsWhileDelivering]>([])
        let server = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in
            let handler = EndsWhileDelivering(ending)
            handlers.update { $0.append(handler) }
            return handler
        }
        defer { server.close() }
        let payload = Array("hello, world".utf8)
        for round in 0..<2 {
            let reply = try rawExchange(server.address, payload)
            #expect(reply.closed, "round \(round): not closed")
            #expect(reply.text == (ending == .closeGracefully ? "bye" : ""), "round \(round)")
            #expect(handlers.value.count == round + 1)
            #expect(handlers.value.last?.seen.value == payload, "round \(round): bytes lost or repeated")
        }
    }
}
