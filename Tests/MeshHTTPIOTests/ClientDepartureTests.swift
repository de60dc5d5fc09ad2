import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Testing

/// A handler that never answers, counting aborted exchanges.
final class NeverAnswers: HTTPRequestHandler {
    let aborted: Shared<Int>
    init(aborted: Shared<Int>) { self.aborted = aborted }
    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {}
    func requestEnd(on exchange: HTTPServerConnection) {}
    func exchangeAborted(on exchange: HTTPServerConnection) { aborted.update { $0 += 1 } }
}

/// Sends one request, then closes (a polite FIN, nothing unread).
final class SendAndLeave: ByteStreamHandler {
    func connectionActive(_ connection: any ByteStream) {
        connection.write(Array("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        connection.flush()
        connection.loop.schedule(after: 20_000_000) { connection.close() }
    }
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int { bytes.count }
    func connectionReadEOF(_ connection: any ByteStream) {}
    func connectionClosed(_ connection: any ByteStream, error: IOError?) {}
}

@Suite struct ClientDepartureTests {
    /// A client that leaves before any response frees the server's connection and tells the
    /// handler, instead of holding both until a response that nobody will read.
    @Test func politeCloseBeforeTheResponseAbortsTheExchange() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let aborted = Shared(0)
        let server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in NeverAnswers(aborted: aborted) }
        let loop = group.loops[0]
        loop.execute { _ = try? TCPConnection.connect(to: server.address, on: loop, handler: SendAndLeave()) }
        #expect(eventually { aborted.value == 1 })
        #expect(eventually { server.connectionCount == 0 })
        // Nothing is open any more: shutdown returns at once (the timeout is only a safety net).
        #expect(server.shutdown(timeout: 60_000_000_000))
    }
}
