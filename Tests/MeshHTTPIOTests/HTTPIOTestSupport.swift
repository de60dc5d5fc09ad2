import Glibc
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshTestSupport
import Synchronization


/// A serialized HTTP/1.1 request with no body.
func requestBytes(_ method: String = "GET", _ path: String) -> [UInt8] {
    Array("\(method) \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\nuser-agent: meshbed-tests\r\n\r\n".utf8)
}

// MARK: checksums

/// FNV-1a, 64 bit: a cheap order-sensitive checksum for streamed bodies.
struct FNV1a: Sendable, Equatable {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var hash = value
        for i in 0..<bytes.count {
            hash ^= UInt64(base[i])
            hash &*= 0x0000_0100_0000_01b3
        }
        value = hash
    }
}

/// The test stream: byte `offset` is `offset % 251` (251 is prime, so the pattern never
/// lines up with power-of-two piece sizes and a dropped or repeated piece shows).
enum StreamPattern {
    static let period = 251
    /// Longest run compared or written in one go.
    static let window = 64 * 1024
    /// The pattern from phase 0, long enough for any window at any phase.
    static let table: [UInt8] = (0..<(window + period)).map { UInt8(truncatingIfNeeded: $0 % period) }

    /// Calls `body` with the pattern bytes `offset..<offset+count` (count <= window).
    static func withBytes<T>(at offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        precondition(count <= window)
        let phase = offset % period
        return table.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[phase..<(phase + count)])) }
    }

    /// How many of `bytes`, received at stream `offset`, differ from the pattern.
    static func mismatches(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        var total = 0
        var done = 0
        while done < bytes.count {
            let count = min(window, bytes.count - done)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[done..<(done + count)])
            total += withBytes(at: offset + done, count: count) { expected in
                if memcmp(piece.baseAddress!, expected.baseAddress!, count) == 0 { return 0 }
                return (0..<count).reduce(0) { $0 + (piece[$1] == expected[$1] ? 0 : 1) }
            }
            done += count
        }
        return total
    }
}

// MARK: client side

/// What the client saw of one or more exchanges.
struct ClientRecord: Sendable {
    var statuses: [Int] = []
    var bodies: [[UInt8]] = []
    var contentLengths: [String?] = []
    var framings: [HTTPBodyFraming] = []
    var keepAlives: [Bool] = []
    var ends = 0
    var failures: [HTTPClientError] = []
}

/// Records responses on the client side; callbacks come on the connection's loop.
final class ResponseRecorder: HTTPClientResponseHandler, Sendable {
    let record = Shared(ClientRecord())
    /// Called on the loop after a response ended (e.g. to check the connection in).
    let onEnd: (@Sendable (HTTPClientConnection) -> Void)?

    init(onEnd: (@Sendable (HTTPClientConnection) -> Void)? = nil) {
        self.onEnd = onEnd
    }

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        let length = head.headers.firstString("content-length")
        record.update {
            $0.statuses.append(head.status)
            $0.bodies.append([])
            $0.contentLengths.append(length)
            $0.framings.append(head.framing)
            $0.keepAlives.append(head.keepAlive)
        }
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {
        record.update { $0.bodies[$0.bodies.count - 1].append(contentsOf: bytes) }
    }

    func responseEnd(on connection: HTTPClientConnection) {
        record.update { $0.ends += 1 }
        onEnd?(connection)
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        record.update { $0.failures.append(error) }
    }
}

/// Receives a large body without keeping it: length, checksum and pattern mismatches.
struct StreamRecord: Sendable {
    var status = 0
    var framing: HTTPBodyFraming = .none
    var length = 0
    var checksum = FNV1a()
    var mismatches = 0
    var pieces = 0
    var ended = false
    var failure: HTTPClientError?
}

final class StreamRecorder: HTTPClientResponseHandler, Sendable {
    let record = Shared(StreamRecord())

    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection) {
        record.update {
            $0.status = head.status
            $0.framing = head.framing
        }
    }

    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {
        record.update { record in
            record.mismatches += StreamPattern.mismatches(in: bytes, at: record.length)
            record.length += bytes.count
            record.pieces += 1
            record.checksum.update(bytes)
        }
    }

    func responseEnd(on connection: HTTPClientConnection) {
        record.update { $0.ended = true }
    }

    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection) {
        record.update { $0.failure = error }
    }
}

// MARK: server side

/// What the test server saw, across all its connections.
struct ServerRecord: Sendable {
    var connections = 0
    var requests: [String] = []
    var slowHeadSeen = false
    var writableCallbacks = 0
    var streamedBytes = 0
    var aborted = 0
}

/// A small router for tests, one instance per server connection:
///
/// - `/stream?bytes=N`: N pattern bytes, chunked (no content length), written only while
///   the connection is writable and resumed on `responseWritable`.
/// - `/slow`: answers `slow` when the test releases it (`HeldResponses.release`).
/// - `/never`: never answers.
/// - anything else: `path=<target>` with a content length (HEAD gets the same head, no body).
final class TestRequestHandler: HTTPRequestHandler {
    static let streamPiece = 48 * 1024 + 7  // not a power of two: pieces straddle the pattern

    private let stats: Shared<ServerRecord>
    private var target = ""
    private var streamRemaining = 0
    private var streamOffset = 0
    private let held: HeldResponses?

    init(stats: Shared<ServerRecord>, held: HeldResponses? = nil) {
        self.stats = stats
        self.held = held
    }

    func requestHead(_ head: HTTPRequestHead, on exchange: HTTPServerConnection) {
        target = String(decoding: head.target, as: UTF8.self)
        let method = String(decoding: head.methodBytes, as: UTF8.self)
        let path = String(decoding: head.path, as: UTF8.self)
        stats.update {
            $0.requests.append("\(method) \(target)")
            if path == "/slow" { $0.slowHeadSeen = true }
        }
    }

    func requestEnd(on exchange: HTTPServerConnection) {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        switch path {
        case "/stream":
            let query = target.split(separator: "=", maxSplits: 1)
            streamRemaining = query.count == 2 ? Int(query[1]) ?? 0 : 0
            streamOffset = 0
            exchange.sendHead(status: 200, contentLength: nil)
            writeStream(on: exchange)
        case "/slow":
            held?.hold(on: exchange.loop) { [weak exchange] in exchange?.respond(status: 200, body: Array("slow".utf8)) }
        case "/never":
            break
        default:
            exchange.respond(status: 200, headers: { out in
                out.append(contentsOf: "x-test: yes\r\n".utf8)
            }, body: Array("path=\(target)".utf8))
        }
    }

    func responseWritable(on exchange: HTTPServerConnection) {
        stats.update { $0.writableCallbacks += 1 }
        if streamRemaining > 0 { writeStream(on: exchange) }
    }

    func exchangeAborted(on exchange: HTTPServerConnection) {
        streamRemaining = 0
        stats.update { $0.aborted += 1 }
    }

    private func writeStream(on exchange: HTTPServerConnection) {
        var written = 0
        while streamRemaining > 0, exchange.isWritable {
            let count = min(streamRemaining, Self.streamPiece)
            StreamPattern.withBytes(at: streamOffset, count: count) { exchange.writeBody($0) }
            streamOffset += count
            streamRemaining -= count
            written += count
        }
        stats.update { $0.streamedBytes += written }
        if streamRemaining == 0 { exchange.endResponse() }
    }
}

/// An in-process HTTP server on 127.0.0.1:0 with `TestRequestHandler`, counting connections.
func makeTestServer(group: EventLoopGroup, configuration: HTTPServerConfiguration = .init(),
                    stats: Shared<ServerRecord>, held: HeldResponses? = nil) throws(IOError) -> HTTPServer {
    try HTTPServer(group: group, address: SocketAddress("127.0.0.1:0")!, configuration: configuration) { _ in
        stats.update { $0.connections += 1 }
        return TestRequestHandler(stats: stats, held: held)
    }
}

/// Responses a handler holds until the test lets them go: the test decides when an exchange
/// ends (an event), instead of racing a timer.
final class HeldResponses: Sendable {
    /// One held response; its closure runs only on its loop.
    private struct Entry: @unchecked Sendable {
        let loop: EventLoop
        let respond: () -> Void
    }
    private let entries = Mutex<[Entry]>([])

    /// Holds `respond` (called on `loop`'s thread) until `release`.
    func hold(on loop: EventLoop, _ respond: @escaping () -> Void) {
        let entry = Entry(loop: loop, respond: respond)
        entries.withLock { $0.append(entry) }
    }

    /// Responses held now.
    var count: Int { entries.withLock { $0.count } }

    /// Sends every held response, each on its loop.
    func release() {
        let taken = entries.withLock { entries -> [Entry] in
            let taken = entries
            entries = []
            return taken
        }
        for entry in taken { entry.loop.execute { entry.respond() } }
    }
}
