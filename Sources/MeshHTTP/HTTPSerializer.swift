/// Writers that append HTTP/1.1 framing to a byte array (the write buffer), with no
/// allocations beyond the buffer's own growth and no `String` formatting.
///
/// A head is written as a start line, field lines, then `appendEndOfHead`; `appendResponseHead`
/// and `appendRequestHead` do all three from an `HTTPHeaders`. Names and values are written as
/// given: callers must not pass CR, LF or other controls (`HTTPHeaders.add` checks this).
public enum HTTPSerializer {
    // MARK: Heads

    /// Appends `HTTP/1.1 <status> <reason>\r\n`, the fields of `headers` and the empty line.
    public static func appendResponseHead(status: Int, version: HTTPVersion = .http1_1, headers: HTTPHeaders, into buffer: inout [UInt8]) {
        appendStatusLine(status: status, version: version, into: &buffer)
        appendHeaders(headers, into: &buffer)
        appendEndOfHead(into: &buffer)
    }

    /// Appends `HTTP/1.1 <status> <reason>\r\n` with the reason phrase of `reasonPhrase(status)`.
    public static func appendStatusLine(status: Int, version: HTTPVersion = .http1_1, into buffer: inout [UInt8]) {
        precondition((100...999).contains(status), "status code must have 3 digits")
        appendStatic(version == .http1_1 ? "HTTP/1.1 " : "HTTP/1.0 ", into: &buffer)
        buffer.append(0x30 + UInt8(status / 100))
        buffer.append(0x30 + UInt8(status / 10 % 10))
        buffer.append(0x30 + UInt8(status % 10))
        buffer.append(HTTPByteClass.sp)
        appendStatic(reasonPhrase(status), into: &buffer)
        appendCRLF(into: &buffer)
    }

    /// Appends `<METHOD> <target> HTTP/1.1\r\n`, the fields of `headers` and the empty line.
    /// `method` must not be `.other` (use the `methodBytes:` variant).
    public static func appendRequestHead(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders, into buffer: inout [UInt8]) {
        appendRequestLine(method: method, target: target, version: version, into: &buffer)
        appendHeaders(headers, into: &buffer)
        appendEndOfHead(into: &buffer)
    }

    /// Appends a request head with the method and target given as bytes (e.g. forwarded from a parsed head).
    public static func appendRequestHead(methodBytes: ArraySlice<UInt8>, target: ArraySlice<UInt8>, version: HTTPVersion = .http1_1, headers: HTTPHeaders, into buffer: inout [UInt8]) {
        appendRequestLine(methodBytes: methodBytes, target: target, version: version, into: &buffer)
        appendHeaders(headers, into: &buffer)
        appendEndOfHead(into: &buffer)
    }

    /// Appends `<METHOD> <target> HTTP/1.1\r\n`. Traps on `.other` or a target with whitespace or controls.
    public static func appendRequestLine(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, into buffer: inout [UInt8]) {
        precondition(method != .other, "HTTPMethod.other has no name: use appendRequestLine(methodBytes:...)")
        appendStatic(method.name, into: &buffer)
        buffer.append(HTTPByteClass.sp)
        var target = target
        target.withUTF8 { t in
            precondition(!t.isEmpty && t.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "invalid request-target")
            buffer.append(contentsOf: t)
        }
        appendVersionCRLF(version, into: &buffer)
    }

    /// Appends `<method> <target> HTTP/1.1\r\n` from bytes.
    public static func appendRequestLine(methodBytes: ArraySlice<UInt8>, target: ArraySlice<UInt8>, version: HTTPVersion = .http1_1, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: methodBytes)
        buffer.append(HTTPByteClass.sp)
        buffer.append(contentsOf: target)
        appendVersionCRLF(version, into: &buffer)
    }

    // MARK: Fields

    /// Appends `name: value\r\n`.
    public static func appendHeader(name: StaticString, value: StaticString, into buffer: inout [UInt8]) {
        appendStatic(name, into: &buffer)
        appendColonSpace(into: &buffer)
        appendStatic(value, into: &buffer)
        appendCRLF(into: &buffer)
    }

    /// Appends `name: value\r\n`.
    public static func appendHeader(name: StaticString, value: ArraySlice<UInt8>, into buffer: inout [UInt8]) {
        appendStatic(name, into: &buffer)
        appendColonSpace(into: &buffer)
        buffer.append(contentsOf: value)
        appendCRLF(into: &buffer)
    }

    /// Appends `name: value\r\n`.
    public static func appendHeader(name: StaticString, value: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        appendStatic(name, into: &buffer)
        appendColonSpace(into: &buffer)
        buffer.append(contentsOf: value)
        appendCRLF(into: &buffer)
    }

    /// Appends `name: <decimal>\r\n` (e.g. Content-Length).
    public static func appendHeader(name: StaticString, decimal: UInt64, into buffer: inout [UInt8]) {
        appendStatic(name, into: &buffer)
        appendColonSpace(into: &buffer)
        appendDecimal(decimal, into: &buffer)
        appendCRLF(into: &buffer)
    }

    /// Appends `name: value\r\n` from bytes (e.g. forwarding a parsed field).
    public static func appendHeader(name: ArraySlice<UInt8>, value: ArraySlice<UInt8>, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: name)
        appendColonSpace(into: &buffer)
        buffer.append(contentsOf: value)
        appendCRLF(into: &buffer)
    }

    /// Appends every field of `headers` as `name: value\r\n`.
    public static func appendHeaders(_ headers: HTTPHeaders, into buffer: inout [UInt8]) {
        headers.forEachField { name, value in
            buffer.append(contentsOf: name)
            appendColonSpace(into: &buffer)
            buffer.append(contentsOf: value)
            appendCRLF(into: &buffer)
        }
    }

    /// Appends the fields of `headers` a proxy forwards: all but the hop-by-hop ones (RFC 9110 §7.6.1:
    /// Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade, and any named in any
    /// Connection field) and those `alsoDropping` picks (given each field's name as received).
    /// The one implementation of hop-by-hop stripping: every proxy path goes through it.
    public static func appendForwardedHeaders(_ headers: HTTPHeaders, into buffer: inout [UInt8],
                                              alsoDropping drop: (UnsafeBufferPointer<UInt8>) -> Bool = { _ in false }) {
        let hasConnection = headers.contains("connection")
        headers.forEachField { name, value in
            if isHopByHop(name) { return }
            if hasConnection && isNominatedByConnection(name, headers) { return }
            if drop(name) { return }
            buffer.append(contentsOf: name)
            appendColonSpace(into: &buffer)
            buffer.append(contentsOf: value)
            appendCRLF(into: &buffer)
        }
    }

    /// Appends the empty line that ends a head.
    public static func appendEndOfHead(into buffer: inout [UInt8]) {
        appendCRLF(into: &buffer)
    }

    // MARK: Chunked bodies

    /// Appends one chunk: `<hex size>\r\n<data>\r\n`. Nothing for empty data (that would end the body).
    public static func appendChunk(_ bytes: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        guard bytes.count > 0 else { return }
        appendChunkHeader(size: bytes.count, into: &buffer)
        buffer.append(contentsOf: bytes)
        appendCRLF(into: &buffer)
    }

    /// Appends `<hex size>\r\n`, for writing the chunk data separately (then `appendCRLF`).
    public static func appendChunkHeader(size: Int, into buffer: inout [UInt8]) {
        precondition(size > 0, "a chunk of size 0 is the last chunk")
        appendHex(UInt64(size), into: &buffer)
        appendCRLF(into: &buffer)
    }

    /// Appends the last chunk and an empty trailer section: `0\r\n\r\n`.
    public static func appendLastChunk(into buffer: inout [UInt8]) {
        appendStatic("0\r\n\r\n", into: &buffer)
    }

    // MARK: Numbers and bytes

    /// Appends `n` in decimal.
    public static func appendDecimal(_ n: UInt64, into buffer: inout [UInt8]) {
        if n < 10 {
            buffer.append(0x30 &+ UInt8(truncatingIfNeeded: n))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = 20
            var v = n
            while v > 0 {
                i -= 1
                digits[i] = 0x30 &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i..<20]))
        }
    }

    /// Appends `n` in decimal (with a leading '-' if negative).
    public static func appendDecimal(_ n: Int, into buffer: inout [UInt8]) {
        if n < 0 { buffer.append(UInt8(ascii: "-")) }
        appendDecimal(UInt64(n.magnitude), into: &buffer)
    }

    /// Appends `n` in lowercase hexadecimal, without leading zeros.
    public static func appendHex(_ n: UInt64, into buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { digits in
            var i = 16
            var v = n
            repeat {
                i -= 1
                let d = UInt8(truncatingIfNeeded: v & 0xF)
                digits[i] = d < 10 ? 0x30 &+ d : 0x57 &+ d
                v >>= 4
            } while v > 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i..<16]))
        }
    }

    /// Appends `\r\n`.
    public static func appendCRLF(into buffer: inout [UInt8]) {
        buffer.append(HTTPByteClass.cr)
        buffer.append(HTTPByteClass.lf)
    }

    /// The reason phrase for a status code (RFC 9110 §15), or "" for codes it does not name.
    public static func reasonPhrase(_ status: Int) -> StaticString {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 203: return "Non-Authoritative Information"
        case 204: return "No Content"
        case 205: return "Reset Content"
        case 206: return "Partial Content"
        case 300: return "Multiple Choices"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 421: return "Misdirected Request"
        case 422: return "Unprocessable Content"
        case 426: return "Upgrade Required"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return ""
        }
    }

    // MARK: Private

    @inline(__always)
    private static func appendStatic(_ s: StaticString, into buffer: inout [UInt8]) {
        s.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    @inline(__always)
    private static func appendColonSpace(into buffer: inout [UInt8]) {
        buffer.append(HTTPByteClass.colon)
        buffer.append(HTTPByteClass.sp)
    }

    @inline(__always)
    private static func appendVersionCRLF(_ version: HTTPVersion, into buffer: inout [UInt8]) {
        appendStatic(version == .http1_1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", into: &buffer)
    }

    private static func isHopByHop(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let p = name.baseAddress!
        let n = name.count
        return HTTPByteClass.equalsLowercase(p, n, "connection")
            || HTTPByteClass.equalsLowercase(p, n, "proxy-connection")
            || HTTPByteClass.equalsLowercase(p, n, "keep-alive")
            || HTTPByteClass.equalsLowercase(p, n, "te")
            || HTTPByteClass.equalsLowercase(p, n, "transfer-encoding")
            || HTTPByteClass.equalsLowercase(p, n, "upgrade")
    }

    /// Whether a Connection field of `headers` lists `name` as a connection option.
    private static func isNominatedByConnection(_ name: UnsafeBufferPointer<UInt8>, _ headers: HTTPHeaders) -> Bool {
        var found = false
        headers.forEachField { fieldName, value in
            guard !found, HTTPByteClass.equalsLowercase(fieldName.baseAddress!, fieldName.count, "connection") else { return }
            var i = 0
            while i < value.count {
                while i < value.count, value[i] == UInt8(ascii: ",") || HTTPByteClass.isOWS(value[i]) { i += 1 }
                let start = i
                while i < value.count, value[i] != UInt8(ascii: ","), !HTTPByteClass.isOWS(value[i]) { i += 1 }
                guard i - start == name.count, i > start else { continue }
                var k = 0
                while k < name.count, HTTPByteClass.lower(value[start + k]) == HTTPByteClass.lower(name[k]) { k += 1 }
                if k == name.count { found = true }
            }
        }
        return found
    }
}
