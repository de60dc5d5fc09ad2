// libFuzzer entry point for whole HTTP/1.1 server connections: the bytes of each input go,
// cut into pieces, through a real loopback socket into a real `HTTPServer` on a real event
// loop (TCPConnection's delivery, HTTPServerConnection's state, the handler's callbacks).
// Built by fuzz-server-connection.sh with MeshCore, MeshIO, MeshHTTP, MeshHTTPIO and
// MeshEcho compiled as separate modules, so no package is involved.
//
// Input: byte 0 picks the server (bit 0: the echo app's real handler, or a scripted handler
// that answers the ways a proxy does: later, early, by aborting, streaming, pausing the
// body); byte 1 the piece size (1...64, or 0: one write); the rest is the stream. After each
// piece the driver waits for one loop turn, so pieces usually arrive as separate reads.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
//   - the process survives the input (the bug of issue 7, item 1, was a trap here);
//   - after the client's half-close the server closes the connection within 5 s;
//   - the server answers a normal request on a new connection afterwards;
//   - the scripted server's open-connection count returns to 0.

import MeshEcho
import MeshHTTP
import MeshHTTPIO
import MeshIO
import Synchronization

/// Answers by path, as the real handlers do: `/later` on a later loop turn (a proxy whose
/// upstream answered), `/early` from `requestHead` (a proxy's local error), `/abort` by
/// dropping the connection, `/stream` with 256 KiB chunked under backpressure, `/pause`
/// after pausing and resuming the request body; anything else at once.
final class FuzzHandler: HTTPRequestHandler {
    private var path: [UInt8] = []
    private var streamLeft = 0
    private static let piece = [UInt8](repeating: 0x61, count: 16 * 1024)

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        path = Array(head.path)
        if path == Array("/early".utf8) { exchange.respond(status: 404, body: Array("early\n".utf8)) }
        if path == Array("/pause".utf8) {
            exchange.pauseRequestBody()
            exchange.loop.schedule(after: 0) { [weak exchange] in exchange?.resumeRequestBody() }
        }
    }

    func requestBody(_ bytes: UnsafeRawBufferPointer, on exchange: HTTPServerConnection) {}

    func requestEnd(on exchange: HTTPServerConnection) {
        switch String(decoding: path, as: UTF8.self) {
        case "/early":
            break
        case "/later":
            exchange.loop.schedule(after: 0) { [weak exchange] in exchange?.respond(status: 200, body: Array("later\n".utf8)) }
        case "/abort":
            exchange.abort()
        case "/stream":
            streamLeft = 256 * 1024
            exchange.sendHead(status: 200, contentLength: nil)
            responseWritable(on: exchange)
        default:
            exchange.respond(status: 200, body: Array("now\n".utf8))
        }
    }

    func responseWritable(on exchange: HTTPServerConnection) {
        guard streamLeft > 0 else { return }
        while streamLeft > 0, exchange.isWritable {
            Self.piece.withUnsafeBytes { exchange.writeBody($0) }
            streamLeft -= Self.piece.count
        }
        if streamLeft <= 0 { exchange.endResponse() }
    }

    func exchangeAborted(on exchange: HTTPServerConnection) {
        streamLeft = 0
    }
}

/// The servers every input goes to, started once.
final class Servers: Sendable {
    let group: EventLoopGroup
    let scripted: HTTPServer
    let echo: EchoServer

    init() {
        group = try! EventLoopGroup(threads: 1)
        // Short timeouts so a stream that stops mid-head cannot hold a connection for long.
        let configuration = HTTPServerConfiguration(headerTimeout: 2_000_000_000, idleTimeout: 2_000_000_000)
        scripted = try! HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!, configuration: configuration) { _ in FuzzHandler() }
        echo = try! EchoServer(configuration: EchoConfiguration(), address: SocketAddress("127.0.0.1:0")!, group: group,
                               serverConfiguration: configuration)
    }

    /// Returns once the loop has run a task queued now (readable sockets are served first).
    func oneLoopTurn() {
        let flag = Flag()
        group.loops[0].execute { flag.done.store(true, ordering: .releasing) }
        while !flag.done.load(ordering: .acquiring) { Posix.sleep(nanoseconds: 20_000) }
    }
}

/// Set on the loop thread, read on the fuzzing thread.
final class Flag: Sendable {
    let done = Atomic<Bool>(false)
}

let servers = Servers()
let replyLimit = 4 * 1024 * 1024

/// One client connection: sends `pieces`, half-closes, reads until the server closes.
/// Returns the reply's status lines seen and whether the server closed.
func exchange(_ address: SocketAddress, _ bytes: ArraySlice<UInt8>, step: Int) -> (replyBytes: Int, closed: Bool, firstStatus: [UInt8]) {
    guard let fd = try? Posix.connect(to: address, timeoutNanoseconds: 2_000_000_000) else {
        preconditionFailure("cannot connect to the server under test")
    }
    defer { Posix.close(fd) }
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var received = 0
    var head: [UInt8] = []
    var closed = false
    func drain() {
        while !closed, received < replyLimit {
            let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(IOError) in try Posix.read(fd, into: raw) } }
            switch result {
            case .success(.processed(0)), .failure: closed = true
            case .success(.processed(let n)):
                if head.count < 12 { head += buffer[0..<min(n, 12 - head.count)] }
                received += n
            case .success(.wouldBlock): return
            }
        }
    }
    var offset = bytes.startIndex
    while offset < bytes.endIndex, !closed {
        let end = step == 0 ? bytes.endIndex : min(bytes.endIndex, offset + step)
        var sent = offset
        while sent < end, !closed {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(IOError) in try Posix.write(fd, UnsafeRawBufferPointer(rebasing: raw[(sent - bytes.startIndex)..<(end - bytes.startIndex)])) }
            }
            switch result {
            case .success(.processed(let n)): sent += n
            case .success(.wouldBlock):
                drain()
                _ = try? Posix.waitUntil(fd, writable: true, timeoutNanoseconds: 10_000_000)
            case .failure: closed = true
            }
        }
        offset = end
        servers.oneLoopTurn()
        drain()
    }
    // Let requests held behind a deferred answer run before the half-close ends them.
    servers.oneLoopTurn()
    servers.oneLoopTurn()
    drain()
    try? Posix.shutdown(fd, how: 1)
    let deadline = Posix.monotonicNanoseconds() + 5_000_000_000
    while !closed, received < replyLimit, Posix.monotonicNanoseconds() < deadline {
        _ = try? Posix.waitUntil(fd, timeoutNanoseconds: 100_000_000)
        drain()
    }
    return (received, closed, head)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerConnection(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let echo = input[0] & 1 == 1
    let step = Int(input[1] % 65)
    let address = echo ? servers.echo.address : servers.scripted.address
    let stream = Array(input[2...])[...]

    let reply = exchange(address, stream, step: step)
    precondition(reply.closed || reply.replyBytes >= replyLimit, "the server kept the connection open after the client's half-close")

    let normal = Array("GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n".utf8)[...]
    let check = exchange(address, normal, step: 0)
    precondition(check.firstStatus.starts(with: Array("HTTP/1.1 200".utf8)), "no answer to a normal request after the input")

    if !echo {
        let deadline = Posix.monotonicNanoseconds() + 5_000_000_000
        while servers.scripted.connectionCount > 0, Posix.monotonicNanoseconds() < deadline {
            Posix.sleep(nanoseconds: 100_000)
        }
        precondition(servers.scripted.connectionCount == 0, "a closed connection is still counted")
    }
    return 0
}
