/// Resumable scanner of a message head (start line, then field lines) or of a chunked trailer section.
///
/// Positions are offsets into the caller's input, whose unconsumed prefix is presented again on
/// every call; `pos` remembers how far validation got, so no byte is examined twice (except the
/// CR of a CRLF split across calls). Fields are checked for syntax as they complete, and the ones
/// that decide framing and persistence (Host, Content-Length, Transfer-Encoding, Connection,
/// Expect) are interpreted right away, so the head is parsed exactly once.
struct HTTPHeadScanner: Sendable {
    enum Phase: UInt8 { case startLine, lineStart, name, leadingOWS, value }

    enum StartLineStep {
        case needMore
        /// The start line is `headStart..<end` (end is the CR); fields start at `end + 2`.
        case found(end: Int)
        /// A control byte at this offset inside the start line.
        case control(at: Int)
        case error(HTTPParseError.Kind)
    }

    enum FieldStep {
        case needMore
        /// The head (or trailer section) ends just before `end` (after the empty line's LF).
        case complete(end: Int)
        case error(HTTPParseError.Kind)
    }

    var phase: Phase = .startLine
    /// Start of the start line, after any ignored empty lines.
    var headStart = 0
    var emptyLines = 0
    /// Next byte to examine.
    var pos = 0
    var fieldsStart = 0
    var nameStart = 0
    var nameEnd = 0
    var valueStart = 0
    var valueEnd = 0
    var fieldCount = 0
    /// Trailer sections are only validated: no table, no interpretation.
    var isTrailer = false
    /// Offsets of each field, reused across messages.
    var table: [HTTPHeaders.FieldOffsets] = []

    // Interpreted fields.
    var hostCount = 0
    var hasContentLength = false
    var contentLength: UInt64 = 0
    var hasTransferEncoding = false
    var transferCodings = 0
    var chunkedSeen = false
    var chunkedLast = false
    var otherCodingSeen = false
    var connectionClose = false
    var connectionKeepAlive = false
    var expectContinue = false

    /// Whether any byte of a message was examined (besides ignored empty lines).
    var hasPartialInput: Bool { phase != .startLine || pos > headStart }

    /// Forgets the message, keeping the table's capacity.
    mutating func reset() {
        phase = .startLine
        headStart = 0
        emptyLines = 0
        pos = 0
        fieldsStart = 0
        fieldCount = 0
        table.removeAll(keepingCapacity: true)
        hostCount = 0
        hasContentLength = false
        contentLength = 0
        hasTransferEncoding = false
        transferCodings = 0
        chunkedSeen = false
        chunkedLast = false
        otherCodingSeen = false
        connectionClose = false
        connectionKeepAlive = false
        expectContinue = false
    }

    /// Starts validating a trailer section at `start`.
    mutating func beginTrailers(at start: Int) {
        self = HTTPHeadScanner()
        isTrailer = true
        phase = .lineStart
        headStart = start
        fieldsStart = start
        pos = start
    }

    /// Shifts every position down by `k` after the caller consumed `k` bytes in front of them.
    mutating func rebase(by k: Int) {
        headStart -= k
        pos -= k
        fieldsStart -= k
        nameStart -= k
        nameEnd -= k
        valueStart -= k
        valueEnd -= k
    }

    // MARK: Start line

    /// Finds the end of the start line, skipping up to `maxEmptyLines` leading CRLFs. Reports a
    /// line longer than `maxLength` as soon as that many bytes have arrived without a CR.
    mutating func scanStartLine(
        _ p: UnsafePointer<UInt8>, _ count: Int,
        maxLength: Int, maxEmptyLines: Int, allowTab: Bool,
        tooLong: HTTPParseError.Kind, invalid: HTTPParseError.Kind
    ) -> StartLineStep {
        var i = pos
        if i == headStart {
            while i < count {
                let c = p[i]
                if c == HTTPByteClass.cr {
                    guard i + 1 < count else { return .needMore }
                    guard p[i + 1] == HTTPByteClass.lf else { return .error(.bareCR) }
                    emptyLines += 1
                    if emptyLines > maxEmptyLines { return .error(invalid) }
                    i += 2
                    headStart = i
                    pos = i
                } else if c == HTTPByteClass.lf {
                    return .error(.bareLF)
                } else {
                    break
                }
            }
        }
        let bound = headStart + maxLength + 1
        let limit = min(count, bound)
        i = allowTab
            ? HTTPByteClass.firstControlExceptTab(p, from: i, to: limit)
            : HTTPByteClass.firstControl(p, from: i, to: limit)
        if i < limit {
            let c = p[i]
            if c == HTTPByteClass.cr {
                guard i + 1 < count else {
                    pos = i
                    return .needMore
                }
                guard p[i + 1] == HTTPByteClass.lf else { return .error(.bareCR) }
                pos = i + 2
                fieldsStart = i + 2
                phase = .lineStart
                return .found(end: i)
            }
            if c == HTTPByteClass.lf { return .error(.bareLF) }
            return .control(at: i)
        }
        pos = i
        if i == bound { return .error(tooLong) }
        return .needMore
    }

    // MARK: Field lines

    /// Validates field lines from `pos` up to the empty line that ends the section.
    mutating func scanFields(_ p: UnsafePointer<UInt8>, _ count: Int, maxBytes: Int, maxCount: Int) -> FieldStep {
        // The complete section must end by `bound`; never look past it.
        let bound = fieldsStart + maxBytes
        let end = min(count, bound)
        var i = pos
        var phase = self.phase
        var step = FieldStep.needMore
        scan: while true {
            switch phase {
            case .lineStart:
                guard i < end else { break scan }
                let c = p[i]
                if HTTPByteClass.isTChar(c) {
                    if fieldCount == maxCount {
                        step = .error(.tooManyHeaders)
                        break scan
                    }
                    nameStart = i
                    i += 1
                    phase = .name
                } else if c == HTTPByteClass.cr {
                    guard i + 1 < end else { break scan }
                    step = p[i + 1] == HTTPByteClass.lf ? .complete(end: i + 2) : .error(.bareCR)
                    i += 2
                    break scan
                } else if c == HTTPByteClass.lf {
                    step = .error(.bareLF)
                    break scan
                } else if HTTPByteClass.isOWS(c) {
                    step = .error(.obsFold)
                    break scan
                } else {
                    step = .error(.invalidHeaderName)
                    break scan
                }
            case .name:
                let raw = UnsafeRawPointer(p)
                while i &+ 8 <= end, HTTPByteClass.isNameWord(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i &+= 8 }
                while i < end, HTTPByteClass.isTChar(p[i]) { i += 1 }
                guard i < end else { break scan }
                let c = p[i]
                if c == HTTPByteClass.colon {
                    nameEnd = i
                    i += 1
                    phase = .leadingOWS
                } else if HTTPByteClass.isOWS(c) {
                    step = .error(.whitespaceBeforeColon)
                    break scan
                } else if c == HTTPByteClass.cr {
                    guard i + 1 < end else { break scan }
                    step = .error(p[i + 1] == HTTPByteClass.lf ? .missingColon : .bareCR)
                    break scan
                } else if c == HTTPByteClass.lf {
                    step = .error(.bareLF)
                    break scan
                } else {
                    step = .error(.invalidHeaderName)
                    break scan
                }
            case .leadingOWS:
                while i < end, HTTPByteClass.isOWS(p[i]) { i += 1 }
                guard i < end else { break scan }
                valueStart = i
                phase = .value
            case .value:
                // VCHAR, obs-text, SP and HTAB run up to the CR; trailing whitespace is trimmed there.
                i = HTTPByteClass.firstControlExceptTab(p, from: i, to: end)
                guard i < end else { break scan }
                let c = p[i]
                if c == HTTPByteClass.cr {
                    guard i + 1 < end else { break scan }
                    guard p[i + 1] == HTTPByteClass.lf else {
                        step = .error(.bareCR)
                        break scan
                    }
                    var valueEnd = i
                    while valueEnd > valueStart, HTTPByteClass.isOWS(p[valueEnd - 1]) { valueEnd -= 1 }
                    self.valueEnd = valueEnd
                    fieldCount += 1
                    if !isTrailer, let kind = fieldComplete(p) {
                        step = .error(kind)
                        break scan
                    }
                    i += 2
                    phase = .lineStart
                } else if c == HTTPByteClass.lf {
                    step = .error(.bareLF)
                    break scan
                } else {
                    step = .error(.invalidHeaderValue)
                    break scan
                }
            case .startLine:
                preconditionFailure("scanFields before the start line")
            }
        }
        pos = i
        self.phase = phase
        if case .needMore = step, end == bound {
            // Everything up to the bound arrived without completing the section.
            return .error(.headersTooLarge)
        }
        return step
    }

    // MARK: Interpretation

    /// Records the field that just ended and interprets it if it affects framing or persistence.
    private mutating func fieldComplete(_ p: UnsafePointer<UInt8>) -> HTTPParseError.Kind? {
        table.append(HTTPHeaders.FieldOffsets(
            nameStart: UInt32(truncatingIfNeeded: nameStart), nameEnd: UInt32(truncatingIfNeeded: nameEnd),
            valueStart: UInt32(truncatingIfNeeded: valueStart), valueEnd: UInt32(truncatingIfNeeded: valueEnd)))
        let name = p + nameStart
        switch nameEnd - nameStart {
        case 4:
            guard HTTPByteClass.equalsLowercase(name, 4, "host") else { return nil }
            hostCount += 1
            if hostCount > 1 { return .duplicateHost }
            var k = valueStart
            let raw = UnsafeRawPointer(p)
            while k &+ 8 <= valueEnd, HTTPByteClass.isHostWord(raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)) { k &+= 8 }
            while k < valueEnd {
                guard HTTPByteClass.isHostChar(p[k]) else { return .invalidHost }
                k &+= 1
            }
        case 6:
            guard HTTPByteClass.equalsLowercase(name, 6, "expect") else { return nil }
            if HTTPByteClass.equalsLowercase(p + valueStart, valueEnd - valueStart, "100-continue") {
                expectContinue = true
            }
        case 10:
            guard HTTPByteClass.equalsLowercase(name, 10, "connection") else { return nil }
            interpretConnection(p)
        case 14:
            guard HTTPByteClass.equalsLowercase(name, 14, "content-length") else { return nil }
            return interpretContentLength(p)
        case 17:
            guard HTTPByteClass.equalsLowercase(name, 17, "transfer-encoding") else { return nil }
            return interpretTransferEncoding(p)
        default:
            break
        }
        return nil
    }

    /// Content-Length = 1*DIGIT, or a list of identical ones (RFC 9110 §8.6); below 2^62.
    private mutating func interpretContentLength(_ p: UnsafePointer<UInt8>) -> HTTPParseError.Kind? {
        var i = valueStart
        let e = valueEnd
        while true {
            var v: UInt64 = 0
            let digitsStart = i
            while i < e {
                let d = p[i] &- 0x30
                guard d < 10 else { break }
                // v * 10 + 9 cannot overflow UInt64 below this; the result is checked against 2^62.
                guard v <= 461_168_601_842_738_790 else { return .invalidContentLength }
                v = v &* 10 &+ UInt64(d)
                guard v < 1 << 62 else { return .invalidContentLength }
                i += 1
            }
            if i == digitsStart { return .invalidContentLength }
            if hasContentLength && v != contentLength { return .conflictingContentLength }
            hasContentLength = true
            contentLength = v
            while i < e, HTTPByteClass.isOWS(p[i]) { i += 1 }
            if i == e { return nil }
            guard p[i] == UInt8(ascii: ",") else { return .invalidContentLength }
            i += 1
            while i < e, HTTPByteClass.isOWS(p[i]) { i += 1 }
        }
    }

    /// Transfer-Encoding = #transfer-coding; tracks whether `chunked` is present, repeated and last.
    private mutating func interpretTransferEncoding(_ p: UnsafePointer<UInt8>) -> HTTPParseError.Kind? {
        hasTransferEncoding = true
        var i = valueStart
        let e = valueEnd
        while i < e {
            let c = p[i]
            if HTTPByteClass.isOWS(c) || c == UInt8(ascii: ",") {
                i += 1
                continue
            }
            let tokenStart = i
            while i < e, HTTPByteClass.isTChar(p[i]) { i += 1 }
            let tokenEnd = i
            if tokenEnd == tokenStart { return .invalidTransferEncoding }
            while i < e, HTTPByteClass.isOWS(p[i]) { i += 1 }
            var hasParameters = false
            if i < e, p[i] == UInt8(ascii: ";") {
                hasParameters = true
                while i < e, p[i] != UInt8(ascii: ",") { i += 1 }
            }
            if i < e, p[i] != UInt8(ascii: ",") { return .invalidTransferEncoding }
            transferCodings += 1
            if HTTPByteClass.equalsLowercase(p + tokenStart, tokenEnd - tokenStart, "chunked") {
                if hasParameters { return .invalidTransferEncoding }
                if chunkedSeen { return .duplicateChunked }
                chunkedSeen = true
                chunkedLast = true
            } else {
                otherCodingSeen = true
                chunkedLast = false
            }
        }
        return nil
    }

    /// Connection = #connection-option; notes `close` and `keep-alive`.
    private mutating func interpretConnection(_ p: UnsafePointer<UInt8>) {
        var i = valueStart
        let e = valueEnd
        while i < e {
            let c = p[i]
            if HTTPByteClass.isOWS(c) || c == UInt8(ascii: ",") {
                i += 1
                continue
            }
            let tokenStart = i
            while i < e, p[i] != UInt8(ascii: ","), !HTTPByteClass.isOWS(p[i]) { i += 1 }
            let token = p + tokenStart
            let length = i - tokenStart
            if HTTPByteClass.equalsLowercase(token, length, "close") {
                connectionClose = true
            } else if HTTPByteClass.equalsLowercase(token, length, "keep-alive") {
                connectionKeepAlive = true
            }
        }
    }

    /// Framing of a request (RFC 9112 §6.1, §6.3): only a single, final `chunked` is supported.
    func requestFraming(_ version: HTTPVersion, _ framing: inout HTTPBodyFraming) -> HTTPParseError.Kind? {
        if hasTransferEncoding {
            if version == .http1_0 { return .transferEncodingInHTTP10 }
            if hasContentLength { return .conflictingFraming }
            if transferCodings == 0 { return .invalidTransferEncoding }
            if chunkedSeen && !chunkedLast { return .chunkedNotFinal }
            if otherCodingSeen { return .unknownTransferCoding }
            framing = .chunked
        } else if hasContentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .none
        }
        return nil
    }

    /// Framing of a response before status and request method are considered (RFC 9112 §6.3):
    /// chunked if it is the final coding, otherwise read until close.
    func responseFraming(_ version: HTTPVersion, _ framing: inout HTTPBodyFraming) -> HTTPParseError.Kind? {
        if hasTransferEncoding {
            if version == .http1_0 { return .transferEncodingInHTTP10 }
            if hasContentLength { return .conflictingFraming }
            if transferCodings == 0 { return .invalidTransferEncoding }
            framing = chunkedLast ? .chunked : .untilClose
        } else if hasContentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .untilClose
        }
        return nil
    }

    /// Persistence per RFC 9112 §9.3.
    func keepAlive(_ version: HTTPVersion) -> Bool {
        if connectionClose { return false }
        return version == .http1_1 || connectionKeepAlive
    }

    /// Builds the header block of the head `headStart..<end`: its one allocation.
    func makeHeaders(_ p: UnsafePointer<UInt8>, end: Int) -> HTTPHeaders {
        table.withUnsafeBufferPointer {
            HTTPHeaders.build(head: p + headStart, length: end - headStart, table: $0, rebase: headStart)
        }
    }
}
