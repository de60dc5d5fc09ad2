import MeshHTTP
import Testing

@Suite("HTTPRequestParser: valid requests")
struct RequestParserValidTests {
    @Test func simpleGet() throws {
        let r = try parseOne("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n")
        #expect(r.head.method == .get)
        #expect(text(r.head.methodBytes) == "GET")
        #expect(r.target == "/index.html")
        #expect(r.path == "/index.html")
        #expect(r.query == nil)
        #expect(r.head.authority == nil)
        #expect(r.head.version == .http1_1)
        #expect(r.head.framing == HTTPBodyFraming.none)
        #expect(r.head.keepAlive)
        #expect(!r.head.expectsContinue)
        #expect(r.head.headers.count == 2)
        #expect(text(r.head.headers.name(at: 0)) == "Host")
        #expect(text(r.head.headers.value(at: 0)) == "example.com")
        #expect(text(r.head.headers.name(at: 1)) == "User-Agent")
        #expect(text(r.head.headers.value(at: 1)) == "t")
        #expect(r.body.isEmpty)
        #expect(r.ended)
    }

    @Test func eventsAreHeadThenEnd() {
        var parser = HTTPRequestParser()
        let input = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        input.withUnsafeBytes { buf in
            let (c1, e1) = parser.next(buf)
            #expect(c1 == input.count)
            guard case .head? = e1 else { Issue.record("expected head"); return }
            let rest = UnsafeRawBufferPointer(rebasing: buf[c1...])
            let (c2, e2) = parser.next(rest)
            #expect(c2 == 0)
            guard case .end? = e2 else { Issue.record("expected end"); return }
            let (c3, e3) = parser.next(rest)
            #expect(c3 == 0)
            #expect(e3 == nil)
        }
        #expect(parser.isIdle)
    }

    @Test func queryIsSplitFromPath() throws {
        let r = try parseOne("GET /search?q=a?b&x= HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(r.path == "/search")
        #expect(r.query == "q=a?b&x=")
        let empty = try parseOne("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(empty.path == "/p")
        #expect(empty.query == "")
    }

    @Test func http11IsPersistentByDefault() throws {
        #expect(try parseOne("GET / HTTP/1.1\r\nHost: h\r\n\r\n").head.keepAlive)
    }

    @Test func http10IsNotPersistentByDefault() throws {
        let r = try parseOne("GET / HTTP/1.0\r\n\r\n")
        #expect(r.head.version == .http1_0)
        #expect(!r.head.keepAlive)
    }

    @Test func http10KeepAlive() throws {
        #expect(try parseOne("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keepAlive)
        #expect(try parseOne("GET / HTTP/1.0\r\nConnection: Upgrade, Keep-Alive\r\n\r\n").head.keepAlive)
        #expect(try !parseOne("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").head.keepAlive)
    }

    @Test func connectionClose() throws {
        #expect(try !parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").head.keepAlive)
        #expect(try !parseOne("GET / HTTP/1.1\r\nHost: h\r\nconnection: foo,  CLOSE \r\n\r\n").head.keepAlive)
        #expect(try !parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: x\r\nConnection: close\r\n\r\n").head.keepAlive)
        #expect(try parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n").head.keepAlive)
    }

    @Test func http10WithoutHostIsFine() throws {
        let r = try parseOne("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n")
        #expect(!r.head.headers.contains("host"))
    }

    @Test func absoluteFormTarget() throws {
        let r = try parseOne("GET http://svc.local:8080/a/b?x=1&y HTTP/1.1\r\nHost: svc.local:8080\r\n\r\n")
        #expect(r.target == "http://svc.local:8080/a/b?x=1&y")
        #expect(r.path == "/a/b")
        #expect(r.query == "x=1&y")
        #expect(r.head.authority.map(text) == "svc.local:8080")
    }

    @Test func absoluteFormWithoutPath() throws {
        let bare = try parseOne("GET http://svc HTTP/1.1\r\nHost: svc\r\n\r\n")
        #expect(bare.path == "/")
        #expect(bare.query == nil)
        #expect(bare.head.authority.map(text) == "svc")
        let withQuery = try parseOne("GET https://svc?k=v HTTP/1.1\r\nHost: svc\r\n\r\n")
        #expect(withQuery.path == "/")
        #expect(withQuery.query == "k=v")
    }

    @Test func authorityFormForConnect() throws {
        let r = try parseOne("CONNECT svc.local:443 HTTP/1.1\r\nHost: svc.local:443\r\n\r\n")
        #expect(r.head.method == .connect)
        #expect(r.target == "svc.local:443")
        #expect(r.path == "")
        #expect(r.head.authority.map(text) == "svc.local:443")
    }

    @Test func asteriskFormForOptions() throws {
        let r = try parseOne("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(r.head.method == .options)
        #expect(r.target == "*")
        #expect(r.path == "*")
    }

    @Test(arguments: [
        ("GET", HTTPMethod.get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
        ("OPTIONS", .options), ("PATCH", .patch), ("TRACE", .trace), ("PURGE", .other), ("get", .other),
        ("GETS", .other), ("M-SEARCH", .other), ("PROPFIND", .other),
    ])
    func methods(name: String, method: HTTPMethod) throws {
        let r = try parseOne("\(name) /x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(r.head.method == method)
        #expect(text(r.head.methodBytes) == name)
    }

    @Test func expectContinue() throws {
        let r = try parseOne("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\nabc")
        #expect(r.head.expectsContinue)
        #expect(r.body == bytes("abc"))
        #expect(try !parseOne("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").head.expectsContinue)
        // Ignored on HTTP/1.0 (RFC 9110 §10.1.1).
        #expect(try !parseOne("POST /u HTTP/1.0\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n").head.expectsContinue)
    }

    @Test func pipelinedRequestsYieldInOrder() {
        let input = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            + "PUT /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + "\r\nDELETE /4 HTTP/1.1\r\nHost: h\r\n\r\n"
        let messages = parseValidRequests(input)
        #expect(messages.map(\.target) == ["/1", "/2", "/3", "/4"])
        #expect(messages.map { text($0.body) } == ["", "hello", "abc", ""])
        #expect(messages.allSatisfy { $0.ended })
    }

    @Test func contentLengthBodyFedByteByByte() {
        let payload = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let input = bytes("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 300\r\n\r\n") + payload
        let run = runRequests(input, .bytewise)
        #expect(run.error == nil)
        #expect(run.messages.count == 1)
        #expect(run.messages.first?.head.framing == .contentLength(300))
        #expect(run.messages.first?.body == payload)
        #expect(run.messages.first?.ended == true)
    }

    @Test func bodyIsNotBuffered() {
        // A body event reports what is available, before the rest arrives.
        var parser = HTTPRequestParser()
        let head = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n")
        let (consumed, _) = head.withUnsafeBytes { parser.next($0) }
        #expect(consumed == head.count)
        let part = bytes("abc")
        let (c, e) = part.withUnsafeBytes { parser.next($0) }
        #expect(c == 3)
        guard case .body(let range)? = e else { Issue.record("expected body"); return }
        #expect(range == 0..<3)
        // The rest of the buffer beyond the body belongs to the next request.
        let rest = bytes("defghijGET")
        let (c2, e2) = rest.withUnsafeBytes { parser.next($0) }
        #expect(c2 == 7)
        guard case .body(let r2)? = e2 else { Issue.record("expected body"); return }
        #expect(r2 == 0..<7)
    }

    @Test func zeroContentLengthEndsRightAway() throws {
        let r = try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        #expect(r.head.framing == .contentLength(0))
        #expect(r.body.isEmpty)
        #expect(r.ended)
    }

    @Test func identicalContentLengthsAreAccepted() throws {
        let list = try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello")
        #expect(list.head.framing == .contentLength(5))
        #expect(list.body == bytes("hello"))
        let repeated = try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length:5\r\n\r\nhello")
        #expect(repeated.head.framing == .contentLength(5))
        let leadingZeros = try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0005\r\n\r\nhello")
        #expect(leadingZeros.head.framing == .contentLength(5))
    }

    @Test func largestContentLengthIsAccepted() {
        var parser = HTTPRequestParser()
        let head = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4611686018427387903\r\n\r\n")
        let (_, event) = head.withUnsafeBytes { parser.next($0) }
        guard case .head(let h)? = event else { Issue.record("expected head"); return }
        #expect(h.framing == .contentLength((1 << 62) - 1))
    }

    @Test func chunkedBodyWithExtensionsAndTrailersByteByByte() {
        let input = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n"
            + "6 ; a=\"quoted; ok\";b\r\n world\r\n"
            + "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
            + "0;last\r\nTrailer-One: 1\r\nchecksum:  abc \r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"
        let messages = parseValidRequests(input)
        #expect(messages.map(\.target) == ["/c", "/next"])
        #expect(messages.first?.head.framing == .chunked)
        #expect(messages.first.map { text($0.body) } == "hello worldabcdefghijklmnopqrstuvwxyz")
        #expect(messages.allSatisfy { $0.ended })
    }

    @Test func chunkedWithoutTrailersAndUppercaseHex() {
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n00\r\n\r\n"
        let messages = parseValidRequests(input)
        #expect(messages.first.map { text($0.body) } == "0123456789")
    }

    @Test func transferEncodingIsCaseInsensitive() throws {
        #expect(try parseOne("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n").head.framing == .chunked)
        #expect(try parseOne("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked ,\r\n\r\n0\r\n\r\n").head.framing == .chunked)
    }

    @Test func headerNamesAreCaseInsensitive() throws {
        let r = try parseOne("POST / HTTP/1.1\r\nhOsT: h\r\nCoNtEnT-LeNgTh: 2\r\nX-Custom-HEADER: v\r\n\r\nok")
        #expect(r.head.framing == .contentLength(2))
        #expect(r.head.headers.firstValue("content-length").map(text) == "2")
        #expect(r.head.headers.firstIndex(of: "x-custom-header") == 2)
        #expect(r.head.headers.contains("host"))
        #expect(!r.head.headers.contains("hos"))
        #expect(r.header("X-CUSTOM-header") == "v")
        #expect(text(r.head.headers.name(at: 0)) == "hOsT")
    }

    @Test func valuesAreOWSTrimmed() throws {
        let r = try parseOne("GET / HTTP/1.1\r\nHost:h\r\nA:   spaced  out \t \r\nB:\t\r\nC:\r\nD: x\r\n\r\n")
        let h = r.head.headers
        #expect(text(h.value(at: 0)) == "h")
        #expect(text(h.value(at: 1)) == "spaced  out")
        #expect(h.value(at: 2).isEmpty)
        #expect(h.value(at: 3).isEmpty)
        #expect(text(h.value(at: 4)) == "x")
    }

    @Test func obsTextInValues() {
        let value: [UInt8] = [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x20, 0x80, 0xFF]
        let input = bytes("GET / HTTP/1.1\r\nHost: h\r\nX-Name: ") + value + bytes("\r\n\r\n")
        let messages = parseValidRequests(input)
        #expect(messages.first.map { Array($0.head.headers.value(at: 1)) } == value)
    }

    @Test func tokenCharactersInNames() throws {
        let r = try parseOne("GET / HTTP/1.1\r\nHost: h\r\n!#$%&'*+-.^_`|~09az: v\r\n\r\n")
        #expect(text(r.head.headers.name(at: 1)) == "!#$%&'*+-.^_`|~09az")
    }

    @Test func leadingEmptyLinesAreIgnored() {
        let messages = parseValidRequests("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(messages.map(\.target) == ["/"])
    }

    @Test func limitsAreInclusive() {
        let limits = HTTPParserLimits(maxRequestLine: 32, maxHeaderBytes: 64, maxHeaderCount: 3)
        // Request line of exactly 32 bytes.
        let line = "GET /" + String(repeating: "a", count: 18) + " HTTP/1.1"
        #expect(line.utf8.count == 32)
        // Field section of exactly 64 bytes (3 fields plus the final CRLF).
        let fields = "Host: h\r\nA: " + String(repeating: "x", count: 42) + "\r\nB: b\r\n\r\n"
        #expect(fields.utf8.count == 64)
        let messages = parseValidRequests(line + "\r\n" + fields, limits: limits)
        #expect(messages.count == 1)
        #expect(messages.first?.head.headers.count == 3)
    }

    @Test func headBytesAreKept() throws {
        let raw = "GET /a HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n"
        let r = try parseOne("\r\n" + raw)
        #expect(text(r.head.headers.rawBytes) == raw)
    }

    @Test func finishWhenIdleOrTruncated() {
        var idle = HTTPRequestParser()
        #expect(idle.finish() == nil)

        var partialHead = HTTPRequestParser()
        let head = bytes("GET / HTT")
        _ = head.withUnsafeBytes { partialHead.next($0) }
        guard case .error(let e)? = partialHead.finish() else { Issue.record("expected error"); return }
        #expect(e.kind == .incompleteMessage && e.status == 400)

        var partialBody = HTTPRequestParser()
        let post = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")
        var buffer = post
        while true {
            let (c, ev) = buffer.withUnsafeBytes { partialBody.next($0) }
            buffer.removeFirst(c)
            if ev == nil { break }
        }
        guard case .error(let e2)? = partialBody.finish() else { Issue.record("expected error"); return }
        #expect(e2.kind == .incompleteMessage)
    }
}
