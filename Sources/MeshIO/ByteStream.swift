/// A connection's bytes as the protocols above it see them: what HTTP runs on. A TCP
/// connection is one; a TLS session over a TCP connection (and, with faults, a chain of
/// stages that delay, throttle or cut the bytes) will be others, so they slot in under HTTP
/// without the codec or the proxy knowing. Used on its loop's thread only.
///
///     HTTPServerConnection / HTTPClientConnection
///                │ write, appendOutbound, flush, pause/resume, close
///                ▼                      ▲ ByteStreamHandler callbacks
///           ByteStream (TCPConnection today; TLS, fault stages later)
public protocol ByteStream: AnyObject {
    /// The loop the stream lives on.
    var loop: EventLoop { get }
    /// Who hears what happens on the stream (set before the loop next runs after creation).
    var handler: ByteStreamHandler? { get set }
    /// Whether it is closed (nothing more is read or written).
    var isClosed: Bool { get }
    /// False while pending outbound bytes are above the high-water mark.
    var isWritable: Bool { get }
    /// Whether the peer closed its sending side.
    var peerClosedWrite: Bool { get }
    /// Queues bytes for sending (`flush` sends).
    func write(_ bytes: UnsafeRawBufferPointer)
    /// Lets `body` append directly to the outbound bytes (no intermediate copy).
    func appendOutbound(_ body: (inout [UInt8]) -> Void)
    /// Sends as much of the pending bytes as the transport takes now.
    func flush()
    /// Stops delivering received bytes until `resumeReading()`.
    func pauseReading()
    /// Resumes reading, first offering bytes already buffered.
    func resumeReading()
    /// Sends what is pending, then closes the sending side (half-close); reading goes on.
    func shutdownWrite()
    /// Sends what is pending, half-closes, then closes once the peer has (or after a grace).
    func closeGracefully()
    /// Closes at once; pending outbound bytes are dropped.
    func close()
    /// Closes at once and abortively: a TCP connection drops its unsent bytes and sends a reset
    /// (RST), so the peer reads ECONNRESET rather than an orderly end. Streams with no such
    /// notion close (the default).
    func reset()
}

/// Receives what happens on a `ByteStream`, always on the stream's loop thread.
public protocol ByteStreamHandler: AnyObject {
    /// The stream is established (accepted, or an outgoing connect completed).
    func connectionActive(_ connection: any ByteStream)
    /// Bytes arrived: the unconsumed bytes from before plus the new ones. Returns how many
    /// it consumed; the rest stay buffered and are offered again with the next bytes or
    /// on `resumeReading()`.
    func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int
    /// The peer closed its sending side (a read returned end of stream).
    func connectionReadEOF(_ connection: any ByteStream)
    /// Pending writes fell below the low-water mark after having passed the high-water mark.
    func connectionWritable(_ connection: any ByteStream)
    /// The stream is closed; `error` is nil for an orderly close.
    func connectionClosed(_ connection: any ByteStream, error: IOError?)
}

extension ByteStream {
    /// Closes: a stream with no abortive close of its own.
    public func reset() { close() }
}

extension ByteStreamHandler {
    public func connectionActive(_ connection: any ByteStream) {}
    public func connectionWritable(_ connection: any ByteStream) {}
}

extension ByteStream {
    /// Queues bytes for sending.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }
}
