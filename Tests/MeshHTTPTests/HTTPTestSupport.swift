import MeshHTTP
import Testing

// Helpers shared by the MeshHTTP tests: byte literals, drivers that feed a parser in pieces the
// way a connection would (append, parse, drop what was consumed), and a seeded generator.

/// The UTF-8 bytes of `s`.
func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// `s` decoded as UTF-8 (for readable expectations).
func text(_ b: some Sequence<UInt8>) -> String { String(decoding: Array(b), as: UTF8.self) }

/// A deterministic generator (SplitMix64), so fuzz failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How input is split into the pieces a connection would receive.
enum Feeding: Sendable, CustomStringConvertible {
    case whole
    case bytewise
    case random(seed: UInt64)

    static let all: [Feeding] = [.whole, .bytewise, .random(seed: 1), .random(seed: 2)]

    var description: String {
        switch self {
        case .whole: return "whole"
        case .bytewise: return "bytewise"
        case .random(let seed): return "random(\(seed))"
        }
    }

    func pieces(_ input: [UInt8]) -> [ArraySlice<UInt8>] {
        switch self {
        case .whole:
            return [input[...]]
        case .bytewise:
            return input.indices.map { input[$0..<($0 + 1)] }
        case .random(let seed):
            var rng = SeededGenerator(seed: seed)
            var result: [ArraySlice<UInt8>] = []
            var i = 0
            while i < input.count {
                let n = min(input.count - i, Int.random(in: 1...17, using: &rng))
                result.append(input[i..<(i + n)])
                i += n
            }
            return result
        }
    }
}

/// A request as a test sees it: head fields copied out, body bytes concatenated.
struct ParsedRequest {
    var head: HTTPRequestHead
    var body: [UInt8] = []
    var ended = false

    var target: String { text(head.target) }
    var path: String { text(head.path) }
    var query: String? { head.query.map(text) }
    func header(_ name: String) -> String? { head.headers.firstString(name) }
}

/// Everything a request parser produced from one input.
struct RequestRun {
    var messages: [ParsedRequest] = []
    var error: HTTPParseError?
    /// Events other than the sticky error seen after the first error (must be 0).
    var eventsAfterError = 0
    /// Calls that returned the error but consumed bytes (must be 0).
    var consumingErrorCalls = 0
    /// Bytes left unconsumed at the end.
    var leftover: [UInt8] = []

    var targets: [String] { messages.map(\.target) }
}

/// Feeds `input` to a request parser in pieces; after an error keeps feeding to check it is sticky.
func runRequests(_ input: [UInt8], _ feeding: Feeding = .whole, limits: HTTPParserLimits = .init()) -> RequestRun {
    var parser = HTTPRequestParser(limits: limits)
    var run = RequestRun()
    var buffer: [UInt8] = []
    var calls = 0
    for piece in feeding.pieces(input) {
        buffer.append(contentsOf: piece)
        while true {
            calls += 1
            precondition(calls < 10 * input.count + 1000, "parser does not make progress")
            let (consumed, event) = buffer.withUnsafeBytes { parser.next($0) }
            precondition(consumed >= 0 && consumed <= buffer.count, "consumed out of range")
            if run.error != nil {
                if case .error(let e) = event, e == run.error {
                    if consumed != 0 { run.consumingErrorCalls += 1 }
                } else {
                    run.eventsAfterError += 1
                }
                break
            }
            switch event {
            case .head(let head)?:
                run.messages.append(ParsedRequest(head: head))
            case .body(let range)?:
                precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count && !range.isEmpty, "bad body range")
                run.messages[run.messages.count - 1].body.append(contentsOf: buffer[range])
            case .end?:
                run.messages[run.messages.count - 1].ended = true
            case .error(let e)?:
                run.error = e
                if consumed != 0 { run.consumingErrorCalls += 1 }
            case nil:
                break
            }
            buffer.removeFirst(consumed)
            if event == nil { break }
        }
    }
    run.leftover = buffer
    return run
}

/// A response as a test sees it.
struct ParsedResponse {
    var head: HTTPResponseHead
    var body: [UInt8] = []
    var ended = false

    var status: Int { head.status }
    func header(_ name: String) -> String? { head.headers.firstString(name) }
}

/// Everything a response parser produced from one input (and from `finish()` if asked).
struct ResponseRun {
    var messages: [ParsedResponse] = []
    var error: HTTPParseError?
    var eventsAfterError = 0
    var leftover: [UInt8] = []
    var statuses: [Int] { messages.map(\.status) }
}

/// Feeds `input` to a response parser that expects responses to `requests` (true = HEAD).
func runResponses(
    _ input: [UInt8], _ feeding: Feeding = .whole, requests: [Bool] = [false],
    finish: Bool = false, limits: HTTPParserLimits = .init()
) -> ResponseRun {
    var parser = HTTPResponseParser(limits: limits)
    for toHEAD in requests { parser.expectResponse(toHEAD: toHEAD) }
    var run = ResponseRun()
    var buffer: [UInt8] = []
    var calls = 0

    func handle(_ event: HTTPResponseParserEvent?, _ buffer: [UInt8]) {
        if run.error != nil {
            if case .error(let e) = event, e == run.error {} else if event != nil { run.eventsAfterError += 1 }
            return
        }
        switch event {
        case .head(let head)?: run.messages.append(ParsedResponse(head: head))
        case .body(let range)?:
            precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count && !range.isEmpty, "bad body range")
            run.messages[run.messages.count - 1].body.append(contentsOf: buffer[range])
        case .end?: run.messages[run.messages.count - 1].ended = true
        case .error(let e)?: run.error = e
        case nil: break
        }
    }

    outer: for piece in feeding.pieces(input) {
        buffer.append(contentsOf: piece)
        while true {
            calls += 1
            precondition(calls < 10 * input.count + 1000, "parser does not make progress")
            let (consumed, event) = buffer.withUnsafeBytes { parser.next($0) }
            precondition(consumed >= 0 && consumed <= buffer.count, "consumed out of range")
            let failedBefore = run.error != nil
            handle(event, buffer)
            if failedBefore { break outer }
            buffer.removeFirst(consumed)
            if event == nil { break }
            if case .error = event { break }
        }
    }
    if finish { handle(parser.finish(), buffer) }
    run.leftover = buffer
    return run
}

/// A valid request appended after a bad one: it must never be parsed.
let followUpRequest = bytes("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")

/// Asserts that `input` (followed by a valid request) is rejected with `kind` and `status` under
/// every feeding, that the error is sticky and that nothing after the bad message is processed.
func expectRejected(
    _ input: [UInt8], _ kind: HTTPParseError.Kind, status: Int,
    limits: HTTPParserLimits = .init(), sourceLocation: SourceLocation = #_sourceLocation
) {
    for feeding in Feeding.all {
        let run = runRequests(input + followUpRequest, feeding, limits: limits)
        #expect(run.error == HTTPParseError(kind: kind, status: status), "feeding \(feeding)", sourceLocation: sourceLocation)
        #expect(!run.targets.contains("/after"), "request after the bad one was parsed (\(feeding))", sourceLocation: sourceLocation)
        #expect(run.eventsAfterError == 0, "events after the error (\(feeding))", sourceLocation: sourceLocation)
        #expect(run.consumingErrorCalls == 0, "error consumed bytes (\(feeding))", sourceLocation: sourceLocation)
    }
}

/// Same as `expectRejected(_:_:status:)` for a string.
func expectRejected(
    _ input: String, _ kind: HTTPParseError.Kind, status: Int,
    limits: HTTPParserLimits = .init(), sourceLocation: SourceLocation = #_sourceLocation
) {
    expectRejected(bytes(input), kind, status: status, limits: limits, sourceLocation: sourceLocation)
}

/// Parses `input` under every feeding, asserts they agree and returns the messages of the whole-buffer run.
func parseValidRequests(_ input: [UInt8], limits: HTTPParserLimits = .init(), sourceLocation: SourceLocation = #_sourceLocation) -> [ParsedRequest] {
    let reference = runRequests(input, .whole, limits: limits)
    #expect(reference.error == nil, "unexpected \(String(describing: reference.error))", sourceLocation: sourceLocation)
    #expect(reference.leftover.isEmpty, "leftover bytes", sourceLocation: sourceLocation)
    for feeding in Feeding.all.dropFirst() {
        let run = runRequests(input, feeding, limits: limits)
        #expect(run.error == nil, "unexpected \(String(describing: run.error)) (\(feeding))", sourceLocation: sourceLocation)
        #expect(run.targets == reference.targets, "\(feeding)", sourceLocation: sourceLocation)
        #expect(run.messages.map(\.body) == reference.messages.map(\.body), "\(feeding)", sourceLocation: sourceLocation)
        #expect(run.messages.map(\.ended) == reference.messages.map(\.ended), "\(feeding)", sourceLocation: sourceLocation)
    }
    return reference.messages
}

/// Same as `parseValidRequests(_:)` for a string.
func parseValidRequests(_ input: String, limits: HTTPParserLimits = .init(), sourceLocation: SourceLocation = #_sourceLocation) -> [ParsedRequest] {
    parseValidRequests(bytes(input), limits: limits, sourceLocation: sourceLocation)
}

/// Parses exactly one valid request.
func parseOne(_ input: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ParsedRequest {
    let messages = parseValidRequests(input, sourceLocation: sourceLocation)
    #expect(messages.count == 1, sourceLocation: sourceLocation)
    return try #require(messages.first, sourceLocation: sourceLocation)
}
