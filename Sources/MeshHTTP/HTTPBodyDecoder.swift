/// Resumable decoder of a message body after its head: content-length, chunked or until-close.
///
/// Body bytes are never copied: each call reports at most one range of the caller's input.
/// Chunk framing is validated and consumed byte by byte as it arrives; a trailer section is
/// validated like a field section and consumed once complete.
struct HTTPBodyDecoder: Sendable {
    enum Phase: UInt8 {
        case idle, endPending, length, untilClose
        case chunkSize, chunkExtension, chunkSizeLF, chunkData, chunkDataCR, chunkDataLF, trailers
    }

    enum Output {
        case needMore
        case body(Range<Int>)
        case end
        case error(HTTPParseError.Kind)
    }

    var phase: Phase = .idle
    /// Bytes left in the body (content-length) or in the current chunk; the chunk size being read.
    var remaining: UInt64 = 0
    var digits = 0
    var extensionLength = 0
    var extensionHasSemicolon = false
    var trailers = HTTPHeadScanner()

    /// Whether a body was started and not finished (so a close now truncates it).
    var isIncomplete: Bool { phase != .idle && phase != .endPending && phase != .untilClose }

    mutating func start(_ framing: HTTPBodyFraming) {
        switch framing {
        case .none, .contentLength(0):
            phase = .endPending
        case .contentLength(let n):
            phase = .length
            remaining = n
        case .chunked:
            phase = .chunkSize
            remaining = 0
            digits = 0
        case .untilClose:
            phase = .untilClose
        }
    }

    mutating func next(_ input: UnsafeRawBufferPointer, _ limits: HTTPParserLimits) -> (Int, Output) {
        let count = input.count
        switch phase {
        case .endPending:
            phase = .idle
            return (0, .end)
        case .idle:
            return (0, .needMore)
        case .length:
            guard count > 0 else { return (0, .needMore) }
            let n = remaining < UInt64(count) ? Int(remaining) : count
            remaining -= UInt64(n)
            if remaining == 0 { phase = .endPending }
            return (n, .body(0..<n))
        case .untilClose:
            guard count > 0 else { return (0, .needMore) }
            return (count, .body(0..<count))
        default:
            guard count > 0, let base = input.baseAddress else { return (0, .needMore) }
            return chunked(base.assumingMemoryBound(to: UInt8.self), count, limits)
        }
    }

    /// chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 §7.1).
    private mutating func chunked(_ p: UnsafePointer<UInt8>, _ count: Int, _ limits: HTTPParserLimits) -> (Int, Output) {
        var i = 0
        while true {
            switch phase {
            case .chunkSize:
                guard i < count else { return (i, .needMore) }
                let c = p[i]
                let h = HTTPByteClass.hexValue(c)
                if h != 0xFF {
                    if digits == 16 || remaining >> 58 != 0 { return (i, .error(.chunkSizeOverflow)) }
                    remaining = remaining << 4 | UInt64(h)
                    digits += 1
                    i += 1
                } else if digits == 0 {
                    return (i, .error(c == HTTPByteClass.lf ? .bareLF : .invalidChunkSize))
                } else if c == HTTPByteClass.cr {
                    phase = .chunkSizeLF
                    i += 1
                } else if c == UInt8(ascii: ";") || HTTPByteClass.isOWS(c) {
                    phase = .chunkExtension
                    extensionHasSemicolon = c == UInt8(ascii: ";")
                    extensionLength = 1
                    i += 1
                } else if c == HTTPByteClass.lf {
                    return (i, .error(.bareLF))
                } else {
                    return (i, .error(.invalidChunkSize))
                }
            case .chunkExtension:
                // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): accepted and ignored,
                // but it must start with ';' after optional whitespace and hold no controls.
                while i < count {
                    let c = p[i]
                    if c == HTTPByteClass.cr { break }
                    if c == HTTPByteClass.lf { return (i, .error(.bareLF)) }
                    if c < 0x20 && c != HTTPByteClass.htab || c == 0x7F { return (i, .error(.invalidChunkExtension)) }
                    if c == UInt8(ascii: ";") {
                        extensionHasSemicolon = true
                    } else if !extensionHasSemicolon && !HTTPByteClass.isOWS(c) {
                        return (i, .error(.invalidChunkSize))
                    }
                    extensionLength += 1
                    if extensionLength > limits.maxChunkExtension { return (i, .error(.chunkExtensionTooLong)) }
                    i += 1
                }
                guard i < count else { return (i, .needMore) }
                if !extensionHasSemicolon { return (i, .error(.invalidChunkExtension)) }
                phase = .chunkSizeLF
                i += 1
            case .chunkSizeLF:
                guard i < count else { return (i, .needMore) }
                guard p[i] == HTTPByteClass.lf else { return (i, .error(.bareCR)) }
                i += 1
                if remaining == 0 {
                    phase = .trailers
                    trailers.beginTrailers(at: i)
                } else {
                    phase = .chunkData
                }
            case .chunkData:
                guard i < count else { return (i, .needMore) }
                let available = count - i
                let n = remaining < UInt64(available) ? Int(remaining) : available
                remaining -= UInt64(n)
                if remaining == 0 { phase = .chunkDataCR }
                return (i + n, .body(i..<(i + n)))
            case .chunkDataCR:
                guard i < count else { return (i, .needMore) }
                let c = p[i]
                guard c == HTTPByteClass.cr else {
                    return (i, .error(c == HTTPByteClass.lf ? .bareLF : .chunkDataMismatch))
                }
                phase = .chunkDataLF
                i += 1
            case .chunkDataLF:
                guard i < count else { return (i, .needMore) }
                guard p[i] == HTTPByteClass.lf else { return (i, .error(.bareCR)) }
                phase = .chunkSize
                digits = 0
                i += 1
            case .trailers:
                switch trailers.scanFields(p, count, maxBytes: limits.maxHeaderBytes, maxCount: limits.maxHeaderCount) {
                case .needMore:
                    // Keep the partial trailer section in the caller's buffer; consume what precedes it.
                    let k = trailers.fieldsStart
                    trailers.rebase(by: k)
                    return (k, .needMore)
                case .complete(let end):
                    phase = .idle
                    return (end, .end)
                case .error(let kind):
                    return (i, .error(kind))
                }
            case .idle, .endPending, .length, .untilClose:
                preconditionFailure("not a chunked phase")
            }
        }
    }
}
