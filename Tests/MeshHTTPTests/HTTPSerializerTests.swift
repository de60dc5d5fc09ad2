import MeshHTTP
import Testing

@Suite("HTTPSerializer")
struct HTTPSerializerTests {
    @Test func responseHead() {
        var out: [UInt8] = []
        let headers: HTTPHeaders = ["Content-Length": "5", "Server": "meshbed"]
        HTTPSerializer.appendResponseHead(status: 200, headers: headers, into: &out)
        #expect(text(out) == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: meshbed\r\n\r\n")
    }

    @Test func responseHeadPieces() {
        var out: [UInt8] = []
        HTTPSerializer.appendStatusLine(status: 404, into: &out)
        HTTPSerializer.appendHeader(name: "Content-Type", value: "text/plain", into: &out)
        HTTPSerializer.appendHeader(name: "Content-Length", decimal: 1234, into: &out)
        HTTPSerializer.appendHeader(name: "X-Bytes", value: bytes("abc")[...], into: &out)
        bytes("raw").withUnsafeBytes { HTTPSerializer.appendHeader(name: "X-Raw", value: $0, into: &out) }
        HTTPSerializer.appendEndOfHead(into: &out)
        #expect(text(out) == "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\nX-Bytes: abc\r\nX-Raw: raw\r\n\r\n")
        var v10: [UInt8] = []
        HTTPSerializer.appendStatusLine(status: 299, version: .http1_0, into: &v10)
        #expect(text(v10) == "HTTP/1.0 299 \r\n")
    }

    @Test func requestHeadRoundTrips() throws {
        var out: [UInt8] = []
        let headers: HTTPHeaders = ["Host": "svc:80", "Content-Length": "2"]
        HTTPSerializer.appendRequestHead(method: .post, target: "/a?b=c", headers: headers, into: &out)
        out.append(contentsOf: bytes("hi"))
        #expect(text(out) == "POST /a?b=c HTTP/1.1\r\nHost: svc:80\r\nContent-Length: 2\r\n\r\nhi")
        let parsed = parseValidRequests(out)
        let r = try #require(parsed.first)
        #expect(r.head.method == .post)
        #expect(r.path == "/a")
        #expect(r.query == "b=c")
        #expect(r.body == bytes("hi"))

        // Forward it: method and target as bytes.
        var forwarded: [UInt8] = []
        HTTPSerializer.appendRequestHead(methodBytes: r.head.methodBytes, target: r.head.target, headers: r.head.headers, into: &forwarded)
        #expect(text(forwarded) == "POST /a?b=c HTTP/1.1\r\nHost: svc:80\r\nContent-Length: 2\r\n\r\n")
    }

    @Test func forwardedHeadersDropHopByHop() throws {
        let r = try parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: 5\r\nx-secret: s\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nAccept: */*\r\n\r\n")
        var out: [UInt8] = []
        HTTPSerializer.appendForwardedHeaders(r.head.headers, into: &out)
        #expect(text(out) == "Host: h\r\nAccept: */*\r\n")
    }

    @Test func chunkedBodyRoundTrips() {
        var out = bytes("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        let parts = [bytes("hello "), bytes("chunked"), Array(repeating: UInt8(ascii: "z"), count: 300)]
        for p in parts { p.withUnsafeBytes { HTTPSerializer.appendChunk($0, into: &out) } }
        HTTPSerializer.appendLastChunk(into: &out)
        #expect(text(out).contains("\r\n12c\r\nzzz"))
        #expect(text(out).hasSuffix("\r\n0\r\n\r\n"))
        let messages = parseValidRequests(out)
        #expect(messages.first?.body == parts.flatMap { $0 })
    }

    @Test func emptyChunkIsNotWritten() {
        var out: [UInt8] = []
        [UInt8]().withUnsafeBytes { HTTPSerializer.appendChunk($0, into: &out) }
        #expect(out.isEmpty)
    }

    @Test(arguments: [(UInt64(0), "0"), (9, "9"), (10, "10"), (12345, "12345"), (UInt64.max, "18446744073709551615")])
    func decimal(n: UInt64, expected: String) {
        var out: [UInt8] = []
        HTTPSerializer.appendDecimal(n, into: &out)
        #expect(text(out) == expected)
    }

    @Test func signedDecimal() {
        var out: [UInt8] = []
        HTTPSerializer.appendDecimal(-42, into: &out)
        HTTPSerializer.appendDecimal(Int.min, into: &out)
        HTTPSerializer.appendDecimal(7, into: &out)
        #expect(text(out) == "-42-92233720368547758087")
    }

    @Test func hex() {
        var out: [UInt8] = []
        for n: UInt64 in [0, 0xA, 0x1F, 0x3FFF_FFFF_FFFF_FFFF, .max] {
            HTTPSerializer.appendHex(n, into: &out)
            out.append(UInt8(ascii: " "))
        }
        #expect(text(out) == "0 a 1f 3fffffffffffffff ffffffffffffffff ")
    }

    @Test func reasonPhrases() {
        #expect(HTTPSerializer.reasonPhrase(200).description == "OK")
        #expect(HTTPSerializer.reasonPhrase(414).description == "URI Too Long")
        #expect(HTTPSerializer.reasonPhrase(431).description == "Request Header Fields Too Large")
        #expect(HTTPSerializer.reasonPhrase(505).description == "HTTP Version Not Supported")
        #expect(HTTPSerializer.reasonPhrase(599).description == "")
    }

    @Test func errorStatusesHaveReasons() {
        for kind: HTTPParseError.Kind in [.bareLF, .requestLineTooLong, .headersTooLarge, .unknownTransferCoding, .unsupportedVersion] {
            let status = HTTPParseError(kind).status
            #expect(HTTPSerializer.reasonPhrase(status).utf8CodeUnitCount > 0)
        }
    }
}
