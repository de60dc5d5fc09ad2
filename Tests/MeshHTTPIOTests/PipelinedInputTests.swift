import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Testing

/// Answers by path, the ways real handlers do:
///
/// - `/later`: on a later loop turn, as a proxy does once its upstream answered;
/// - `/early`: from `requestHead`, before the request ended, as a proxy's local 404 does
///   (a bodiless request: the connection then serves the next one, item 7);
/// - `/abort`: drops the connection at once;
/// - anything else: at once, from `requestEnd`.
final class ScriptedHandler: HTTPRequestHandler {
    private var path = ""

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        path = String(decoding: head.path, as: UTF8.self)
        if path == "/early" { exchange.respond(status: 404, body: Array("early".utf8)) }
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        switch path {
        case "/early":
            break
        case "/later":
            exchange.loop.schedule(after: 0) { [weak exchange] in exchange?.respond(status: 200, body: Array("later".utf8)) }
        case "/abort":
            exchange.abort()
        default:
            exchange.respond(status: 200, body: Array("now".utf8))
        }
    }
}

@Suite struct PipelinedInputTests {
    static func request(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: details\r\n\r\n" }

    /// Issue 7, item 1: a request followed by garbage (or by a request the handler answers by
    /// closing) in one read trapped in the connection's inbound delivery and killed the process.
    /// Each packet arrives in one write; the server must answer what it can, then still serve.
    /// Garbage and aborts end the connection; an early reply to a bodiless request keeps it
    /// open (item 7): every request of the packet is answered on it.
    @Test(arguments: [
        ("garbage after a request answered later", request("/later") + "XYZ\r\n\r\n", [200, 400], true),
        ("garbage after a request answered at once", request("/") + "XYZ\r\n\r\n", [200, 400], true),
        ("an early reply after a request answered later", request("/later") + request("/early"), [200, 404], false),
        ("an abort after a request answered later", request("/later") + request("/abort"), [200], true),
        ("garbage after two requests answered later", request("/later") + request("/later") + "\u{1}\r\n\r\n", [200, 200, 400], true),
        ("an early reply then more requests", request("/later") + request("/early") + request("/") + request("/later"), [200, 404, 200, 200], false),
    ])
    func onePacketLeavesTheServerServing(_ name: String, _ packet: String, _ expected: [Int], _ closes: Bool) throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in ScriptedHandler() }
        defer { server.shutdown(timeout: 5_000_000_000) }

        let reply = try rawExchange(server.address, Array(packet.utf8), responses: closes ? nil : expected.count)
        #expect(reply.closed == closes, "\(name): the server \(closes ? "did not close" : "closed")")
        #expect(reply.statuses == expected, "\(name)")
        #expect(normalRequestStatus(server.address) == 200, "\(name): no answer afterwards")
        #expect(eventually { server.connectionCount == 0 }, "\(name)")
    }

    /// RFC 9112 §9.6: a request pipelined behind `Connection: close` (or behind a local reply
    /// that closes) is never handed to a handler, so it has no effect upstream.
    @Test func nothingIsProcessedAfterAClosingExchange() throws {
        let group = try EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let heads = Shared(0)
        let server = try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!) { _ in CountingHandler(heads: heads) }
        defer { server.shutdown(timeout: 5_000_000_000) }
        let closing = "GET / HTTP/1.1\r\nHost: details\r\nConnection: close\r\n\r\n" + Self.request("/after")
        let reply = try rawExchange(server.address, Array(closing.utf8))
        #expect(reply.closed)
        #expect(reply.statuses == [200])
        #expect(heads.value == 1)
    }
}

/// Answers every request at once and counts the heads it was handed.
final class CountingHandler: HTTPRequestHandler {
    let heads: Shared<Int>
    init(heads: Shared<Int>) { self.heads = heads }

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        heads.update { $0 += 1 }
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        exchange.respond(status: 200, body: Array("ok".utf8))
    }
}
