/// The life of one server-side HTTP/1.1 connection, as a value with no I/O: which
/// request is being read, which response is being written, and what the connection
/// must do next. The connection object feeds it events and carries out the actions.
///
/// One exchange at a time: once a request has been read to its end, parsing stops
/// until its response is complete, so pipelined requests are answered in order and
/// their bytes wait in the receive buffer (bounded, with backpressure on the peer).
///
/// A response may be complete before its request is (a local 404 sent from the head, an
/// early 413): the connection stays open exactly as after any other response when the rest
/// of the request is bodiless or a short `content-length` body (up to `maxDiscardedBody`),
/// which is read and discarded; otherwise the response says `Connection: close` and the
/// connection closes after it.
public struct HTTPServerStateMachine: Sendable, Equatable {
    /// The largest request body read and thrown away after an early response so that the
    /// connection can carry the next request; a longer (or chunked) one closes it instead.
    public static let maxDiscardedBody: UInt64 = 64 * 1024

    /// Where the current request is.
    public enum RequestState: Sendable, Equatable {
        /// No request has started since the last exchange ended.
        case idle
        /// The head arrived; body bytes (or the end) may still come.
        case receivingBody
        /// The whole request (head and body) was read.
        case complete
    }

    /// Where the current response is.
    public enum ResponseState: Sendable, Equatable {
        case notStarted
        case headSent
        case complete
    }

    /// What the connection must do after an event.
    public enum Action: Sendable, Equatable {
        /// Nothing beyond what the event itself implies.
        case none
        /// Send `HTTP/1.1 100 Continue` before reading the body.
        case sendContinue
        /// The exchange is over and the connection stays open: parse the next request.
        case readNextRequest
        /// The response is complete before the request: read the rest of its body (resume
        /// reading if it was paused) and throw it away; the next request follows it.
        case discardRequestBody
        /// Send the whole pending output, then close.
        case closeAfterFlush
        /// Answer with this error status (and `Connection: close`), then close.
        case sendErrorAndClose(status: Int)
        /// Close at once (nothing sensible can be sent).
        case close
    }

    public private(set) var request: RequestState = .idle
    public private(set) var response: ResponseState = .notStarted
    /// Whether the connection may carry another request after this exchange.
    public private(set) var keepAlive = true
    /// Whether the current request asked for `100 Continue` and has not been sent one.
    public private(set) var continuePending = false
    /// Whether the peer has closed its sending side.
    public private(set) var peerClosed = false
    /// Set by a graceful shutdown: finish the current exchange, then close.
    public private(set) var draining = false
    /// Whether the current request's unread body may be discarded to keep the connection
    /// (none, or a `content-length` of at most `maxDiscardedBody`).
    public private(set) var bodyDiscardable = true
    /// Set once the connection is to close after its last response: nothing more is parsed
    /// (RFC 9112 §9.6: no request after a `Connection: close` exchange is processed).
    public private(set) var closing = false

    public init() {}

    /// True while the parser may consume input: the current request is still being read,
    /// or there is none in progress.
    public var shouldParse: Bool {
        request != .complete && !closing
    }

    /// True when no exchange is in progress (between requests).
    public var isIdle: Bool {
        request == .idle && response == .notStarted
    }

    /// True while the rest of an already answered request's body is read and thrown away.
    public var isDiscardingBody: Bool {
        request == .receivingBody && response == .complete
    }

    /// A request head was parsed; `body` is how its body is framed.
    public mutating func requestHead(keepAlive requestKeepAlive: Bool, expectsContinue: Bool, body: HTTPBodyFraming) -> Action {
        // Even a bodiless request is complete only at the parser's `.end`, which follows at once.
        request = .receivingBody
        response = .notStarted
        keepAlive = keepAlive && requestKeepAlive && !draining
        let hasBody: Bool
        switch body {
        case .none, .contentLength(0):
            hasBody = false
            bodyDiscardable = true
        case .contentLength(let length):
            hasBody = true
            bodyDiscardable = length <= Self.maxDiscardedBody
        case .chunked, .untilClose:
            hasBody = true
            bodyDiscardable = false
        }
        continuePending = expectsContinue && hasBody
        return .none
    }

    /// A request head was parsed; a body of unknown length when `hasBody`.
    public mutating func requestHead(keepAlive requestKeepAlive: Bool, expectsContinue: Bool, hasBody: Bool) -> Action {
        requestHead(keepAlive: requestKeepAlive, expectsContinue: expectsContinue, body: hasBody ? .chunked : .none)
    }

    /// The handler has seen the head and will read the body: send 100 Continue if asked for.
    public mutating func handlerWantsBody() -> Action {
        guard continuePending, response == .notStarted else { return .none }
        continuePending = false
        return .sendContinue
    }

    /// The request's body ended.
    public mutating func requestEnd() -> Action {
        request = .complete
        continuePending = false
        if response == .complete { return finishExchange() }
        return .none
    }

    /// The handler starts its response. Returns whether it must carry `Connection: close`.
    public mutating func responseHead() -> Bool {
        response = .headSent
        if request == .receivingBody, continuePending {
            // The client waits for 100 Continue that will never come; its body must not
            // be taken for the next request, so this connection ends with this response.
            keepAlive = false
            continuePending = false
        }
        if request == .receivingBody, !bodyDiscardable {
            // The body may still be arriving and is too long (or of unknown length) to read
            // and throw away: say so, and close after this response.
            keepAlive = false
        }
        return !keepAlive
    }

    /// The handler finished its response.
    public mutating func responseEnd() -> Action {
        response = .complete
        if request == .complete { return finishExchange() }
        // Responded before the request ended (a local reply from the head, an early error):
        // a bodiless or short body is read and thrown away, then the next request follows.
        if keepAlive, bodyDiscardable, !peerClosed, !draining { return .discardRequestBody }
        keepAlive = false
        closing = true
        return .closeAfterFlush
    }

    private mutating func finishExchange() -> Action {
        request = .idle
        response = .notStarted
        if !keepAlive || peerClosed || draining {
            closing = true
            return .closeAfterFlush
        }
        return .readNextRequest
    }

    /// The parser rejected the input with `status`.
    public mutating func parseError(status: Int) -> Action {
        keepAlive = false
        if response == .notStarted {
            response = .complete
            request = .complete
            return .sendErrorAndClose(status: status)
        }
        // A response is already on the wire: a second one cannot follow it.
        return .close
    }

    /// The head did not arrive in time.
    public mutating func headTimeout() -> Action {
        parseError(status: 408)
    }

    /// The peer closed its sending side.
    public mutating func readEOF() -> Action {
        peerClosed = true
        keepAlive = false
        switch (request, response) {
        case (.idle, .notStarted):
            return .close
        case (.receivingBody, _):
            // The body was cut short: the request can never complete.
            return .close
        case (.complete, .notStarted):
            // The client left before any answer: abandon the work (nginx's 499, Envoy's
            // downstream reset) instead of holding it open until the response is ready.
            return .close
        default:
            // A response is on its way: finish it, then close.
            return .none
        }
    }

    /// Graceful shutdown: idle connections (and those only discarding an answered request's
    /// body) close now, busy ones after their response.
    public mutating func drain() -> Action {
        draining = true
        keepAlive = false
        // Idle, or only throwing away the body of an answered request: nothing to wait for.
        return isIdle || isDiscardingBody ? .close : .none
    }
}
