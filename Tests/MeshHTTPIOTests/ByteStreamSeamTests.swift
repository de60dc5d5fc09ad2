import MeshHTTP
@testable import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Testing

/// The seam under HTTP: the HTTP server runs on any `ByteStream`, not only on a TCP
/// connection, so TLS (and L4 fault stages) can sit between the socket and HTTP without the
/// codec knowing. Here it runs on bytes in memory.
@Suite struct ByteStreamSeamTests {
    /// A stream whose bytes stay in memory: what the server writes is kept, what the test
    /// offers is delivered to the server as if it had arrived.
    final class MemoryStream: ByteStream {
        let loop: EventLoop
        var handler: (any ByteStreamHandler)?
        private(set) var sent: [UInt8] = []
        private(set) var flushes = 0
        private(set) var pauses = 0
        private(set) var resumes = 0
        private(set) var isClosed = false
        var isWritable: Bool { true }
        var peerClosedWrite: Bool { false }

        init(loop: EventLoop) {
            self.loop = loop
        }

        func write(_ bytes: UnsafeRawBufferPointer) { sent.append(contentsOf: bytes) }
        func appendOutbound(_ body: (inout [UInt8]) -> Void) { body(&sent) }
        func flush() { flushes += 1 }
        func pauseReading() { pauses += 1 }
        func resumeReading() { resumes += 1 }
        func shutdownWrite() {}
        func closeGracefully() { close() }
        func close() {
            guard !isClosed else { return }
            isClosed = true
            handler?.connectionClosed(self, error: nil)
        }

        /// Offers `bytes` to the handler; returns how many it consumed.
        func receive(_ bytes: [UInt8]) -> Int {
            bytes.withUnsafeBytes { handler?.connection(self, received: $0) ?? 0 }
        }
    }

    /// Answers each request later, when the test says so (as a proxy does once its upstream answered).
    final class LaterHandler: HTTPRequestHandler {
        private(set) var heads = 0
        private var exchange: HTTPServerConnection?

        func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
            heads += 1
            self.exchange = exchange
        }

        func requestEnd(on exchange: HTTPServerConnection) {}

        func pause() { exchange?.pauseRequestBody() }

        func answer() {
            exchange?.respond(status: 200, body: Array("ok".utf8))
            exchange = nil
        }
    }

    @Test func aResponseEndingResumesTheStreamOnlyWhenSomethingWaits() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let counts = onLoop(loop) { () -> [Int] in
            let stream = MemoryStream(loop: loop)
            let handler = LaterHandler()
            let server = HTTPServerConnection(stream: stream, configuration: HTTPServerConfiguration(), handler: handler, tracker: nil)
            stream.handler = server
            server.connectionActive(stream)
            let one = Array("GET /a HTTP/1.1\r\nhost: x\r\n\r\n".utf8)
            // A request read whole, answered later: nothing to offer again, no resume.
            let consumed1 = stream.receive(one)
            handler.answer()
            let resumesAfterOne = stream.resumes
            // A request with the next one pipelined behind it: that one waits in the stream,
            // which is resumed (to offer it again) once the first response ended.
            let consumed2 = stream.receive(one + one)
            handler.answer()
            let resumesAfterPipelined = stream.resumes
            let again = stream.receive(one)  // the stream offers the waiting request again
            handler.answer()
            // A request whose handler paused the stream (body backpressure): resumed at its end.
            _ = stream.receive(one)
            handler.pause()
            handler.answer()
            return [consumed1 == one.count ? 1 : 0, resumesAfterOne, consumed2 == one.count ? 1 : 0, resumesAfterPipelined,
                    again == one.count ? 1 : 0, stream.pauses, stream.resumes, handler.heads]
        }
        #expect(counts == [1, 0, 1, 1, 1, 1, 2, 4])
    }

    @Test func theServerSpeaksHTTPOverAnyStream() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let stats = Shared(ServerRecord())
        let answer = onLoop(loop) { () -> String in
            let stream = MemoryStream(loop: loop)
            let server = HTTPServerConnection(stream: stream, configuration: HTTPServerConfiguration(),
                                              handler: TestRequestHandler(stats: stats), tracker: nil)
            stream.handler = server
            server.connectionActive(stream)
            let request = Array("GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".utf8)
            let consumed = stream.receive(request)
            return "\(consumed == request.count) \(stream.isClosed) " + String(decoding: stream.sent, as: UTF8.self)
        }
        let text = try #require(answer)
        #expect(text.hasPrefix("true true HTTP/1.1 200 OK\r\n"), "both requests consumed, closed after the second")
        #expect(text.contains("path=/a") && text.contains("path=/b"))
        #expect(text.components(separatedBy: "HTTP/1.1 200").count == 3)
        #expect(stats.value.requests == ["GET /a", "GET /b"])
    }
}
