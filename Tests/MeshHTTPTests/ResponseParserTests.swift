import MeshHTTP
import Testing

@Suite("HTTPResponseParser")
struct ResponseParserTests {
    /// Parses under every feeding, asserts they agree and returns the whole-buffer run.
    func parse(_ input: String, requests: [Bool] = [false], finish: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> ResponseRun {
        let reference = runResponses(bytes(input), .whole, requests: requests, finish: finish)
        for feeding in Feeding.all.dropFirst() {
            let run = runResponses(bytes(input), feeding, requests: requests, finish: finish)
            #expect(run.statuses == reference.statuses, "\(feeding)", sourceLocation: sourceLocation)
            #expect(run.messages.map(\.body) == reference.messages.map(\.body), "\(feeding)", sourceLocation: sourceLocation)
            #expect(run.messages.map(\.ended) == reference.messages.map(\.ended), "\(feeding)", sourceLocation: sourceLocation)
            #expect(run.error == reference.error, "\(feeding)", sourceLocation: sourceLocation)
        }
        return reference
    }

    func expectResponseRejected(_ input: String, _ kind: HTTPParseError.Kind, sourceLocation: SourceLocation = #_sourceLocation) {
        let follow = "HTTP/1.1 204 No Content\r\n\r\n"
        for feeding in Feeding.all {
            let run = runResponses(bytes(input + follow), feeding, requests: [false, false])
            #expect(run.error == HTTPParseError(kind: kind, status: 502), "\(feeding)", sourceLocation: sourceLocation)
            #expect(!run.statuses.contains(204), "\(feeding)", sourceLocation: sourceLocation)
            #expect(run.eventsAfterError == 0, "\(feeding)", sourceLocation: sourceLocation)
        }
    }

    @Test func contentLengthResponse() throws {
        let run = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello")
        #expect(run.error == nil)
        let r = try #require(run.messages.first)
        #expect(r.status == 200)
        #expect(text(r.head.reason) == "OK")
        #expect(r.head.version == .http1_1)
        #expect(r.head.framing == .contentLength(5))
        #expect(r.head.keepAlive)
        #expect(r.header("server") == "t")
        #expect(r.body == bytes("hello"))
        #expect(r.ended)
    }

    @Test func headResponseHasNoBody() {
        let input = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let run = parse(input, requests: [true, false])
        #expect(run.error == nil)
        #expect(run.statuses == [200, 200])
        #expect(run.messages.first?.head.framing == HTTPBodyFraming.none)
        #expect(run.messages.first?.head.keepAlive == true)
        #expect(run.messages.map(\.body) == [[], bytes("ok")])
        #expect(run.messages.allSatisfy { $0.ended })
    }

    @Test func headResponseWithChunkedHasNoBody() {
        let run = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", requests: [true, true])
        #expect(run.statuses == [200, 404])
        #expect(run.error == nil)
    }

    @Test(arguments: [204, 304])
    func noBodyStatuses(status: Int) {
        let input = "HTTP/1.1 \(status) X\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"
        let run = parse(input, requests: [false, false])
        #expect(run.error == nil)
        #expect(run.statuses == [status, 200])
        #expect(run.messages.first?.head.framing == HTTPBodyFraming.none)
        #expect(run.messages.map(\.body) == [[], bytes("z")])
    }

    @Test func continueThenFinalResponse() {
        let input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
        let run = parse(input, requests: [false])
        #expect(run.error == nil)
        #expect(run.statuses == [100, 200])
        #expect(run.messages.first?.head.framing == HTTPBodyFraming.none)
        #expect(run.messages.allSatisfy { $0.ended })
        #expect(run.messages.last?.body == bytes("abc"))
    }

    @Test func interimResponsesKeepTheHeadExpectation() {
        // Two interim responses to a HEAD request, then its final response (no body), then a GET's.
        let input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nget"
        let run = parse(input, requests: [true, false])
        #expect(run.error == nil)
        #expect(run.statuses == [100, 103, 200, 200])
        #expect(run.messages.map(\.body) == [[], [], [], bytes("get")])
    }

    @Test func expectationQueue() {
        var parser = HTTPResponseParser()
        parser.expectResponse(toHEAD: true)
        parser.expectResponse(to: .get)
        #expect(parser.pendingResponses == 2)
        var buffer = bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
        let (c, e) = buffer.withUnsafeBytes { parser.next($0) }
        buffer.removeFirst(c)
        guard case .head(let h)? = e else { Issue.record("expected head"); return }
        #expect(h.framing == HTTPBodyFraming.none)
        #expect(parser.pendingResponses == 1)
    }

    @Test func chunkedResponse() throws {
        let run = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n")
        #expect(run.error == nil)
        let r = try #require(run.messages.first)
        #expect(r.head.framing == .chunked)
        #expect(r.head.keepAlive)
        #expect(text(r.body) == "Wikipedia")
        #expect(r.ended)
    }

    @Test func untilCloseEndedByFinish() throws {
        let run = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstreamed until close", finish: true)
        #expect(run.error == nil)
        let r = try #require(run.messages.first)
        #expect(r.head.framing == .untilClose)
        #expect(!r.head.keepAlive)
        #expect(text(r.body) == "streamed until close")
        #expect(r.ended)
    }

    @Test func untilCloseWithoutFinishDoesNotEnd() {
        let run = parse("HTTP/1.0 200 OK\r\n\r\nabc")
        #expect(run.messages.first?.ended == false)
        #expect(run.messages.first?.body == bytes("abc"))
    }

    @Test func nonChunkedTransferCodingReadsUntilClose() {
        let run = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\u{1F}x", finish: true)
        #expect(run.error == nil)
        #expect(run.messages.first?.head.framing == .untilClose)
        #expect(run.messages.first?.ended == true)
    }

    @Test func truncatedBodyIsAnErrorAtFinish() {
        let run = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", finish: true)
        #expect(run.messages.first?.ended == false)
        #expect(run.error == HTTPParseError(kind: .incompleteMessage, status: 502))
    }

    @Test func truncatedChunkedBodyIsAnErrorAtFinish() {
        let run = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc", finish: true)
        #expect(run.error?.kind == .incompleteMessage)
    }

    @Test func truncatedHeadIsAnErrorAtFinish() {
        let run = parse("HTTP/1.1 200 OK\r\nContent-Le", finish: true)
        #expect(run.messages.isEmpty)
        #expect(run.error?.kind == .incompleteMessage)
    }

    @Test func finishWhenIdleIsNil() {
        var parser = HTTPResponseParser()
        parser.expectResponse(toHEAD: false)
        #expect(parser.finish() == nil)
        let run = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", finish: true)
        #expect(run.error == nil)
        #expect(run.statuses == [200])
    }

    @Test func statusLineWithEmptyReason() {
        let run = parse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\nHTTP/1.1 201\r\nContent-Length: 0\r\n\r\n", requests: [false, false])
        #expect(run.error == nil)
        #expect(run.statuses == [200, 201])
        #expect(run.messages.allSatisfy { $0.head.reason.isEmpty })
    }

    @Test func reasonMayHoldTabsAndObsText() {
        let input = bytes("HTTP/1.1 404 Not\tFound ") + [0xC3, 0xA9] + bytes("\r\nContent-Length: 0\r\n\r\n")
        let run = runResponses(input)
        #expect(run.error == nil)
        #expect(run.messages.first.map { Array($0.head.reason) } == bytes("Not\tFound ") + [0xC3, 0xA9])
    }

    @Test func keepAlivePerVersionAndConnection() {
        let run = parse(
            "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            requests: [false, false, false])
        #expect(run.messages.map(\.head.keepAlive) == [false, true, false])
    }

    @Test func switchingProtocolsStopsParsing() {
        var parser = HTTPResponseParser()
        parser.expectResponse(toHEAD: false)
        var buffer = bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") + [0x81, 0x05] + bytes("hello")
        var events: [String] = []
        for _ in 0..<5 {
            let (c, e) = buffer.withUnsafeBytes { parser.next($0) }
            buffer.removeFirst(c)
            switch e {
            case .head(let h)?:
                events.append("head \(h.status) keepAlive=\(h.keepAlive)")
            case .end?: events.append("end")
            case .body?: events.append("body")
            case .error?: events.append("error")
            case nil: events.append("nil")
            }
        }
        #expect(events == ["head 101 keepAlive=false", "end", "nil", "nil", "nil"])
        #expect(parser.hasUpgraded)
        #expect(buffer.count == 7)
        #expect(parser.pendingResponses == 0)
    }

    // MARK: Malformed responses (502)

    @Test(arguments: ["HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 600 Nope", "HTTP/1.1 099 Low", "HTTP/1.1  200 OK",
                      "HTTP/1.1 200OK", "http/1.1 200 OK", "HTTP/1.1", "ICY 200 OK", "HTTP/1.1 abc OK", "HTTP/11 200 OK"])
    func invalidStatusLine(line: String) {
        expectResponseRejected(line + "\r\nContent-Length: 0\r\n\r\n", .invalidStatusLine)
    }

    @Test func controlInReason() {
        expectResponseRejected("HTTP/1.1 200 O\u{01}K\r\nContent-Length: 0\r\n\r\n", .invalidStatusLine)
    }

    @Test(arguments: ["HTTP/2.0 200 OK", "HTTP/1.2 200 OK", "HTTP/0.9 200 OK"])
    func unsupportedResponseVersion(line: String) {
        expectResponseRejected(line + "\r\nContent-Length: 0\r\n\r\n", .unsupportedVersion)
    }

    @Test func statusLineTooLong() {
        let limits = HTTPParserLimits(maxRequestLine: 32)
        let run = runResponses(bytes("HTTP/1.1 200 " + String(repeating: "r", count: 40)), limits: limits)
        #expect(run.error == HTTPParseError(kind: .statusLineTooLong, status: 502))
    }

    @Test func responseFieldStrictness() {
        expectResponseRejected("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .bareLF)
        expectResponseRejected("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: a\r\n b\r\n\r\n", .obsFold)
        expectResponseRejected("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", .whitespaceBeforeColon)
        expectResponseRejected("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: a\rb\r\n\r\n", .bareCR)
        expectResponseRejected("HTTP/1.1 200 OK\r\nBroken\r\n\r\n", .missingColon)
    }

    @Test func responseFramingErrors() {
        expectResponseRejected("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .conflictingFraming)
        expectResponseRejected("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", .conflictingContentLength)
        expectResponseRejected("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .invalidContentLength)
        expectResponseRejected("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10)
        expectResponseRejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", .duplicateChunked)
        expectResponseRejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefg\r\n0\r\n\r\n", .chunkDataMismatch)
        expectResponseRejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", .invalidChunkSize)
    }
}
