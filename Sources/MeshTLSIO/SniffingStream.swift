import MeshIO
import MeshTLS

/// An accepted connection that may speak TLS or plaintext (permissive mTLS): it reads the
/// first bytes, and a TLS handshake record (0x16 0x03) makes it run a `TLSStream` over the
/// connection, anything else plain bytes. Either way the bytes it looked at are not lost:
/// they are handed on as they came. The layer above (HTTP) holds this stream, which passes
/// its calls to the chosen one and that one's events up; it hears `connectionActive` once
/// the choice is made (for TLS, once the handshake completed and the peer was accepted).
/// A connection that sends nothing for `timeout` nanoseconds is closed.
/// Used on its loop's thread only.
public final class SniffingStream: ByteStream, ByteStreamHandler {
    /// What an accepted connection turned out to speak.
    public enum Transport: Sendable, Equatable {
        case tls
        case plaintext
    }

    /// The loop the stream lives on.
    public let loop: EventLoop
    /// Who hears the (plaintext) events.
    public var handler: ByteStreamHandler?
    /// The accepted connection.
    public let lower: any ByteStream
    /// What the connection speaks, once its first bytes arrived.
    public private(set) var transport: Transport?
    /// The TLS session, when the connection speaks TLS.
    public private(set) var tls: TLSStream?

    private let makeTLS: (any ByteStream) -> TLSStream
    private let onDecided: ((Transport) -> Void)?
    private var current: any ByteStream
    private var closedNotified = false
    private var timer: TimerID?

    /// Sniffs `lower` (becoming its handler); `makeTLS` builds the session for a TLS client
    /// over the stream it is given; `onDecided` hears what the connection speaks.
    public init(lower: any ByteStream, timeout: UInt64 = 10_000_000_000,
                onDecided: ((Transport) -> Void)? = nil, makeTLS: @escaping (any ByteStream) -> TLSStream) {
        loop = lower.loop
        self.lower = lower
        current = lower
        self.makeTLS = makeTLS
        self.onDecided = onDecided
        lower.handler = self
        timer = loop.schedule(after: timeout) { [weak self] in
            guard let self, self.transport == nil else { return }
            self.timer = nil
            self.lower.close()
        }
    }

    /// Whether `bytes` (at least two) begin a TLS handshake record: content type 22, major version 3.
    public static func looksLikeTLS(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x16 && bytes[1] == 0x03
    }

    // MARK: ByteStream (passed to the chosen stream)

    public var isClosed: Bool { closedNotified || current.isClosed }
    public var isWritable: Bool { transport != nil && current.isWritable }
    public var peerClosedWrite: Bool { current.peerClosedWrite }

    // Nothing above is active before the choice, so nothing is written before it: dropped.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        if transport != nil { current.write(bytes) }
    }

    public func appendOutbound(_ body: (inout [UInt8]) -> Void) {
        if transport != nil { current.appendOutbound(body) }
    }

    public func flush() { current.flush() }
    public func pauseReading() { current.pauseReading() }
    public func resumeReading() { current.resumeReading() }
    public func shutdownWrite() { current.shutdownWrite() }
    public func closeGracefully() { current.closeGracefully() }
    public func close() { current.close() }

    // MARK: ByteStreamHandler (of the connection, then of the TLS session if any)

    public func connectionActive(_ connection: any ByteStream) {
        // The accepted connection: wait for its first bytes. The TLS session: pass it up.
        if transport == .tls { handler?.connectionActive(self) }
    }

    public func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        if transport != nil { return handler?.connection(self, received: bytes) ?? bytes.count }
        // One byte can only say "not TLS" (anything but 0x16); otherwise wait for the second.
        if bytes.isEmpty || (bytes.count == 1 && bytes[0] == 0x16) { return 0 }
        if let timer { loop.cancel(timer) }
        timer = nil
        if Self.looksLikeTLS(bytes) {
            let session = makeTLS(lower)  // the session becomes the connection's handler
            session.handler = self
            tls = session
            current = session
            transport = .tls
            onDecided?(.tls)
            return session.connection(lower, received: bytes)
        }
        transport = .plaintext
        onDecided?(.plaintext)
        handler?.connectionActive(self)
        guard !closedNotified, !lower.isClosed else { return bytes.count }
        return handler?.connection(self, received: bytes) ?? bytes.count
    }

    public func connectionReadEOF(_ connection: any ByteStream) {
        if transport == nil {
            lower.close()  // closed before saying anything
        } else {
            handler?.connectionReadEOF(self)
        }
    }

    public func connectionWritable(_ connection: any ByteStream) {
        if transport != nil { handler?.connectionWritable(self) }
    }

    public func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        guard !closedNotified else { return }
        closedNotified = true
        if let timer { loop.cancel(timer) }
        timer = nil
        let handler = self.handler
        self.handler = nil
        handler?.connectionClosed(self, error: error)
    }
}
