import MeshHTTP
import Testing

/// Every rejection: exact kind and status, sticky error, and a valid request pipelined after the
/// bad one is never parsed (see `expectRejected`).
@Suite("HTTPRequestParser: malformed requests")
struct RequestParserMalformedTests {
    static let get = "GET / HTTP/1.1\r\n"
    static let host = "Host: h\r\n"

    // MARK: Line terminators

    @Test func bareLFEndingRequestLine() {
        expectRejected("GET / HTTP/1.1\nHost: h\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFEndingFieldLine() {
        expectRejected(Self.get + "Host: h\nX: y\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFAsEmptyLine() {
        expectRejected(Self.get + Self.host + "\n", .bareLF, status: 400)
    }

    @Test func bareLFInFieldName() {
        expectRejected(Self.get + Self.host + "Na\nme: v\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFBeforeRequestLine() {
        expectRejected("\nGET / HTTP/1.1\r\n" + Self.host + "\r\n", .bareLF, status: 400)
    }

    @Test func bareCRInFieldValue() {
        expectRejected(Self.get + Self.host + "X: a\rb\r\n\r\n", .bareCR, status: 400)
    }

    @Test func bareCRInRequestLine() {
        expectRejected("GET /\r HTTP/1.1\r\n" + Self.host + "\r\n", .bareCR, status: 400)
    }

    @Test func bareCRAsEmptyLine() {
        expectRejected(Self.get + Self.host + "\rX", .bareCR, status: 400)
    }

    @Test func bareCRInFieldName() {
        expectRejected(Self.get + Self.host + "Name\rx: v\r\n\r\n", .bareCR, status: 400)
    }

    @Test func bareCRBeforeRequestLine() {
        expectRejected("\rGET / HTTP/1.1\r\n" + Self.host + "\r\n", .bareCR, status: 400)
    }

    // MARK: Field lines

    @Test func obsFold() {
        expectRejected(Self.get + Self.host + "X: a\r\n b\r\n\r\n", .obsFold, status: 400)
        expectRejected(Self.get + Self.host + "X: a\r\n\tb\r\n\r\n", .obsFold, status: 400)
    }

    @Test func whitespaceBeforeFirstField() {
        expectRejected(Self.get + " Host: h\r\n\r\n", .obsFold, status: 400)
    }

    @Test func whitespaceBeforeColon() {
        expectRejected(Self.get + "Host : h\r\n\r\n", .whitespaceBeforeColon, status: 400)
        expectRejected(Self.get + Self.host + "X\t: v\r\n\r\n", .whitespaceBeforeColon, status: 400)
    }

    @Test func missingColon() {
        expectRejected(Self.get + Self.host + "NoColonHere\r\n\r\n", .missingColon, status: 400)
    }

    @Test(arguments: ["Ho(st: h", ": empty-name", "X/Y: v", "\u{7F}: v", "@: v"])
    func invalidHeaderName(line: String) {
        expectRejected(Self.get + Self.host + line + "\r\n\r\n", .invalidHeaderName, status: 400)
    }

    @Test func nonASCIIHeaderName() {
        expectRejected(bytes(Self.get + Self.host) + [0xC3, 0xA9] + bytes(": v\r\n\r\n"), .invalidHeaderName, status: 400)
    }

    @Test(arguments: [0x00, 0x01, 0x08, 0x0B, 0x0C, 0x1F, 0x7F] as [UInt8])
    func controlInHeaderValue(control: UInt8) {
        let input = bytes(Self.get + Self.host + "X: a") + [control] + bytes("b\r\n\r\n")
        expectRejected(input, .invalidHeaderValue, status: 400)
    }

    // MARK: Limits

    @Test func requestLineTooLong() {
        let limits = HTTPParserLimits(maxRequestLine: 64)
        let line = "GET /" + String(repeating: "a", count: 51) + " HTTP/1.1"
        #expect(line.utf8.count == 65)
        expectRejected(line + "\r\n" + Self.host + "\r\n", .requestLineTooLong, status: 414, limits: limits)
    }

    @Test func requestLineTooLongDetectedBeforeCRLF() {
        // The terminator never comes: the parser must give up once the limit is passed.
        let limits = HTTPParserLimits(maxRequestLine: 1024)
        var parser = HTTPRequestParser(limits: limits)
        var buffer = bytes("GET /")
        var result: HTTPParseError?
        for _ in 0..<2000 {
            buffer.append(UInt8(ascii: "a"))
            let (consumed, event) = buffer.withUnsafeBytes { parser.next($0) }
            #expect(consumed == 0)
            if case .error(let e)? = event {
                result = e
                break
            }
        }
        #expect(result == HTTPParseError(kind: .requestLineTooLong, status: 414))
        #expect(buffer.count == 1025)
    }

    @Test func requestLineTooLongWithDefaultLimit() {
        let target = "/" + String(repeating: "x", count: 8 * 1024)
        expectRejected("GET \(target) HTTP/1.1\r\n" + Self.host + "\r\n", .requestLineTooLong, status: 414)
    }

    @Test func headersTooLarge() {
        let limits = HTTPParserLimits(maxHeaderBytes: 64)
        let fields = "Host: h\r\nA: " + String(repeating: "x", count: 43) + "\r\nB: b\r\n\r\n"
        #expect(fields.utf8.count == 65)
        expectRejected(Self.get + fields, .headersTooLarge, status: 431, limits: limits)
    }

    @Test func headersTooLargeDetectedBeforeTerminator() {
        var parser = HTTPRequestParser(limits: HTTPParserLimits(maxHeaderCount: 10_000))
        var buffer = bytes(Self.get + Self.host)
        var result: HTTPParseError?
        var n = 0
        while result == nil && n < 10_000 {
            n += 1
            buffer.append(contentsOf: bytes("X-Filler-\(n): " + String(repeating: "v", count: 50) + "\r\n"))
            if case .error(let e)? = buffer.withUnsafeBytes({ parser.next($0) }).event { result = e }
        }
        #expect(result == HTTPParseError(kind: .headersTooLarge, status: 431))
        #expect(buffer.count < 62 * 1024)
    }

    @Test func oneLongFieldValueTooLarge() {
        expectRejected(Self.get + Self.host + "X: " + String(repeating: "v", count: 61 * 1024) + "\r\n\r\n", .headersTooLarge, status: 431)
    }

    @Test func tooManyHeaders() {
        let fields = (0..<100).map { "X-\($0): v\r\n" }.joined()
        expectRejected(Self.get + Self.host + fields + "\r\n", .tooManyHeaders, status: 431)
        // Exactly 100 is fine.
        let ok = (0..<99).map { "X-\($0): v\r\n" }.joined()
        #expect(parseValidRequests(Self.get + Self.host + ok + "\r\n").first?.head.headers.count == 100)
    }

    @Test func tooManyHeadersDetectedBeforeTerminator() {
        var parser = HTTPRequestParser(limits: HTTPParserLimits(maxHeaderCount: 5))
        let input = bytes(Self.get + Self.host + (0..<5).map { "X-\($0): v\r\n" }.joined())
        let (_, event) = input.withUnsafeBytes { parser.next($0) }
        guard case .error(let e)? = event else { Issue.record("expected error"); return }
        #expect(e == HTTPParseError(kind: .tooManyHeaders, status: 431))
    }

    @Test func tooManyLeadingEmptyLines() {
        expectRejected(String(repeating: "\r\n", count: 5) + Self.get + Self.host + "\r\n", .invalidRequestLine, status: 400)
    }

    // MARK: Content-Length

    @Test(arguments: ["+5", "0x5", "-1", "1 2", "", "5a", "5.0", "5,", ",5", "1_000", "٣",
                      "18446744073709551616", "4611686018427387904", "99999999999999999999999"])
    func invalidContentLength(value: String) {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(value)\r\n\r\n", .invalidContentLength, status: 400)
    }

    @Test func conflictingContentLengthFields() {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", .conflictingContentLength, status: 400)
    }

    @Test func conflictingContentLengthList() {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\nhello!", .conflictingContentLength, status: 400)
    }

    // MARK: Transfer-Encoding

    @Test func transferEncodingWithContentLength() {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .conflictingFraming, status: 400)
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", .conflictingFraming, status: 400)
    }

    @Test func transferEncodingInHTTP10() {
        expectRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10, status: 400)
    }

    @Test(arguments: ["chunked, gzip", "gzip, chunked, identity"])
    func chunkedNotFinal(value: String) {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(value)\r\n\r\n", .chunkedNotFinal, status: 400)
    }

    @Test func chunkedNotFinalAcrossFields() {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", .chunkedNotFinal, status: 400)
    }

    @Test(arguments: ["gzip", "deflate", "compress", "identity", "x-custom", "gzip, chunked", "GZIP,Chunked", "gzip;q=1"])
    func unknownTransferCoding(value: String) {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n", .unknownTransferCoding, status: 501)
    }

    @Test func chunkedTwice() {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", .duplicateChunked, status: 400)
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\ntransfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n", .duplicateChunked, status: 400)
    }

    @Test(arguments: ["", " , ", "chunked;x=1", "chu\"nked", "@"])
    func invalidTransferEncoding(value: String) {
        expectRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n", .invalidTransferEncoding, status: 400)
    }

    // MARK: Host

    @Test func missingHost() {
        expectRejected("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .missingHost, status: 400)
    }

    @Test func duplicateHost() {
        expectRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", .duplicateHost, status: 400)
        expectRejected("GET / HTTP/1.0\r\nhost: a\r\nHOST: b\r\n\r\n", .duplicateHost, status: 400)
    }

    @Test(arguments: ["a b", "a/b", "a\"b", "h@x"])
    func invalidHost(value: String) {
        expectRejected("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n", .invalidHost, status: 400)
    }

    // MARK: Request line

    @Test(arguments: ["GET  / HTTP/1.1", "GET /", "GET", " "])
    func invalidRequestLine(line: String) {
        let expected: HTTPParseError.Kind = line == " " ? .invalidMethod : .invalidRequestLine
        expectRejected(line + "\r\n" + Self.host + "\r\n", expected, status: 400)
    }

    @Test(arguments: ["G(T / HTTP/1.1", " GET / HTTP/1.1", "GET\t/ HTTP/1.1", "GE:T / HTTP/1.1"])
    func invalidMethod(line: String) {
        expectRejected(line + "\r\n" + Self.host + "\r\n", .invalidMethod, status: 400)
    }

    @Test(arguments: ["GET /a\u{01}b HTTP/1.1", "GET /a\tb HTTP/1.1", "GET /a\u{7F} HTTP/1.1", "GET /caf\u{E9} HTTP/1.1",
                      "GET /a#frag HTTP/1.1", "GET * HTTP/1.1", "OPTIONS *x HTTP/1.1", "CONNECT /x HTTP/1.1",
                      "CONNECT host HTTP/1.1", "CONNECT host: HTTP/1.1", "CONNECT host:44x HTTP/1.1", "GET http:///x HTTP/1.1",
                      "GET http://user@host/ HTTP/1.1", "GET foo HTTP/1.1", "GET 1http://h/ HTTP/1.1", "GET http:/x HTTP/1.1"])
    func invalidTarget(line: String) {
        expectRejected(line + "\r\n" + Self.host + "\r\n", .invalidTarget, status: 400)
    }

    @Test(arguments: ["GET / http/1.1", "GET /  HTTP/1.1", "GET / ", "GET / HTTP/1", "GET / HTTP/11", "GET / HTTP/1.1x", "GET / HTTP/1.1 ",
                      "GET / HTTP/a.b", "GET / HTTPS/1.1", "GET / HTTP/1.1\u{01}"])
    func invalidVersion(line: String) {
        expectRejected(line + "\r\n" + Self.host + "\r\n", .invalidVersion, status: 400)
    }

    @Test(arguments: ["GET / HTTP/2.0", "GET / HTTP/1.2", "GET / HTTP/0.9", "GET / HTTP/3.0"])
    func unsupportedVersion(line: String) {
        expectRejected(line + "\r\n" + Self.host + "\r\n", .unsupportedVersion, status: 505)
    }

    @Test func binaryGarbage() {
        expectRejected([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00], .invalidMethod, status: 400)
    }

    // MARK: Chunked framing

    static let chunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

    // The chunk-size lines are given without their CRLF (appended here), so that the test
    // names the argument stays on one line of output.
    @Test(arguments: ["zz", "", ";ext", "-1", "5x", "0x5"])
    func invalidChunkSize(framing: String) {
        expectRejected(Self.chunkedHead + framing + "\r\n", .invalidChunkSize, status: 400)
    }

    @Test(arguments: ["10000000000000000", "4000000000000000", "FFFFFFFFFFFFFFFF", "00000000000000001"])
    func chunkSizeOverflow(framing: String) {
        expectRejected(Self.chunkedHead + framing + "\r\n", .chunkSizeOverflow, status: 400)
    }

    @Test func largestChunkSizeIsAccepted() {
        var parser = HTTPRequestParser()
        var buffer = bytes(Self.chunkedHead + "3FFFFFFFFFFFFFFF\r\nab")
        var body = 0
        while true {
            let (c, e) = buffer.withUnsafeBytes { parser.next($0) }
            if case .body(let r)? = e { body += r.count }
            if case .error? = e { Issue.record("unexpected error") }
            buffer.removeFirst(c)
            if e == nil { break }
        }
        #expect(body == 2)
    }

    @Test func chunkDataNotFollowedByCRLF() {
        expectRejected(Self.chunkedHead + "5\r\nhelloX\r\n0\r\n\r\n", .chunkDataMismatch, status: 400)
        expectRejected(Self.chunkedHead + "3\r\nhello\r\n0\r\n\r\n", .chunkDataMismatch, status: 400)
    }

    @Test func chunkDataFollowedByCRWithoutLF() {
        expectRejected(Self.chunkedHead + "5\r\nhello\rX0\r\n\r\n", .bareCR, status: 400)
    }

    @Test func bareLFAfterChunkSize() {
        expectRejected(Self.chunkedHead + "5\nhello\r\n0\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFAfterChunkData() {
        expectRejected(Self.chunkedHead + "5\r\nhello\n0\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFAfterChunkExtension() {
        expectRejected(Self.chunkedHead + "5;a=b\nhello\r\n0\r\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFEndingTrailers() {
        expectRejected(Self.chunkedHead + "0\r\n\n", .bareLF, status: 400)
        expectRejected(Self.chunkedHead + "0\r\nX: y\n\r\n", .bareLF, status: 400)
    }

    @Test func bareLFAfterLastChunk() {
        expectRejected(Self.chunkedHead + "0\n\r\n", .bareLF, status: 400)
    }

    @Test func bareCRAfterChunkSize() {
        expectRejected(Self.chunkedHead + "5\rhello\r\n0\r\n\r\n", .bareCR, status: 400)
    }

    @Test(arguments: ["5;a\u{01}b", "5;a\u{00}", "5;\u{7F}", "5 ", "5\t"])
    func invalidChunkExtension(framing: String) {
        expectRejected(Self.chunkedHead + framing + "\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, status: 400)
    }

    @Test func whitespaceThenGarbageAfterChunkSize() {
        expectRejected(Self.chunkedHead + "5 x\r\nhello\r\n0\r\n\r\n", .invalidChunkSize, status: 400)
    }

    @Test func chunkExtensionTooLong() {
        let ext = ";" + String(repeating: "e", count: 5000)
        expectRejected(Self.chunkedHead + "5" + ext + "\r\nhello\r\n0\r\n\r\n", .chunkExtensionTooLong, status: 400)
    }

    @Test func invalidTrailerFields() {
        expectRejected(Self.chunkedHead + "0\r\nX: a\r\n folded\r\n\r\n", .obsFold, status: 400)
        expectRejected(Self.chunkedHead + "0\r\nNoColon\r\n\r\n", .missingColon, status: 400)
        expectRejected(Self.chunkedHead + "0\r\nX : a\r\n\r\n", .whitespaceBeforeColon, status: 400)
        expectRejected(bytes(Self.chunkedHead + "0\r\nX: a") + [0] + bytes("\r\n\r\n"), .invalidHeaderValue, status: 400)
    }

    @Test func trailersTooLarge() {
        let limits = HTTPParserLimits(maxHeaderBytes: 128)
        expectRejected(Self.chunkedHead + "0\r\nX: " + String(repeating: "t", count: 200) + "\r\n\r\n", .headersTooLarge, status: 431, limits: limits)
    }

    @Test func tooManyTrailers() {
        let limits = HTTPParserLimits(maxHeaderCount: 4)
        expectRejected(Self.chunkedHead + "0\r\n" + (0..<5).map { "T\($0): v\r\n" }.joined() + "\r\n", .tooManyHeaders, status: 431, limits: limits)
    }

    @Test func badMessageAfterGoodOneStopsThePipeline() {
        let input = bytes("GET /ok HTTP/1.1\r\nHost: h\r\n\r\nGET /bad HTTP/1.1\r\nHost: h\r\nX : y\r\n\r\n") + followUpRequest
        for feeding in Feeding.all {
            let run = runRequests(input, feeding)
            #expect(run.targets == ["/ok"])
            #expect(run.error?.kind == .whitespaceBeforeColon)
            #expect(run.eventsAfterError == 0)
        }
    }

    @Test func errorIsSticky() {
        var parser = HTTPRequestParser()
        let bad = bytes("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n")
        let good = followUpRequest
        let (c1, e1) = bad.withUnsafeBytes { parser.next($0) }
        #expect(c1 == 0)
        guard case .error(let first)? = e1 else { Issue.record("expected error"); return }
        #expect(parser.hasFailed)
        for _ in 0..<3 {
            let (c, e) = good.withUnsafeBytes { parser.next($0) }
            #expect(c == 0)
            guard case .error(let again)? = e else { Issue.record("expected error"); return }
            #expect(again == first)
        }
        guard case .error(let atClose)? = parser.finish() else { Issue.record("expected error"); return }
        #expect(atClose == first)
    }
}
