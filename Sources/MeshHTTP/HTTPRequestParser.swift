/// Incremental HTTP/1.1 request parser (RFC 9112) for servers and proxies.
///
/// Feed it the unconsumed bytes; it returns one event at a time and how many bytes it consumed.
/// The caller drops `consumed` bytes from the front of its buffer and calls again with what is
/// left plus any new bytes. A head is reported once it is complete (`.head`), then its body as
/// ranges of the input as they arrive (`.body`), then `.end`; the parser is then ready for the
/// next (pipelined) request. After `.error` the parser stays failed. After a CONNECT or an
/// accepted Upgrade the connection stops being HTTP: stop feeding the parser then.
public struct HTTPRequestParser: Sendable {
    private enum State: UInt8 { case head, body, failed }

    /// The request line, as offsets into the current input.
    private struct RequestLine {
        var method = HTTPMethod.other
        var methodEnd = 0
        var targetStart = 0
        var targetEnd = 0
        var pathStart = 0
        var pathEnd = 0
        var queryStart = -1
        var authorityStart = -1
        var authorityEnd = -1
        var version = HTTPVersion.http1_1
    }

    /// The limits this parser enforces.
    public let limits: HTTPParserLimits
    private var state = State.head
    private var scanner = HTTPHeadScanner()
    private var body = HTTPBodyDecoder()
    private var line = RequestLine()
    private var error = HTTPParseError(.invalidRequestLine)

    /// A parser waiting for the first message.
    public init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    /// Whether the parser failed; `next` then returns the same error forever.
    public var hasFailed: Bool { state == .failed }

    /// Whether the parser is between messages with nothing buffered (a close now loses nothing).
    public var isIdle: Bool { state == .head && !scanner.hasPartialInput }

    /// Returns (consumed, event). `event == nil` means "need more bytes"; `consumed` may still be
    /// more than 0 (e.g. after chunk framing), and those bytes must be dropped before the next call.
    public mutating func next(_ input: UnsafeRawBufferPointer) -> (consumed: Int, event: HTTPRequestParserEvent?) {
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
                state = .head
                return (consumed, .end)
            case .error(let kind):
                return fail(kind)
            }
        case .failed:
            return (0, .error(error))
        }
    }

    /// The peer closed its side: nil if idle between requests, otherwise `.incompleteMessage`
    /// (or the error the parser already failed with). `.end` if only the end event was pending.
    public mutating func finish() -> HTTPRequestParserEvent? {
        switch state {
        case .failed:
            return .error(error)
        case .head:
            return scanner.hasPartialInput ? fail(.incompleteMessage).event : nil
        case .body:
            if body.isIncomplete { return fail(.incompleteMessage).event }
            body.phase = .idle
            state = .head
            return .end
        }
    }

    private mutating func fail(_ kind: HTTPParseError.Kind) -> (consumed: Int, event: HTTPRequestParserEvent?) {
        error = HTTPParseError(kind)
        state = .failed
        return (0, .error(error))
    }

    private mutating func parseHead(_ p: UnsafePointer<UInt8>, _ count: Int) -> (consumed: Int, event: HTTPRequestParserEvent?) {
        if scanner.phase == .startLine {
            switch scanner.scanStartLine(
                p, count, maxLength: limits.maxRequestLine, maxEmptyLines: limits.maxLeadingEmptyLines,
                allowTab: false, tooLong: .requestLineTooLong, invalid: .invalidRequestLine
            ) {
            case .needMore:
                return (0, nil)
            case .error(let kind):
                return fail(kind)
            case .control(let at):
                // Name the part of the line the control byte is in.
                var spaces = 0
                for k in scanner.headStart..<at where p[k] == HTTPByteClass.sp { spaces += 1 }
                return fail(spaces == 0 ? .invalidMethod : spaces == 1 ? .invalidTarget : .invalidVersion)
            case .found(let end):
                if let kind = parseRequestLine(p, scanner.headStart, end) { return fail(kind) }
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

    private mutating func finishHead(_ p: UnsafePointer<UInt8>, _ end: Int) -> (consumed: Int, event: HTTPRequestParserEvent?) {
        let version = line.version
        if version == .http1_1 && scanner.hostCount == 0 { return fail(.missingHost) }
        var framing = HTTPBodyFraming.none
        if let kind = scanner.requestFraming(version, &framing) { return fail(kind) }

        let base = scanner.headStart
        let line = self.line
        @inline(__always) func offset(_ position: Int) -> UInt32 {
            position < 0 ? .max : UInt32(truncatingIfNeeded: position - base)
        }
        let head = HTTPRequestHead(
            method: line.method,
            version: version,
            keepAlive: scanner.keepAlive(version),
            expectsContinue: version == .http1_1 && scanner.expectContinue,
            framing: framing,
            headers: scanner.makeHeaders(p, end: end),
            layout: HTTPRequestHead.Layout(
                methodEnd: offset(line.methodEnd),
                targetStart: offset(line.targetStart),
                targetEnd: offset(line.targetEnd),
                pathStart: offset(line.pathStart),
                pathEnd: offset(line.pathEnd),
                queryStart: offset(line.queryStart),
                authorityStart: offset(line.authorityStart),
                authorityEnd: offset(line.authorityEnd)
            )
        )
        scanner.reset()
        body.start(framing)
        state = .body
        return (end, .head(head))
    }

    /// request-line = method SP request-target SP HTTP-version, in `p[start..<end]`
    /// (which holds no controls: the scanner stopped at the first one).
    private mutating func parseRequestLine(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> HTTPParseError.Kind? {
        var i = start
        while i < end, HTTPByteClass.isTChar(p[i]) { i += 1 }
        if i == end { return .invalidRequestLine }
        if i == start || p[i] != HTTPByteClass.sp { return .invalidMethod }
        line.methodEnd = i
        line.method = HTTPMethod.classify(p + start, i - start)
        i += 1

        // The target ends at SP; it holds no '#', DEL or non-ASCII (no controls: the scanner checked).
        let targetStart = i
        var queryStart = -1
        let raw = UnsafeRawPointer(p)
        while true {
            while i &+ 8 <= end, !HTTPByteClass.targetWordNeedsCheck(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                i &+= 8
            }
            guard i < end else { break }
            let c = p[i]
            guard c > 0x20 && c < 0x7F && c != UInt8(ascii: "#") else { break }
            if c == UInt8(ascii: "?") && queryStart < 0 { queryStart = i + 1 }
            i += 1
        }
        if i == end { return .invalidRequestLine }
        if p[i] != HTTPByteClass.sp { return .invalidTarget }
        if i == targetStart { return .invalidRequestLine }
        let targetEnd = i
        i += 1

        // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
        guard end - i == 8,
              p[i] == UInt8(ascii: "H"), p[i + 1] == UInt8(ascii: "T"), p[i + 2] == UInt8(ascii: "T"),
              p[i + 3] == UInt8(ascii: "P"), p[i + 4] == UInt8(ascii: "/"),
              p[i + 5] &- 0x30 < 10, p[i + 6] == UInt8(ascii: "."), p[i + 7] &- 0x30 < 10
        else { return .invalidVersion }
        guard p[i + 5] == UInt8(ascii: "1") else { return .unsupportedVersion }
        switch p[i + 7] {
        case UInt8(ascii: "1"): line.version = .http1_1
        case UInt8(ascii: "0"): line.version = .http1_0
        default: return .unsupportedVersion
        }

        line.targetStart = targetStart
        line.targetEnd = targetEnd
        line.queryStart = queryStart
        line.authorityStart = -1
        line.authorityEnd = -1
        return classifyTarget(p, targetStart, targetEnd)
    }

    /// Checks the target's form against the method and finds path, query and authority (RFC 9112 §3.2).
    private mutating func classifyTarget(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> HTTPParseError.Kind? {
        let first = p[start]
        if line.method == .connect {
            // authority-form = uri-host ":" port
            var colon = -1
            for k in start..<end {
                let c = p[k]
                if c == HTTPByteClass.colon { colon = k } else if !HTTPByteClass.isHostChar(c) { return .invalidTarget }
            }
            guard colon > start, colon + 1 < end else { return .invalidTarget }
            for k in (colon + 1)..<end where p[k] &- 0x30 >= 10 { return .invalidTarget }
            line.pathStart = start
            line.pathEnd = start
            line.queryStart = -1
            line.authorityStart = start
            line.authorityEnd = end
            return nil
        }
        if first == UInt8(ascii: "/") {
            // origin-form = absolute-path [ "?" query ]
            line.pathStart = start
            line.pathEnd = line.queryStart < 0 ? end : line.queryStart - 1
            return nil
        }
        if first == UInt8(ascii: "*") && end - start == 1 {
            // asterisk-form, only for a server-wide OPTIONS.
            guard line.method == .options else { return .invalidTarget }
            line.pathStart = start
            line.pathEnd = end
            return nil
        }
        // absolute-form = scheme "://" authority path-abempty [ "?" query ]
        guard first | 0x20 &- 0x61 < 26 else { return .invalidTarget }
        var i = start + 1
        while i < end {
            let c = p[i]
            guard c | 0x20 &- 0x61 < 26 || c &- 0x30 < 10 || c == UInt8(ascii: "+")
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") else { break }
            i += 1
        }
        guard end - i >= 3, p[i] == HTTPByteClass.colon, p[i + 1] == UInt8(ascii: "/"), p[i + 2] == UInt8(ascii: "/")
        else { return .invalidTarget }
        let slash = i + 2
        let authorityStart = i + 3
        i = authorityStart
        while i < end, p[i] != UInt8(ascii: "/"), p[i] != UInt8(ascii: "?") {
            // userinfo is deprecated for http(s) and a recipient treats it as an error (RFC 9110 §4.2.4).
            if p[i] == UInt8(ascii: "@") { return .invalidTarget }
            i += 1
        }
        guard i > authorityStart else { return .invalidTarget }
        line.authorityStart = authorityStart
        line.authorityEnd = i
        if i == end || p[i] == UInt8(ascii: "?") {
            // Empty path: "/" is the last slash of "://".
            line.pathStart = slash
            line.pathEnd = slash + 1
        } else {
            line.pathStart = i
            line.pathEnd = line.queryStart < 0 ? end : line.queryStart - 1
        }
        return nil
    }
}
