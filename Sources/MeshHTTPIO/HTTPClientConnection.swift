import MeshHTTP
import MeshIO

/// Why a client exchange failed.
public enum HTTPClientError: Error, Sendable, Equatable {
    /// The connection could not be established.
    case connectFailed(IOError)
    /// The connection closed or was reset before the response ended.
    case connectionLost
    /// The response was not valid HTTP/1.1.
    case invalidResponse(HTTPParseError)
    /// The request was abandoned by the caller (e.g. a timeout).
    case cancelled
}

/// Receives one exchange's response on a client connection, on its loop thread.
public protocol HTTPClientResponseHandler: AnyObject {
    /// The final response head (interim 1xx responses are skipped).
    func responseHead(_ head: HTTPResponseHead, on connection: HTTPClientConnection)
    /// A piece of the response body, valid only during the call.
    func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection)
    /// The response ended; the connection is idle again (or closing, if not reusable).
    func responseEnd(on connection: HTTPClientConnection)
    /// The exchange failed; the connection is closed.
    func exchangeFailed(_ error: HTTPClientError, on connection: HTTPClientConnection)
    /// The request's pending bytes drained below the low-water mark: send more body.
    func requestWritable(on connection: HTTPClientConnection)
}

extension HTTPClientResponseHandler {
    public func responseBody(_ bytes: UnsafeRawBufferPointer, on connection: HTTPClientConnection) {}
    public func requestWritable(on connection: HTTPClientConnection) {}
}

/// One keep-alive HTTP/1.1 client connection: one exchange at a time, request bytes
/// written as given (the caller serializes the head once and reuses it), the response
/// parsed and streamed to the exchange's handler.
public final class HTTPClientConnection: ByteStreamHandler {
    /// The upstream address.
    public let address: SocketAddress
    /// The loop this connection lives on.
    public let loop: EventLoop
    /// The connection's bytes (a TCP connection; later TLS or fault stages over one).
    private let stream: StreamRef
    private var parser = HTTPResponseParser()
    private var handler: HTTPClientResponseHandler?
    private var connected = false
    private var responseKeepAlive = true
    private var sawFinalHead = false
    /// Called when an idle connection closes or is half-closed by the peer (the pool drops it).
    var onIdleClose: ((HTTPClientConnection) -> Void)?
    /// When this idle connection's idle timeout ends (the pool's time; 0: never).
    var idleExpiry: UInt64 = 0
    /// Called once when the connection closes, for whatever reason (connection-count limits).
    public var onClose: (() -> Void)?

    /// Whether an exchange is in progress.
    public var isBusy: Bool { handler != nil }
    /// Whether a new request may be sent on this connection now: open, not half-closed
    /// by the peer, and the last response allowed keep-alive.
    public var isReusable: Bool {
        return !stream.isClosed && !stream.peerClosedWrite && responseKeepAlive && handler == nil
    }
    /// Whether the TCP connection is established.
    public var isConnected: Bool { connected && !stream.isClosed }

    /// A connection over `stream` (connecting or connected to `address`), which it becomes the
    /// handler of.
    public init(address: SocketAddress, stream: any ByteStream) {
        self.address = address
        self.loop = stream.loop
        self.stream = StreamRef(stream)
        stream.handler = self
    }

    /// Starts connecting; requests may be sent at once (they go out when connected).
    public static func connect(to address: SocketAddress, on loop: EventLoop) throws(IOError) -> HTTPClientConnection {
        HTTPClientConnection(address: address, stream: try TCPConnection.connect(to: address, on: loop, handler: nil))
    }

    /// Sends a request whose head (and body, if any) is already serialized in `request`.
    /// `isHEAD` tells the parser that the response has no body.
    public func send(_ request: UnsafeRawBufferPointer, isHEAD: Bool = false, handler: HTTPClientResponseHandler) {
        precondition(self.handler == nil, "one exchange at a time")
        self.handler = handler
        sawFinalHead = false
        parser.expectResponse(toHEAD: isHEAD)
        guard !stream.isClosed else {
            fail(.connectionLost)
            return
        }
        stream.write(request)
        if connected { stream.flush() }
    }

    /// Sends more request body bytes (for a streamed request body).
    public func writeBody(_ bytes: UnsafeRawBufferPointer) {
        stream.write(bytes)
        if connected { stream.flush() }
    }

    /// False while the request's pending bytes are above the high-water mark.
    public var isWritable: Bool { stream.isWritable }

    /// The stream the connection runs on (a TCP connection, or a TLS or fault stage over one).
    public var byteStream: any ByteStream { stream.stream }

    /// Stops reading the response (backpressure from whoever consumes it).
    public func pauseReading() { stream.pauseReading() }
    /// Resumes reading the response.
    public func resumeReading() { stream.resumeReading() }

    /// Closes the connection; an exchange in progress fails with `.cancelled`.
    public func close() {
        if handler != nil {
            fail(.cancelled)
        } else {
            stream.close()
        }
    }

    private func fail(_ error: HTTPClientError) {
        let handler = self.handler
        self.handler = nil
        responseKeepAlive = false
        stream.close()
        handler?.exchangeFailed(error, on: self)
    }

    // MARK: ByteStreamHandler

    public func connectionActive(_ connection: any ByteStream) {
        connected = true
    }

    public func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count || handler != nil {
            guard handler != nil else {
                // Bytes with no request outstanding: the peer is not speaking HTTP to us.
                stream.close()
                return bytes.count
            }
            let input = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let (consumed, event) = parser.next(input)
            offset += consumed
            guard let event else { break }
            switch event {
            case .head(let head):
                if head.status >= 100, head.status < 200 { continue }
                sawFinalHead = true
                responseKeepAlive = head.keepAlive
                handler?.responseHead(head, on: self)
            case .body(let range):
                if sawFinalHead { handler?.responseBody(UnsafeRawBufferPointer(rebasing: input[range]), on: self) }
            case .end:
                guard sawFinalHead else { continue }  // end of an interim response
                finishExchange()
            case .error(let error):
                fail(.invalidResponse(error))
                return bytes.count
            }
            if stream.isClosed { return bytes.count }
        }
        return offset
    }

    private func finishExchange() {
        let handler = self.handler
        self.handler = nil
        if !responseKeepAlive { stream.close() }
        handler?.responseEnd(on: self)
    }

    public func connectionWritable(_ connection: any ByteStream) {
        handler?.requestWritable(on: self)
    }

    public func connectionReadEOF(_ connection: any ByteStream) {
        if handler != nil {
            // A close-delimited body ends here; anything else was cut short.
            if let event = parser.finish(), case .end = event, sawFinalHead {
                responseKeepAlive = false
                finishExchange()
            } else {
                fail(.connectionLost)
            }
            return
        }
        // Idle and the peer half-closed: never send another request on this connection.
        responseKeepAlive = false
        stream.close()
    }

    public func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        // Whoever counts connections hears of the close first, then the exchange of its end
        // (which may open another connection at once), as when `close()` is called.
        let closed = onClose
        onClose = nil
        closed?()
        if handler != nil {
            fail(connected ? .connectionLost : .connectFailed(error ?? IOError(code: 111, function: "connect")))
        }
        let notify = onIdleClose
        onIdleClose = nil
        notify?(self)
    }
}
