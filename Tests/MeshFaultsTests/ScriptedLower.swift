import MeshFaults
import MeshIO

/// The loop the in-memory streams name (never run: time comes from a `ManualTimerScheduler`).
let idleLoop = try! EventLoop()

/// The stream under a `ToxicStream` in the tests, driven synchronously by the test: what is
/// flushed is recorded with the manual clock's time (one entry per flush), `receive` hands
/// bytes up at once (what the handler leaves stays buffered, as a TCP connection's), and the
/// way it was ended (half-closed, closed gracefully, closed, reset) is recorded.
final class ScriptedLower: ByteStream {
    /// One flush that sent bytes: when, and how many.
    struct Send: Equatable {
        var time: UInt64
        var count: Int
    }

    let loop = idleLoop
    var handler: (any ByteStreamHandler)?
    let clock: ManualTimerScheduler
    var isClosed = false
    /// What `isWritable` answers (a test turns it false to play a full socket).
    var writable = true
    var isWritable: Bool { writable && !isClosed }
    var peerClosedWrite = false
    private(set) var paused = false
    /// Every byte flushed, in order, and each flush.
    private(set) var sent: [UInt8] = []
    private(set) var sends: [Send] = []
    /// How and when the stream was ended: "shutdownWrite", "closeGracefully", "close", "reset".
    private(set) var endings: [(what: String, time: UInt64)] = []
    private var outbound: [UInt8] = []
    private var inbound: [UInt8] = []
    private var eofPending = false

    init(clock: ManualTimerScheduler) {
        self.clock = clock
    }

    /// Whether `what` happened to the stream.
    func ended(_ what: String) -> Bool { endings.contains { $0.what == what } }
    /// When `what` happened, if it did.
    func time(of what: String) -> UInt64? { endings.first { $0.what == what }?.time }

    // MARK: the test's side

    /// Bytes from the peer: offered to the handler now unless reading is paused.
    func receive(_ bytes: [UInt8]) {
        inbound.append(contentsOf: bytes)
        deliver()
    }

    /// The peer's end of stream, behind the bytes before it.
    func receiveEOF() {
        eofPending = true
        deliver()
    }

    /// Bytes received and not yet consumed by the handler.
    var unconsumed: Int { inbound.count }

    // MARK: ByteStream

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        outbound.append(contentsOf: bytes)
    }

    func appendOutbound(_ body: (inout [UInt8]) -> Void) {
        guard !isClosed else { return }
        body(&outbound)
    }

    func flush() {
        guard !isClosed, !outbound.isEmpty else { return }
        sent.append(contentsOf: outbound)
        sends.append(Send(time: clock.now, count: outbound.count))
        outbound.removeAll(keepingCapacity: true)
    }

    func pauseReading() { paused = true }

    func resumeReading() {
        paused = false
        deliver()
    }

    func shutdownWrite() {
        flush()
        endings.append(("shutdownWrite", clock.now))
    }

    func closeGracefully() {
        flush()
        endings.append(("closeGracefully", clock.now))
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        endings.append(("close", clock.now))
        finish()
    }

    func reset() {
        guard !isClosed else { return }
        isClosed = true
        endings.append(("reset", clock.now))
        finish()
    }

    private func finish() {
        outbound = []
        let handler = self.handler
        self.handler = nil
        handler?.connectionClosed(self, error: nil)
    }

    private func deliver() {
        while !inbound.isEmpty, !paused, !isClosed, let handler {
            let consumed = inbound.withUnsafeBytes { handler.connection(self, received: $0) }
            if isClosed { return }
            inbound.removeFirst(min(max(consumed, 0), inbound.count))
            if consumed <= 0 { break }
        }
        if eofPending, inbound.isEmpty, !paused, !isClosed, !peerClosedWrite {
            peerClosedWrite = true
            handler?.connectionReadEOF(self)
        }
    }
}
