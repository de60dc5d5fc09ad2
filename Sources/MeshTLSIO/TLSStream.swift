import MeshIO
import MeshTLS

/// A TLS 1.3 session as a byte stream: plaintext to the layer above (HTTP), ciphertext on
/// the stream below (a `TCPConnection`, or any `ByteStream`, so tests run it in memory).
///
///     HTTPServerConnection / HTTPClientConnection      (plaintext)
///                │ write, flush, pause ... ▲ connectionActive, received, EOF, closed
///            TLSStream ── TLSEngine (memory BIOs)
///                │ ciphertext              ▲ ciphertext
///     lower ByteStream (TCPConnection)
///
/// The handler above hears `connectionActive` only once the handshake completed and the
/// verified peer certificate passed `peerCheck`; a handshake that fails (a refused or missing
/// certificate, garbage, a refused peer, a timeout) closes the lower stream and the handler
/// hears only `connectionClosed`, with `IOError.protocolFailure(reason)`. Plaintext written
/// before the handshake ended is kept and sent once it has. A client starts the handshake
/// when the lower stream becomes active; a server waits for the ClientHello.
///
/// Plaintext written while the session is active is encrypted together when it is sent: on
/// `flush`, before close_notify, and before control returns to the lower stream from any of
/// its events (whose end flushes it, as a `TCPConnection` does after a read). So a response
/// head and its body written one after the other leave as one TLS record, not one each
/// (each record costs a seal and an open, and 22 bytes).
///
/// Decrypted bytes go into one reused buffer; what the handler leaves unconsumed is offered
/// again with the next bytes. Pausing stops decrypting and pauses the lower stream;
/// `isWritable` follows the lower stream's and `connectionWritable` is passed up.
/// `shutdownWrite` sends close_notify, then half-closes the lower stream; the peer's
/// close_notify (or the lower stream's end) is `connectionReadEOF` above.
/// Used on its loop's thread only (as the engine and the lower stream).
public final class TLSStream: ByteStream, ByteStreamHandler {
    private enum Phase {
        case handshaking
        case active
        case closed
    }

    /// The loop the stream (and its lower stream) lives on.
    public let loop: EventLoop
    /// Who hears the plaintext side's events.
    public var handler: ByteStreamHandler?
    /// The stream the ciphertext travels on.
    public let lower: any ByteStream
    /// Which end of the handshake this stream plays.
    public let role: TLSConfiguration.Role
    /// The verified peer's certificate, once the handshake completed and the check passed.
    public private(set) var peerCertificate: PeerCertificate?
    /// Why the session failed (handshake refused, bad record, refused peer), if it did.
    public private(set) var failureReason: String?
    /// Told the reason of every refused handshake (for counting and logging rejections).
    public var onHandshakeFailure: ((String) -> Void)?

    /// Plaintext buffered while the handshake runs above which `isWritable` is false.
    public static let pendingHighWaterMark = 256 * 1024
    /// Reused buffers larger than this are released once empty.
    static let retainedBufferCapacity = 64 * 1024

    private let engine: TLSEngine?
    private let setupError: String?
    private let peerCheck: ((PeerCertificate) -> String?)?
    private var phase = Phase.handshaking
    /// Plaintext written before the handshake completed.
    private var pending: [UInt8] = []
    /// Plaintext written while active and not yet encrypted (reused).
    private var staging: [UInt8] = []
    /// Decrypted bytes not yet consumed by the handler (reused), from `inboundOffset`.
    private var inbound: [UInt8] = []
    private var inboundOffset = 0
    private var readingPaused = false
    private var delivering = false
    private var redeliver = false
    private var lowerEOF = false
    private var eofDelivered = false
    private var shutdownRequested = false
    private var closeRequested = false
    private var closeNotifySent = false
    private var closedNotified = false
    private var closeError: IOError?
    private var timer: TimerID?

    /// A session playing `context`'s role over `lower` (which it becomes the handler of), on
    /// `lower`'s loop thread. `peerCheck` returns why a verified peer is refused (nil: accepted);
    /// the handshake must complete within `handshakeTimeout` nanoseconds.
    public init(lower: any ByteStream, context: TLSContext, peerCheck: ((PeerCertificate) -> String?)? = nil,
                handshakeTimeout: UInt64 = 10_000_000_000) {
        loop = lower.loop
        self.lower = lower
        role = context.role
        self.peerCheck = peerCheck
        do {
            engine = try TLSEngine(context: context)
            setupError = nil
        } catch {
            engine = nil
            setupError = "\(error)"
        }
        lower.handler = self
        timer = loop.schedule(after: handshakeTimeout) { [weak self] in
            guard let self, self.phase == .handshaking else { return }
            self.timer = nil
            self.fail("TLS handshake timed out")
        }
    }

    /// Opens a TCP connection to `address` on `loop` (call on its thread) and runs a client
    /// session over it.
    public static func connect(to address: SocketAddress, on loop: EventLoop, context: TLSContext,
                               peerCheck: ((PeerCertificate) -> String?)? = nil) throws(IOError) -> TLSStream {
        TLSStream(lower: try TCPConnection.connect(to: address, on: loop, handler: nil), context: context, peerCheck: peerCheck)
    }

    /// Whether the handshake completed and the peer was accepted (and the stream is open).
    public var isEstablished: Bool { phase == .active }

    // MARK: ByteStream (the plaintext side)

    public var isClosed: Bool { phase == .closed }
    public var isWritable: Bool { phase != .closed && lower.isWritable && pending.count < Self.pendingHighWaterMark }
    public var peerClosedWrite: Bool { eofDelivered }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !shutdownRequested else { return }
        switch phase {
        case .closed: return
        case .handshaking: pending.appendBytes(bytes)
        case .active: staging.appendBytes(bytes)
        }
    }

    public func appendOutbound(_ body: (inout [UInt8]) -> Void) {
        guard !shutdownRequested else { return }
        switch phase {
        case .closed: return
        case .handshaking: body(&pending)
        case .active: body(&staging)
        }
    }

    public func flush() {
        guard phase == .active else { return }
        encryptStaged()
        if phase == .active { lower.flush() }
    }

    public func pauseReading() {
        guard !readingPaused else { return }
        readingPaused = true
        // The handshake goes on regardless: the lower stream pauses once it completed.
        if phase == .active { lower.pauseReading() }
    }

    public func resumeReading() {
        readingPaused = false
        guard phase != .closed else { return }
        if phase == .active {
            if delivering { redeliver = true } else { deliver() }
            encryptStaged()
        }
        if !readingPaused, phase != .closed { lower.resumeReading() }
    }

    public func shutdownWrite() {
        guard phase != .closed, !shutdownRequested else { return }
        shutdownRequested = true
        if phase == .active {
            encryptStaged()
            guard phase == .active else { return }
            sendCloseNotify()
            lower.shutdownWrite()
        }
    }

    public func closeGracefully() {
        guard phase != .closed, !closeRequested else { return }
        closeRequested = true
        shutdownRequested = true
        switch phase {
        case .closed: return
        case .handshaking:
            // Nothing to say yet: stop here, unless plaintext waits to go out after the handshake.
            if pending.isEmpty { close() }
        case .active:
            encryptStaged()
            guard phase == .active else { return }
            sendCloseNotify()
            lower.closeGracefully()
        }
    }

    public func close() {
        closeNow(error: nil)
    }

    // MARK: ByteStreamHandler (the ciphertext side)

    public func connectionActive(_ connection: any ByteStream) {
        guard phase == .handshaking else { return }
        guard let engine else {
            fail(setupError ?? "TLS setup failed")
            return
        }
        guard role == .client else { return }
        do {
            try engine.handshake()
        } catch {
            fail(error)
            return
        }
        sendCiphertext()
    }

    public func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        guard phase != .closed else { return bytes.count }
        guard let engine else {
            fail(setupError ?? "TLS setup failed")
            return bytes.count
        }
        // Paused: leave the ciphertext with the lower stream (which stops reading too).
        if readingPaused, phase == .active { return 0 }
        do {
            try engine.receive(bytes)
        } catch {
            fail(error)
            return bytes.count
        }
        if phase == .handshaking {
            sendCiphertext()
            if engine.isHandshakeComplete { handshakeCompleted(engine) }
            guard phase == .active else { return bytes.count }
        }
        deliver()
        encryptStaged()  // what the handler wrote goes out with the lower stream's flush
        return bytes.count
    }

    public func connectionReadEOF(_ connection: any ByteStream) {
        lowerEOF = true
        switch phase {
        case .closed: return
        case .handshaking: closeNow(error: .protocolFailure("the peer closed the connection during the TLS handshake"))
        case .active:
            if delivering { redeliver = true } else { deliver() }
            encryptStaged()
        }
    }

    public func connectionWritable(_ connection: any ByteStream) {
        guard phase == .active else { return }
        handler?.connectionWritable(self)
        encryptStaged()
    }

    public func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        if phase != .closed {
            // A socket error (a refused connect, a reset) is passed up as it is, so callers
            // can tell it from a TLS refusal; an orderly close mid-handshake is the protocol's.
            closeError = error ?? (phase == .handshaking ? .protocolFailure("the connection closed during the TLS handshake") : nil)
            phase = .closed
        }
        finishClosing()
    }

    // MARK: handshake

    private func handshakeCompleted(_ engine: TLSEngine) {
        if let timer { loop.cancel(timer) }
        timer = nil
        guard let certificate = engine.peerCertificate else {
            fail("the peer presented no certificate")
            return
        }
        if let refusal = peerCheck?(certificate) {
            sendCloseNotify()  // the handshake itself succeeded: say goodbye in order
            fail("peer refused: \(refusal)")
            return
        }
        peerCertificate = certificate
        phase = .active
        if !pending.isEmpty {
            var bytes: [UInt8] = []
            swap(&bytes, &pending)
            bytes.withUnsafeBytes { encrypt($0) }
            guard phase == .active else { return }
        }
        handler?.connectionActive(self)
        guard phase == .active else { return }
        encryptStaged()
        guard phase == .active else { return }
        if readingPaused { lower.pauseReading() }
        if closeRequested {
            sendCloseNotify()
            lower.closeGracefully()
        } else if shutdownRequested {
            sendCloseNotify()
            lower.shutdownWrite()
        } else {
            lower.flush()
        }
    }

    // MARK: moving bytes

    /// Encrypts the staged plaintext, all of it at once (in as few records as fit), into the
    /// lower stream's outbound bytes.
    private func encryptStaged() {
        guard phase == .active, !staging.isEmpty else { return }
        // Out of `self` while encrypting: a failure closes the stream, which must not free the
        // buffer under the read.
        var bytes: [UInt8] = []
        swap(&bytes, &staging)
        bytes.withUnsafeBytes { encrypt($0) }
        bytes.removeAll(keepingCapacity: true)
        if phase != .closed, bytes.capacity <= Self.retainedBufferCapacity { swap(&bytes, &staging) }
    }

    /// Encrypts plaintext straight into the lower stream's outbound bytes (`flush` sends).
    private func encrypt(_ bytes: UnsafeRawBufferPointer) {
        guard let engine, !bytes.isEmpty else { return }
        do {
            try engine.writePlaintext(bytes)
        } catch {
            fail(error)
            return
        }
        lower.appendOutbound { engine.takeCiphertext(into: &$0) }
    }

    /// Sends the ciphertext the engine queued on its own (handshake messages, alerts, close_notify).
    private func sendCiphertext() {
        guard let engine, engine.hasPendingCiphertext, !lower.isClosed else { return }
        lower.appendOutbound { engine.takeCiphertext(into: &$0) }
        lower.flush()
    }

    private func sendCloseNotify() {
        guard let engine, !closeNotifySent else { return }
        closeNotifySent = true
        try? engine.close()
        if engine.hasPendingCiphertext { lower.appendOutbound { engine.takeCiphertext(into: &$0) } }
    }

    /// Decrypts what has arrived and offers the unconsumed plaintext to the handler until it
    /// stops consuming, then passes the peer's close_notify (or the lower stream's end) up.
    ///
    /// The handler may close, pause, resume or write while it runs: the buffer it reads is
    /// never touched under it (closing frees it only after the call), and a resume asks for
    /// another round.
    private func deliver() {
        guard !delivering else {
            redeliver = true
            return
        }
        guard let engine else { return }
        delivering = true
        var offerAgain = true
        while phase == .active, !readingPaused, let handler {
            let appended: Int
            do {
                appended = try engine.readPlaintext(into: &inbound)
            } catch {
                delivering = false
                fail(error)
                return
            }
            let available = inbound.count - inboundOffset
            guard available > 0, appended > 0 || offerAgain else { break }
            let start = inboundOffset
            let consumed = inbound.withUnsafeBytes { handler.connection(self, received: UnsafeRawBufferPointer(rebasing: $0[start...])) }
            if phase == .closed { break }
            let used = min(max(consumed, 0), available)
            inboundOffset += used
            offerAgain = used > 0
            if inboundOffset == inbound.count {
                inboundOffset = 0
                if inbound.capacity > Self.retainedBufferCapacity { inbound = [] } else { inbound.removeAll(keepingCapacity: true) }
            }
        }
        delivering = false
        if phase == .closed {
            inbound = []
            inboundOffset = 0
            return
        }
        if inboundOffset > 0 {
            inbound.removeFirst(inboundOffset)
            inboundOffset = 0
        }
        // What reading made the engine say on its own (a KeyUpdate's answer).
        sendCiphertext()
        if phase == .active, !readingPaused, !eofDelivered, engine.isClosedByPeer || lowerEOF {
            eofDelivered = true
            handler?.connectionReadEOF(self)
        }
        if redeliver, phase == .active {
            redeliver = false
            if !readingPaused { deliver() }
        }
    }

    // MARK: closing

    private func fail(_ error: Error) {
        fail((error as? TLSError)?.reason ?? "\(error)")
    }

    /// Refuses the session: sends the alert OpenSSL queued (if any), closes the lower stream
    /// once it is sent, and tells the handler why. A session that was never active counts as
    /// a refused handshake.
    private func fail(_ reason: String) {
        guard phase != .closed else { return }
        let wasHandshaking = phase == .handshaking
        failureReason = reason
        sendCiphertext()
        phase = .closed
        closeError = .protocolFailure(wasHandshaking ? "TLS handshake refused: \(reason)" : "TLS session failed: \(reason)")
        if wasHandshaking { onHandshakeFailure?(reason) }
        if let timer { loop.cancel(timer) }
        timer = nil
        lower.handler = nil
        // Gracefully, so the alert reaches the peer rather than being destroyed by a reset.
        lower.closeGracefully()
        finishClosing()
    }

    private func closeNow(error: IOError?) {
        guard phase != .closed else { return }
        phase = .closed
        closeError = error
        lower.handler = nil
        lower.close()
        finishClosing()
    }

    /// Tells the handler once that the stream closed, and lets go of everything.
    private func finishClosing() {
        guard !closedNotified else { return }
        closedNotified = true
        if let timer { loop.cancel(timer) }
        timer = nil
        pending = []
        staging = []
        if !delivering {
            inbound = []
            inboundOffset = 0
        }
        let handler = self.handler
        self.handler = nil
        handler?.connectionClosed(self, error: closeError)
    }
}
