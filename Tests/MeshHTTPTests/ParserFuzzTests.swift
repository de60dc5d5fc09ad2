import MeshHTTP
import Testing

/// Seeded random-mutation fuzzing of both parsers (deterministic: a failure names its iteration
/// and prints the input). Each mutated input is fed whole and in random pieces; the parser must
/// not crash, must always make progress, must keep its ranges inside the input and must reach
/// the same result however the input is split.
@Suite("Parser fuzzing")
struct ParserFuzzTests {
    static let requestCorpus: [[UInt8]] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /search?q=x&y=%20 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: fuzz/1.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world",
        "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
        "GET http://svc:8080/p?q HTTP/1.1\r\nHost: svc:8080\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\nCONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
        "\r\nDELETE /x HTTP/1.1\r\nHost: h\r\nX-Obs: caf\u{E9}\r\nContent-Length: 3, 3\r\n\r\nabc",
    ].map { Array($0.utf8) }

    static let responseCorpus: [[UInt8]] = [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nServer: s\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0;e\r\nX: y\r\n\r\n",
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
        "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\nHTTP/1.1 404 \r\nContent-Length: 2\r\n\r\nno",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n\u{81}\u{01}",
    ].map { Array($0.utf8) }

    static let tokens: [[UInt8]] = [
        "\r\n", "\r\n\r\n", "\n", "\r", " ", "\t", ":", ";", ",", "0", "F", "\"", "?", "/", "#", "=", "\0",
        "chunked", "Content-Length: ", "Transfer-Encoding: ", "Host: h\r\n", "0\r\n\r\n", "HTTP/1.1", "HTTP/1.0",
        "GET ", "HEAD ", "100", "204", "Connection: close\r\n", "ffffffffffffffffff", "\u{80}", "\u{FF}",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ corpus: [[UInt8]], _ rng: inout SeededGenerator) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !b.isEmpty:
                b[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !b.isEmpty:
                b[at] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                b.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 3 where !b.isEmpty:
                b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...8, using: &rng)))
            case 4:
                let other = corpus.randomElement(using: &rng)!
                let from = Int.random(in: 0..<other.count, using: &rng)
                b.replaceSubrange(at..<b.count, with: other[from...])
            case 5 where !b.isEmpty:
                let end = min(b.count, at + Int.random(in: 1...16, using: &rng))
                b.insert(contentsOf: b[at..<end], at: at)
            case 6:
                b.removeSubrange(at..<b.count)
            default:
                b.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            }
        }
        return b
    }

    static func pieces(_ input: [UInt8], _ rng: inout SeededGenerator) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        let small = Bool.random(using: &rng)
        while i < input.count {
            let n = min(input.count - i, small ? Int.random(in: 1...3, using: &rng) : Int.random(in: 1...64, using: &rng))
            result.append(input[i..<(i + n)])
            i += n
        }
        return result
    }

    /// Checks invariants on every call and returns a split-independent summary of the events.
    static func driveRequests(_ pieces: [ArraySlice<UInt8>], limits: HTTPParserLimits) -> (summary: [String], failure: String?) {
        var parser = HTTPRequestParser(limits: limits)
        var buffer: [UInt8] = []
        var summary: [String] = []
        let total = pieces.reduce(0) { $0 + $1.count }
        var calls = 0
        var bodyBytes: UInt64 = 0
        var framing = HTTPBodyFraming.none
        var failed: HTTPParseError?
        for piece in pieces {
            buffer.append(contentsOf: piece)
            while true {
                calls += 1
                if calls > 2 * total + pieces.count + 10 { return (summary, "no progress after \(calls) calls") }
                let (consumed, event) = buffer.withUnsafeBytes { parser.next($0) }
                if consumed < 0 || consumed > buffer.count { return (summary, "consumed \(consumed) of \(buffer.count)") }
                if let failed {
                    guard case .error(let e)? = event, e == failed, consumed == 0 else { return (summary, "error not sticky") }
                    break
                }
                switch event {
                case .head(let head)?:
                    if consumed == 0 { return (summary, "head consumed nothing") }
                    if let problem = checkHeaders(head.headers, limits) { return (summary, problem) }
                    if !HTTPHeaders.isValidName(head.methodBytes) { return (summary, "method not a token") }
                    if head.target.isEmpty { return (summary, "empty target") }
                    framing = head.framing
                    bodyBytes = 0
                    var line = "head \(text(head.methodBytes)) \(text(head.target)) \(text(head.path)) \(head.query.map(text) ?? "-")"
                    line += " \(head.version) \(head.framing) ka=\(head.keepAlive) ec=\(head.expectsContinue)"
                    for i in 0..<head.headers.count { line += " [\(text(head.headers.name(at: i)))=\(text(head.headers.value(at: i)))]" }
                    summary.append(line)
                case .body(let range)?:
                    if range.isEmpty || range.lowerBound < 0 || range.upperBound > consumed { return (summary, "body range \(range) consumed \(consumed)") }
                    bodyBytes += UInt64(range.count)
                    if case .contentLength(let n) = framing, bodyBytes > n { return (summary, "body longer than Content-Length") }
                    appendBody(Array(buffer[range]), to: &summary)
                case .end?:
                    if case .contentLength(let n) = framing, bodyBytes != n { return (summary, "end before Content-Length") }
                    summary.append("end")
                case .error(let e)?:
                    if consumed != 0 { return (summary, "error consumed bytes") }
                    failed = e
                    summary.append("error \(e.kind) \(e.status)")
                case nil:
                    break
                }
                buffer.removeFirst(consumed)
                if event == nil {
                    // It must really need more input: asking again changes nothing.
                    let (again, event2) = buffer.withUnsafeBytes { parser.next($0) }
                    if again != 0 || event2 != nil { return (summary, "nil was not a request for more input") }
                    break
                }
            }
        }
        if failed == nil, parser.isIdle, parser.finish() != nil { return (summary, "finish when idle") }
        return (summary, nil)
    }

    static func checkHeaders(_ h: HTTPHeaders, _ limits: HTTPParserLimits) -> String? {
        if h.count > limits.maxHeaderCount { return "too many headers accepted" }
        for i in 0..<h.count {
            if !HTTPHeaders.isValidName(h.name(at: i)) { return "bad name accepted" }
            let v = h.value(at: i)
            if !HTTPHeaders.isValidValue(v) { return "bad value accepted" }
            if let f = v.first, f == 0x20 || f == 0x09 { return "value not trimmed" }
            if let l = v.last, l == 0x20 || l == 0x09 { return "value not trimmed" }
        }
        return nil
    }

    static func driveResponses(_ pieces: [ArraySlice<UInt8>], heads: [Bool], limits: HTTPParserLimits) -> (summary: [String], failure: String?) {
        var parser = HTTPResponseParser(limits: limits)
        for h in heads { parser.expectResponse(toHEAD: h) }
        var buffer: [UInt8] = []
        var summary: [String] = []
        let total = pieces.reduce(0) { $0 + $1.count }
        var calls = 0
        var failed: HTTPParseError?
        for piece in pieces {
            buffer.append(contentsOf: piece)
            while true {
                calls += 1
                if calls > 2 * total + pieces.count + 10 { return (summary, "no progress after \(calls) calls") }
                let (consumed, event) = buffer.withUnsafeBytes { parser.next($0) }
                if consumed < 0 || consumed > buffer.count { return (summary, "consumed \(consumed) of \(buffer.count)") }
                if let failed {
                    guard case .error(let e)? = event, e == failed, consumed == 0 else { return (summary, "error not sticky") }
                    break
                }
                switch event {
                case .head(let head)?:
                    if consumed == 0 { return (summary, "head consumed nothing") }
                    if let problem = checkHeaders(head.headers, limits) { return (summary, problem) }
                    if !(100...599).contains(head.status) { return (summary, "bad status accepted") }
                    summary.append("head \(head.status) \(head.version) \(head.framing) ka=\(head.keepAlive) n=\(head.headers.count)")
                case .body(let range)?:
                    if range.isEmpty || range.lowerBound < 0 || range.upperBound > consumed { return (summary, "body range \(range) consumed \(consumed)") }
                    appendBody(Array(buffer[range]), to: &summary)
                case .end?:
                    summary.append("end")
                case .error(let e)?:
                    if consumed != 0 { return (summary, "error consumed bytes") }
                    failed = e
                    summary.append("error \(e.kind) \(e.status)")
                case nil:
                    break
                }
                buffer.removeFirst(consumed)
                if event == nil {
                    let (again, event2) = buffer.withUnsafeBytes { parser.next($0) }
                    if again != 0 || event2 != nil { return (summary, "nil was not a request for more input") }
                    break
                }
            }
        }
        switch parser.finish() {
        case .error(let e)? where failed == nil: summary.append("finish error \(e.kind)")
        case .end?: summary.append("finish end")
        default: break
        }
        return (summary, nil)
    }

    /// Adds body bytes to the summary, merging consecutive body events (escaped byte by byte, so
    /// the result does not depend on where the body was split).
    static func appendBody(_ body: [UInt8], to summary: inout [String]) {
        if let last = summary.last, last.hasPrefix("body ") {
            summary[summary.count - 1] = last + hex(body)
        } else {
            summary.append("body " + hex(body))
        }
    }

    static func hex(_ b: [UInt8]) -> String {
        b.map { $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
    }

    /// Small limits so that the limit paths are fuzzed too, alternating with the defaults.
    static let smallLimits = HTTPParserLimits(maxRequestLine: 40, maxHeaderBytes: 120, maxHeaderCount: 4, maxChunkExtension: 16, maxLeadingEmptyLines: 1)

    @Test func requestParserSurvivesMutations() {
        var rng = SeededGenerator(seed: 0x6D65_7368_6265_6401)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(6)
        var iteration = 0
        var withHead = 0
        var withError = 0
        while iteration < 20_000 && clock.now < deadline {
            iteration += 1
            let seed = Self.requestCorpus.randomElement(using: &rng)!
            let input = Bool.random(using: &rng) && iteration % 5 == 0
                ? seed + Self.requestCorpus.randomElement(using: &rng)!
                : Self.mutate(seed, Self.requestCorpus, &rng)
            let limits = iteration % 3 == 0 ? Self.smallLimits : HTTPParserLimits()
            let whole = Self.driveRequests([input[...]], limits: limits)
            let split = Self.driveRequests(Self.pieces(input, &rng), limits: limits)
            let failure = whole.failure ?? split.failure
            #expect(failure == nil, "iteration \(iteration): \(failure ?? "") input \(Self.hex(input))")
            #expect(whole.summary == split.summary, "iteration \(iteration): split changed the result for \(Self.hex(input))")
            if failure != nil || whole.summary != split.summary { break }
            if whole.summary.contains(where: { $0.hasPrefix("head") }) { withHead += 1 }
            if whole.summary.contains(where: { $0.hasPrefix("error") }) { withError += 1 }
        }
        #expect(iteration >= 2_000, "only \(iteration) iterations ran")
        // The mutations must exercise both sides: accepted heads and rejections.
        #expect(withHead * 5 > iteration && withError * 5 > iteration, "heads \(withHead), errors \(withError) of \(iteration)")
        print("request fuzz: \(iteration) iterations, \(withHead) with a head, \(withError) rejected")
    }

    @Test func responseParserSurvivesMutations() {
        var rng = SeededGenerator(seed: 0x6D65_7368_6265_6402)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(4)
        var iteration = 0
        while iteration < 10_000 && clock.now < deadline {
            iteration += 1
            let input = Self.mutate(Self.responseCorpus.randomElement(using: &rng)!, Self.responseCorpus, &rng)
            let heads = (0..<3).map { _ in Int.random(in: 0..<4, using: &rng) == 0 }
            let limits = iteration % 3 == 0 ? Self.smallLimits : HTTPParserLimits()
            let whole = Self.driveResponses([input[...]], heads: heads, limits: limits)
            let split = Self.driveResponses(Self.pieces(input, &rng), heads: heads, limits: limits)
            let failure = whole.failure ?? split.failure
            #expect(failure == nil, "iteration \(iteration): \(failure ?? "") input \(Self.hex(input))")
            #expect(whole.summary == split.summary, "iteration \(iteration): split changed the result for \(Self.hex(input))")
            if failure != nil || whole.summary != split.summary { break }
        }
        #expect(iteration >= 1_000, "only \(iteration) iterations ran")
    }

    @Test func corpusParsesCleanlyUnderAnySplit() {
        var rng = SeededGenerator(seed: 7)
        for input in Self.requestCorpus {
            let whole = Self.driveRequests([input[...]], limits: .init())
            #expect(whole.failure == nil)
            #expect(!whole.summary.contains { $0.hasPrefix("error") }, "\(whole.summary)")
            for _ in 0..<20 {
                #expect(Self.driveRequests(Self.pieces(input, &rng), limits: .init()).summary == whole.summary)
            }
        }
        for input in Self.responseCorpus {
            let whole = Self.driveResponses([input[...]], heads: [false, false], limits: .init())
            #expect(whole.failure == nil)
            #expect(!whole.summary.contains { $0.contains("error") }, "\(whole.summary)")
        }
    }
}
