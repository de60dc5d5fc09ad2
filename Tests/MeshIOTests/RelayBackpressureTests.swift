import MeshIO
import MeshTestSupport
import Testing

/// One direction of a relay: bytes read from `source` are written to `sink`. When the
/// sink's pending bytes pass its high-water mark the source stops reading, and it
/// resumes when the sink drains: memory stays bounded however fast the sender is.
final class RelaySide: ByteStreamHandler {
    var peer: RelaySide?
    var connection: TCPConnection?
    let maxPending: Shared<Int>

    init(maxPending: Shared<Int>) { self.maxPending = maxPending }

    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        guard let sink = peer?.connection, !sink.isClosed else { return 0 }
        sink.write(bytes)
        sink.flush()
        let pending = sink.pendingOutboundBytes
        maxPending.update { $0 = max($0, pending) }
        if !sink.isWritable { connection.pauseReading() }
        return bytes.count
    }

    func connectionWritable(_ connection: any ByteStream) {
        peer?.connection?.resumeReading()
    }

    func connectionReadEOF(_ connection: any ByteStream) {
        peer?.connection?.shutdownWrite()
    }

    func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        peer?.connection?.close()
        peer = nil
    }
}

/// Reads everything, but only a little at a time: a slow consumer.
final class SlowReader: ByteStreamHandler, @unchecked Sendable {
    let total = Shared(0)
    var budget = 0
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        let take = min(bytes.count, budget)
        budget -= take
        total.update { $0 += take }
        if budget == 0 {
            connection.pauseReading()
            connection.loop.schedule(after: 1_000_000) { [self] in
                budget = 256 * 1024
                connection.resumeReading()
            }
        }
        return take
    }
    func connectionReadEOF(_ connection: any ByteStream) {}
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {}
}

@Suite struct RelayBackpressureTests {
    @Test func relayKeepsBuffersBoundedAgainstASlowReader() throws {
        let group = try EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let log = Shared<[String]>([])
        let upstream = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in EchoBack(log: log) }
        defer { upstream.close() }
        let maxPending = Shared(0)
        let upstreamAddress = upstream.address
        let relay = try TCPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { downstream in
            let inbound = RelaySide(maxPending: maxPending)
            let outbound = RelaySide(maxPending: maxPending)
            inbound.connection = downstream
            inbound.peer = outbound
            outbound.peer = inbound
            outbound.connection = try? TCPConnection.connect(to: upstreamAddress, on: downstream.loop, handler: outbound)
            return inbound
        }
        defer { relay.close() }

        let reader = SlowReader()
        reader.budget = 256 * 1024
        let size = 32 * 1024 * 1024
        let loop = group.loops[0]
        let chunk = [UInt8](repeating: 0x5A, count: 1024 * 1024)
        final class Sender: @unchecked Sendable {
            var sent = 0
            var connection: TCPConnection?
        }
        let sender = Sender()
        loop.execute {
            let connection = try! TCPConnection.connect(to: relay.address, on: loop, handler: reader)
            sender.connection = connection
            // Send as fast as the connection accepts, pausing at its own high-water mark.
            func pump() {
                while sender.sent < size, connection.isWritable {
                    connection.write(chunk)
                    sender.sent += chunk.count
                    connection.flush()
                }
                if sender.sent < size { loop.schedule(after: 500_000) { pump() } }
            }
            pump()
        }
        #expect(eventually(within: 60) { reader.total.value == size })
        // Every relay write buffer stayed near its high-water mark (256 KiB) plus one read (64 KiB).
        #expect(maxPending.value <= 256 * 1024 + 64 * 1024, "max pending \(maxPending.value)")
        #expect(maxPending.value >= 256 * 1024, "the relay never hit its high-water mark: backpressure untested")
        loop.execute { sender.connection?.close() }
    }
}
