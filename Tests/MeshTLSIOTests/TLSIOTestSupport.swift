import MeshIO
import MeshTLS
import MeshTLSIO
import MeshTestSupport

/// One end of a pipe in memory, behaving like a TCP connection to the other end: flushed
/// bytes arrive at the peer on a later loop turn, unconsumed bytes stay buffered, a paused
/// end stops delivering (and the writer sees its bytes pile up: `isWritable` turns false
/// above the high-water mark, `connectionWritable` comes once the reader caught up),
/// `shutdownWrite` is the peer's end of stream after the bytes before it.
final class MemoryStream: ByteStream {
    let loop: EventLoop
    var handler: (any ByteStreamHandler)?
    weak var peer: MemoryStream?
    var highWaterMark = 256 * 1024
    var lowWaterMark = 64 * 1024

    private var outbound: [UInt8] = []
    private var inbound: [UInt8] = []
    private var paused = false
    private var delivering = false
    private var eofPending = false
    private var eofDelivered = false
    private var writeShut = false
    private var aboveHighWater = false
    private(set) var isClosed = false
    /// Every byte this end sent (what the peer was given), for tests that inspect the wire.
    private(set) var sentTotal = 0

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// Two connected ends on `loop`.
    static func pair(on loop: EventLoop) -> (MemoryStream, MemoryStream) {
        let a = MemoryStream(loop: loop), b = MemoryStream(loop: loop)
        a.peer = b
        b.peer = a
        return (a, b)
    }

    /// Bytes written here and not yet consumed by the peer's handler.
    var pendingBytes: Int { outbound.count + (peer?.inbound.count ?? 0) }
    var isWritable: Bool { pendingBytes < highWaterMark }
    var peerClosedWrite: Bool { eofDelivered }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, !writeShut else { return }
        outbound.append(contentsOf: bytes)
        if pendingBytes >= highWaterMark { aboveHighWater = true }
    }

    func appendOutbound(_ body: (inout [UInt8]) -> Void) {
        guard !isClosed, !writeShut else { return }
        body(&outbound)
        if pendingBytes >= highWaterMark { aboveHighWater = true }
    }

    func flush() {
        guard !isClosed, !outbound.isEmpty, let peer, !peer.isClosed else { return }
        sentTotal += outbound.count
        peer.inbound.append(contentsOf: outbound)
        outbound.removeAll(keepingCapacity: true)
        peer.scheduleDelivery()
    }

    func pauseReading() { paused = true }

    func resumeReading() {
        paused = false
        scheduleDelivery()
    }

    func shutdownWrite() {
        guard !isClosed, !writeShut else { return }
        flush()
        writeShut = true
        peer?.eofPending = true
        peer?.scheduleDelivery()
    }

    func closeGracefully() {
        shutdownWrite()
        let me = LoopOnly(self)
        loop.execute { me.value.close() }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        inbound = []
        outbound = []
        if let peer, !peer.isClosed {
            peer.eofPending = true
            peer.scheduleDelivery()
        }
        let handler = self.handler
        self.handler = nil
        handler?.connectionClosed(self, error: nil)
    }

    /// Both ends report `connectionActive` (as a connect completing and an accept).
    func activate() {
        handler?.connectionActive(self)
        if let peer { peer.handler?.connectionActive(peer) }
    }

    private func scheduleDelivery() {
        let me = LoopOnly(self)
        loop.execute { me.value.deliver() }
    }

    private func deliver() {
        guard !delivering else { return }
        delivering = true
        while !inbound.isEmpty, !paused, !isClosed, let handler {
            var offered: [UInt8] = []
            swap(&offered, &inbound)
            let consumed = offered.withUnsafeBytes { handler.connection(self, received: $0) }
            if isClosed { break }
            offered.removeFirst(min(max(consumed, 0), offered.count))
            offered.append(contentsOf: inbound)
            swap(&offered, &inbound)
            peer?.drained()
            if consumed == 0 { break }
        }
        delivering = false
        if eofPending, !eofDelivered, !paused, !isClosed, inbound.isEmpty || handler == nil {
            eofDelivered = true
            handler?.connectionReadEOF(self)
        }
    }

    /// The peer consumed some of what this end sent.
    private func drained() {
        if aboveHighWater, pendingBytes < lowWaterMark {
            aboveHighWater = false
            handler?.connectionWritable(self)
        }
    }
}

/// Carries a loop-confined object into a task queued on its own loop (from that loop's thread).
struct LoopOnly<Value: AnyObject>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// What a handler above a stream saw, copied out for the test thread.
struct StreamRecord: Sendable {
    var active = 0
    var received = 0
    /// Received bytes that differ from the test pattern (byte i is i % 251).
    var mismatches = 0
    var text = ""
    var eof = false
    var closed = false
    var closeError: String?
    var writable = 0
}

/// Records a stream's events into `record`; consumes everything unless `consuming` is false.
final class RecordingHandler: ByteStreamHandler {
    let record = Shared(StreamRecord())
    var consuming = true
    /// Keeps the text of what arrived (small exchanges) instead of checking the pattern.
    var keepText = false
    var onActive: ((any ByteStream) -> Void)?
    var onReceived: ((any ByteStream) -> Void)?

    func connectionActive(_ connection: any ByteStream) {
        record.update { $0.active += 1 }
        onActive?(connection)
    }

    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        guard consuming else { return 0 }
        let keepText = self.keepText
        record.update { record in
            if keepText {
                record.text += String(decoding: bytes, as: UTF8.self)
            } else {
                for (index, byte) in bytes.enumerated() where byte != UInt8((record.received + index) % 251) {
                    record.mismatches += 1
                }
            }
            record.received += bytes.count
        }
        onReceived?(connection)
        return bytes.count
    }

    func connectionReadEOF(_ connection: any ByteStream) {
        record.update { $0.eof = true }
    }

    func connectionWritable(_ connection: any ByteStream) {
        record.update { $0.writable += 1 }
    }

    func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        record.update {
            $0.closed = true
            $0.closeError = error.map { "\($0.function)" }
        }
    }
}

/// `count` bytes of the test pattern starting at stream offset `offset`.
func patternBytes(_ count: Int, from offset: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8((offset + $0) % 251) }
}

/// A root and credentials for services, as the mesh's CA would issue them.
struct TestPKI: Sendable {
    let issuer: CertificateIssuer

    init() throws {
        issuer = try CertificateIssuer.generateRoot(lifetime: .seconds(3600))
    }

    static func spiffe(_ service: String) -> String { "spiffe://meshbed.local/ns/t/sa/\(service)" }

    func credential(_ service: String) throws -> PEMCredential {
        try issuer.issueCredential(spiffeID: Self.spiffe(service), lifetime: .seconds(600))
    }

    func context(_ role: TLSConfiguration.Role, _ service: String?) throws -> TLSContext {
        try TLSContext(configuration: TLSConfiguration(role: role, credential: service.map { try credential($0) },
                                                       trustedRoots: issuer.root.certificateChain))
    }
}

/// Two TLS streams joined by a memory pipe, each with a recording handler above it.
final class TLSPair {
    let clientWire: MemoryStream
    let serverWire: MemoryStream
    let client: TLSStream
    let server: TLSStream
    let clientApp = RecordingHandler()
    let serverApp = RecordingHandler()
    let failures = Shared<[String]>([])

    /// On `loop`'s thread.
    init(loop: EventLoop, client clientContext: TLSContext, server serverContext: TLSContext,
         serverCheck: ((PeerCertificate) -> String?)? = nil) {
        (clientWire, serverWire) = MemoryStream.pair(on: loop)
        client = TLSStream(lower: clientWire, context: clientContext)
        server = TLSStream(lower: serverWire, context: serverContext, peerCheck: serverCheck)
        client.handler = clientApp
        server.handler = serverApp
        let failures = self.failures
        client.onHandshakeFailure = { reason in failures.update { $0.append("client: \(reason)") } }
        server.onHandshakeFailure = { reason in failures.update { $0.append("server: \(reason)") } }
    }

    /// Starts the handshake (the wires become active).
    func start() {
        clientWire.activate()
    }
}
