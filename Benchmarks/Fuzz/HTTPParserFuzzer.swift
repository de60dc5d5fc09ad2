// libFuzzer entry point for the HTTP/1.1 parsers (requests, then the same bytes as
// responses, as a sidecar parses what upstreams send). Built by fuzz-http-parser.sh
// together with the MeshHTTP sources (which import nothing), so no package is involved.
//
// Each input is fed in pieces whose sizes come from the input's first byte, so the
// parser's resumption across partial reads is fuzzed too. Invariants checked:
//   - every call either consumes bytes, yields an event, or asks for more input;
//   - body ranges lie inside the buffer they index;
//   - after an error the parser stays failed and consumes nothing.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let step = Int(data[0] % 64) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var request = HTTPRequestParser()
    feed(bytes, step: step) { request.next($0) }
    var response = HTTPResponseParser()
    response.expectResponse(toHEAD: data[0] & 0x80 != 0)
    response.expectResponse(toHEAD: data[0] & 0x40 != 0)
    feed(bytes, step: step) { buffer in
        let (consumed, event) = response.next(buffer)
        switch event {
        case .head?: return (consumed, .end)  // the invariants below only look at body ranges and errors
        case .body(let range)?: return (consumed, .body(range))
        case .end?: return (consumed, .end)
        case .error(let error)?: return (consumed, .error(error))
        case nil: return (consumed, nil)
        }
    }
    _ = response.finish()
    return 0
}

/// Feeds `bytes` in pieces of `step` through `next`, checking the parser invariants.
func feed(_ bytes: [UInt8], step: Int, _ next: (UnsafeRawBufferPointer) -> (Int, HTTPRequestParserEvent?)) {
    var pending: [UInt8] = []
    var offset = 0
    var failed = false
    while offset < bytes.count || !pending.isEmpty {
        let end = min(bytes.count, offset + step)
        pending.append(contentsOf: bytes[offset..<end])
        let fedAll = end == bytes.count
        offset = end
        var rounds = 0
        while true {
            rounds += 1
            precondition(rounds < 1_000_000, "parser made no progress")
            let (consumed, event) = pending.withUnsafeBytes { buffer -> (Int, HTTPRequestParserEvent?) in
                let result = next(buffer)
                if case .body(let range)? = result.1 {
                    precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "body range outside input")
                }
                return result
            }
            precondition(consumed >= 0 && consumed <= pending.count, "consumed more than given")
            if failed { precondition(consumed == 0, "consumed after an error") }
            pending.removeFirst(consumed)
            guard let event else { break }
            if case .error = event {
                if failed { return }
                failed = true
            }
        }
        if fedAll { break }
    }
}
