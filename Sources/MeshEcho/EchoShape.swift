import MeshCore

/// How the query string shapes one echo response: `?delay=100ms`, `?status=503`, `?size=65536`.
struct EchoShape: Sendable {
    /// Delay before answering, in nanoseconds.
    var delay: UInt64?
    /// Status to answer with (200–599).
    var status: Int?
    /// Answer with this many filler bytes instead of JSON.
    var size: Int?
    /// Why the query could not be used; the echo answers 400 with it.
    var problem: String?

    /// The largest `?size=` served: 1 GiB.
    static let maxSize = 1 << 30
    /// The longest `?delay=` served: 5 minutes.
    static let maxDelay: UInt64 = 300_000_000_000

    mutating func parse(query: ArraySlice<UInt8>) {
        for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = pair[pair.startIndex..<equals]
            let value = String(decoding: pair[(equals + 1)...], as: UTF8.self)
            if key.elementsEqual("delay".utf8) {
                guard let duration = Duration(meshbed: value), duration.meshbedNanoseconds <= Int64(Self.maxDelay) else {
                    problem = "delay: expected a duration such as 100ms (at most 5m), got '\(value)'"
                    return
                }
                delay = UInt64(duration.meshbedNanoseconds)
            } else if key.elementsEqual("status".utf8) {
                guard let code = Int(value), (200...599).contains(code) else {
                    problem = "status: expected a status code 200-599, got '\(value)'"
                    return
                }
                status = code
            } else if key.elementsEqual("size".utf8) {
                guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let bytes = Int(value), bytes <= Self.maxSize else {
                    problem = "size: expected a byte count 0-\(Self.maxSize), got '\(value)'"
                    return
                }
                size = bytes
            }
        }
    }
}
