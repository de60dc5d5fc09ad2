import MeshHTTP
import MeshIO

/// One accepted HTTP/1.1 connection: parses requests, hands them to its
/// `HTTPRequestHandler`, and writes the handler's responses with the right framing.
///
///     socket bytes → HTTPRequestParser → HTTPServerStateMachine → handler
///     handler → sendHead / writeBody / endResponse → outbound buffer → socket
///
/// Parsing stops while a complete request waits for its response (pipelined requests are
/// answered in order), but reading goes on, so a client that closes its side before any
/// response started aborts the exchange, as nginx and Envoy do. A handler that answers at
/// once costs no extra system call per request.
public final class HTTPServerConnection: ByteStreamHandler {
    /// The connection's bytes (a TCP connection; later TLS or fault stages over one).
    let stream: StreamRef
    private let configuration: HTTPServerConfiguration
    private let handler: HTTPRequestHandler
    private weak var tracker: HTTPConnectionTracker?
    private var parser: HTTPRequestParser
    private var state = HTTPServerStateMachine()

    private var inReceive = false
    /// Bytes after a request that waits for its response were left with the stream (to be
    /// offered again when the response ends; without any, nothing needs resuming).
    private var pausedForResponse = false
    private var bodyPaused = false
    private var requestIsHEAD = false
    private var requestIsHTTP10 = false
    private var bodyAllowed = true
    private var chunked = false
    private var headStarted = false
    private var deadline: UInt64 = 0
    private var timer: TimerID?
    private var timerAt: UInt64 = 0

    /// The loop this connection lives on.
    public var loop: EventLoop { stream.loop }
    /// False while the response's pending bytes are above the high-water mark.
    public var isWritable: Bool { stream.isWritable }
    /// The stream the connection runs on: the TCP connection, or what the server's
    /// `streamWrapper` made of it (a TLS session, whose peer identity the app may want).
    public var byteStream: any ByteStream { stream.stream }

    init(stream: any ByteStream, configuration: HTTPServerConfiguration, handler: HTTPRequestHandler, tracker: HTTPConnectionTracker?) {
        self.stream = StreamRef(stream)
        self.configuration = configuration
        self.handler = handler
        self.tracker = tracker
        self.parser = HTTPRequestParser(limits: configuration.limits)
    }

    // MARK: ByteStreamHandler

    public func connectionActive(_ connection: any ByteStream) {
        tracker?.opened(self)
        setDeadline(loop.now &+ configuration.idleTimeout)
    }

    public func connection(_ connection: any ByteStream, received bytes: UnsafeRawBufferPointer) -> Int {
        inReceive = true
        defer { inReceive = false }
        var offset = 0
        while state.shouldParse, !stream.isClosed {
            let input = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let (consumed, event) = parser.next(input)
            guard let event else {
                offset += consumed
                break
            }
            switch event {
            case .head(let head):
                offset += consumed
                startExchange(head)
            case .body(let range):
                let piece = UnsafeRawBufferPointer(rebasing: input[range])
                offset += consumed
                // The body of a request already answered is thrown away, not handed on.
                if !state.isDiscardingBody { handler.requestBody(piece, on: self) }
            case .end:
                offset += consumed
                let answered = state.isDiscardingBody
                let action = state.requestEnd()
                // An answered request's end is no news to its handler, which may be
                // serving nothing (or, on a kept connection, must not answer twice).
                if !answered { handler.requestEnd(on: self) }
                perform(action)
            case .error(let error):
                offset = bytes.count
                perform(state.parseError(status: error.status))
            }
        }
        if state.isIdle, offset < bytes.count, !headStarted, !stream.isClosed {
            // The first bytes of a head: from now on the whole head must arrive in time.
            headStarted = true
            setDeadline(loop.now &+ configuration.headerTimeout)
        }
        if !state.shouldParse, offset < bytes.count, !stream.isClosed {
            // A complete request waits for its response: pipelined bytes stay buffered (up to
            // the connection's inbound limit) and are offered again once it ended, but reading
            // goes on so a client that leaves is noticed.
            pausedForResponse = true
        }
        return offset
    }

    public func connectionReadEOF(_ connection: any ByteStream) {
        // A close here aborts an open exchange through connectionClosed.
        perform(state.readEOF())
    }

    public func connectionWritable(_ connection: any ByteStream) {
        if !state.isIdle { handler.responseWritable(on: self) }
    }

    public func connectionClosed(_ connection: any ByteStream, error: IOError?) {
        if let timer { loop.cancel(timer) }
        timer = nil
        if !state.isIdle, state.response != .complete { handler.exchangeAborted(on: self) }
        tracker?.closed(self)
    }

    // MARK: exchanges

    private func startExchange(_ head: HTTPRequestHead) {
        headStarted = false
        setDeadline(0)
        requestIsHEAD = head.method == .head
        requestIsHTTP10 = head.version == .http1_0
        _ = state.requestHead(keepAlive: head.keepAlive, expectsContinue: head.expectsContinue, body: head.framing)
        handler.requestHead(head, on: self)
        if !stream.isClosed, state.handlerWantsBody() == .sendContinue {
            Self.continueLine.withUnsafeBytes { stream.write($0) }
        }
    }

    private static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Starts the response: status line, the handler's header lines (each `name: value\r\n`,
    /// appended by `headers`), then framing and connection headers.
    /// `contentLength` nil means the body length is unknown: chunked (or close-delimited for HTTP/1.0).
    public func sendHead(status: Int, contentLength: Int?, headers: (inout [UInt8]) -> Void = { _ in }) {
        guard !stream.isClosed, state.response == .notStarted else { return }
        let close = state.responseHead()
        bodyAllowed = !requestIsHEAD && status != 204 && status != 304 && status >= 200
        chunked = false
        var closeDelimited = false
        stream.appendOutbound { out in
            HTTPSerializer.appendStatusLine(status: status, into: &out)
            headers(&out)
            if status != 204, status != 304, status >= 200 {
                if let contentLength {
                    HTTPSerializer.appendHeader(name: "content-length", decimal: UInt64(contentLength), into: &out)
                } else if !requestIsHEAD {
                    if requestIsHTTP10 {
                        closeDelimited = true
                    } else {
                        chunked = true
                        out.append(contentsOf: Self.chunkedHeader)
                    }
                }
            }
            if close || closeDelimited {
                out.append(contentsOf: Self.closeHeader)
            } else if requestIsHTTP10 {
                out.append(contentsOf: Self.keepAliveHeader)
            }
            out.append(13)
            out.append(10)
        }
        if closeDelimited { _ = state.drain() }
    }

    private static let chunkedHeader: [UInt8] = Array("transfer-encoding: chunked\r\n".utf8)
    private static let closeHeader: [UInt8] = Array("connection: close\r\n".utf8)
    private static let keepAliveHeader: [UInt8] = Array("connection: keep-alive\r\n".utf8)

    /// Appends response body bytes (chunk-framed when the length was not given).
    public func writeBody(_ bytes: UnsafeRawBufferPointer) {
        guard bodyAllowed, state.response == .headSent, bytes.count > 0 else { return }
        if chunked {
            stream.appendOutbound { HTTPSerializer.appendChunk(bytes, into: &$0) }
        } else {
            stream.write(bytes)
        }
        if !inReceive { stream.flush() }
    }

    /// Lets `body` append response body bytes straight into the outbound buffer.
    /// Only for responses with a known content length.
    public func writeBody(appending body: (inout [UInt8]) -> Void) {
        guard bodyAllowed, state.response == .headSent, !chunked else { return }
        stream.appendOutbound(body)
        if !inReceive { stream.flush() }
    }

    /// Finishes the response; the connection then reads the next request or closes.
    public func endResponse() {
        guard !stream.isClosed, state.response == .headSent else { return }
        if chunked, bodyAllowed {
            stream.appendOutbound { HTTPSerializer.appendLastChunk(into: &$0) }
        }
        perform(state.responseEnd())
        if !inReceive, !stream.isClosed { stream.flush() }
    }

    /// Sends a complete response with a small body in one go.
    public func respond(status: Int, headers: (inout [UInt8]) -> Void = { _ in }, body: [UInt8]) {
        sendHead(status: status, contentLength: body.count, headers: headers)
        body.withUnsafeBytes { writeBody($0) }
        endResponse()
    }

    /// Stops reading the request body (backpressure from wherever the body goes).
    public func pauseRequestBody() {
        guard !bodyPaused else { return }
        bodyPaused = true
        stream.pauseReading()
    }

    /// Resumes reading the request body.
    public func resumeRequestBody() {
        guard bodyPaused else { return }
        bodyPaused = false
        if !pausedForResponse { stream.resumeReading() }
    }

    /// Closes at once, abandoning the exchange (the peer sees the connection drop).
    public func abort() {
        stream.close()
    }

    /// Graceful shutdown: close when idle, otherwise after the current response.
    func drain() {
        perform(state.drain())
    }

    private func perform(_ action: HTTPServerStateMachine.Action) {
        switch action {
        case .none, .sendContinue:
            break
        case .readNextRequest:
            setDeadline(loop.now &+ configuration.idleTimeout)
            // Resumed only when something waits: pipelined bytes, or a body pause still on
            // (a resume costs a TLS stream a delivery round and its lower stream a flush).
            let streamPaused = bodyPaused
            bodyPaused = false
            if pausedForResponse || streamPaused {
                pausedForResponse = false
                stream.resumeReading()
            }
        case .discardRequestBody:
            // Answered before its body was read: read the rest (and drop it) within the idle timeout.
            setDeadline(loop.now &+ configuration.idleTimeout)
            resumeRequestBody()
        case .closeAfterFlush:
            stream.closeGracefully()
        case .sendErrorAndClose(let status):
            setDeadline(0)
            stream.appendOutbound { out in
                let text = HTTPSerializer.reasonPhrase(status)
                HTTPSerializer.appendStatusLine(status: status, into: &out)
                HTTPSerializer.appendHeader(name: "content-length", decimal: UInt64(text.utf8CodeUnitCount + 1), into: &out)
                out.append(contentsOf: Self.closeHeader)
                out.append(contentsOf: [13, 10])
                out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
                out.append(10)
            }
            stream.closeGracefully()
        case .close:
            stream.close()
        }
    }

    // MARK: timeouts

    /// Moves the connection's one deadline. Only an earlier deadline touches the timer;
    /// a later one is picked up when the armed timer fires and finds time left.
    private func setDeadline(_ value: UInt64) {
        deadline = value
        guard value != 0 else { return }
        if let timer {
            guard value < timerAt else { return }
            loop.cancel(timer)
        }
        armTimer(value)
    }

    private func armTimer(_ at: UInt64) {
        timerAt = at
        timer = loop.schedule(at: at) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard deadline != 0, !stream.isClosed else { return }
        let now = loop.now > deadline ? loop.now : Posix.monotonicNanoseconds()
        if now < deadline {
            armTimer(deadline)
            return
        }
        deadline = 0
        if headStarted {
            perform(state.headTimeout())
        } else if state.isIdle || state.isDiscardingBody {
            stream.close()
        }
        if !stream.isClosed { stream.flush() }
    }
}
