/// Incremental HTTP/1.1 response parser (RFC 9112) for clients and proxies.
///
/// Works like `HTTPRequestParser`. Because a response to HEAD has no body, it is told each
/// request's method with `expectResponse(toHEAD:)`, once per request and in order (pipelined
/// requests push in order). Interim 1xx responses are reported as `.head` then `.end` and do not
/// use up an expectation; after 101 Switching Protocols the connection is no longer HTTP and
/// `next` returns `(0, nil)` forever. All errors carry status 502.
public struct HTTPResponseParser: Sendable {
    private enum State: UInt8 { case head, body, upgraded, failed }

    /// The limits this parser enforces.
    public let limits: HTTPParserLimits
    private var state = State.head
    private var scanner = HTTPHeadScanner()
    private var body = HTTPBodyDecoder()
    private var error = HTTPParseError.response(.invalidStatusLine)
    /// Whether each outstanding request was HEAD, oldest first from `queueStart`.
    private var headQueue: [Bool] = []
    private var queueStart = 0
    private var status = 0
    private var version = HTTPVersion.http1_1
    private var reasonStart = 0
    private var reasonEnd = 0
    private var upgrading = false

    /// A parser waiting for the first message.
    public init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    /// Whether the parser failed; `next` then returns the same error forever.
    public var hasFailed: Bool { state == .failed }

    /// Whether the connection switched protocols (after a 101 response and its `.end`).
    public var hasUpgraded: Bool { state == .upgraded }

    /// Number of requests whose final response has not been parsed yet.
    public var pendingResponses: Int { headQueue.count - queueStart }

    /// Call once per request, before its response is parsed.
    public mutating func expectResponse(toHEAD: Bool) {
        headQueue.append(toHEAD)
    }

    /// Same as `expectResponse(toHEAD: method == .head)`.
    public mutating func expectResponse(to method: HTTPMethod) {
        expectResponse(toHEAD: method == .head)
    }

    /// Returns (consumed, event). `event == nil` means "need more bytes"; `consumed` may still be
    /// more than 0, and those bytes must be dropped before the next call.
    public mutating func next(_ input: UnsafeRawBufferPointer) -> (consumed: Int, event: HTTPResponseParserEvent?) {
        switch state {
        case .head:
            guard let base = input.baseAddress, input.count > 0 else { return (0, nil) }
            return parseHead(base.assumingMemoryBound(to: UInt8.self), input.count)
        case .body:
            let (consumed, output) = body.next(input, limits)
            switch output {
            case .needMore:
                return (consumed, nil)
            case .body(let range):
                return (consumed, .body(range))
            case .end:
                endMessage()
                return (consumed, .end)
            case .error(let kind):
                return fail(kind)
            }
        case .upgraded:
            return (0, nil)
        case .failed:
            return (0, .error(error))
        }
    }

    /// The peer closed: ends an `.untilClose` body (`.end`), returns `.error` if a message was
    /// incomplete, or nil if idle between messages.
    public mutating func finish() -> HTTPResponseParserEvent? {
        switch state {
        case .failed:
            return .error(error)
        case .upgraded:
            return nil
        case .head:
            return scanner.hasPartialInput ? fail(.incompleteMessage).event : nil
        case .body:
            if body.isIncomplete { return fail(.incompleteMessage).event }
            body.phase = .idle
            endMessage()
            return .end
        }
    }

    private mutating func endMessage() {
        state = upgrading ? .upgraded : .head
        upgrading = false
    }

    private mutating func fail(_ kind: HTTPParseError.Kind) -> (consumed: Int, event: HTTPResponseParserEvent?) {
        error = HTTPParseError.response(kind)
        state = .failed
        return (0, .error(error))
    }

    private mutating func parseHead(_ p: UnsafePointer<UInt8>, _ count: Int) -> (consumed: Int, event: HTTPResponseParserEvent?) {
        if scanner.phase == .startLine {
            switch scanner.scanStartLine(
                p, count, maxLength: limits.maxRequestLine, maxEmptyLines: limits.maxLeadingEmptyLines,
                allowTab: true, tooLong: .statusLineTooLong, invalid: .invalidStatusLine
            ) {
            case .needMore:
                return (0, nil)
            case .error(let kind):
                return fail(kind)
            case .control:
                return fail(.invalidStatusLine)
            case .found(let end):
                if let kind = parseStatusLine(p, scanner.headStart, end) { return fail(kind) }
            }
        }
        switch scanner.scanFields(p, count, maxBytes: limits.maxHeaderBytes, maxCount: limits.maxHeaderCount) {
        case .needMore:
            return (0, nil)
        case .error(let kind):
            return fail(kind)
        case .complete(let end):
            return finishHead(p, end)
        }
    }

    private mutating func finishHead(_ p: UnsafePointer<UInt8>, _ end: Int) -> (consumed: Int, event: HTTPResponseParserEvent?) {
        var framing = HTTPBodyFraming.none
        if let kind = scanner.responseFraming(version, &framing) { return fail(kind) }
        let toHEAD = queueStart < headQueue.count ? headQueue[queueStart] : false
        let interim = status < 200
        if !interim || status == 101 {
            // A final response (or a protocol switch) answers the oldest request.
            queueStart += 1
            if queueStart >= headQueue.count {
                headQueue.removeAll(keepingCapacity: true)
                queueStart = 0
            }
        }
        if toHEAD || interim || status == 204 || status == 304 { framing = .none }
        upgrading = status == 101
        let keepAlive = scanner.keepAlive(version) && framing != .untilClose && !upgrading

        let base = scanner.headStart
        let head = HTTPResponseHead(
            status: status,
            version: version,
            keepAlive: keepAlive,
            framing: framing,
            headers: scanner.makeHeaders(p, end: end),
            reasonStart: UInt32(truncatingIfNeeded: reasonStart - base),
            reasonEnd: UInt32(truncatingIfNeeded: reasonEnd - base)
        )
        scanner.reset()
        body.start(framing)
        state = .body
        return (end, .head(head))
    }

    /// status-line = HTTP-version SP status-code SP [ reason-phrase ], in `p[start..<end]`.
    /// A missing SP before an empty reason is accepted.
    private mutating func parseStatusLine(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> HTTPParseError.Kind? {
        let i = start
        guard end - i >= 12,
              p[i] == UInt8(ascii: "H"), p[i + 1] == UInt8(ascii: "T"), p[i + 2] == UInt8(ascii: "T"),
              p[i + 3] == UInt8(ascii: "P"), p[i + 4] == UInt8(ascii: "/"),
              p[i + 5] &- 0x30 < 10, p[i + 6] == UInt8(ascii: "."), p[i + 7] &- 0x30 < 10,
              p[i + 8] == HTTPByteClass.sp
        else { return .invalidStatusLine }
        guard p[i + 5] == UInt8(ascii: "1") else { return .unsupportedVersion }
        switch p[i + 7] {
        case UInt8(ascii: "1"): version = .http1_1
        case UInt8(ascii: "0"): version = .http1_0
        default: return .unsupportedVersion
        }
        let d0 = p[i + 9] &- 0x30, d1 = p[i + 10] &- 0x30, d2 = p[i + 11] &- 0x30
        guard d0 < 10, d1 < 10, d2 < 10 else { return .invalidStatusLine }
        status = Int(d0) * 100 + Int(d1) * 10 + Int(d2)
        guard (100...599).contains(status) else { return .invalidStatusLine }
        if end == i + 12 {
            reasonStart = end
        } else {
            guard p[i + 12] == HTTPByteClass.sp else { return .invalidStatusLine }
            reasonStart = i + 13
        }
        reasonEnd = end
        return nil
    }
}
