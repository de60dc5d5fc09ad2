import MeshCore

/// What `meshbed load --explain` learned from the responses' `x-meshbed-explain` records
/// (SPEC §7), from the caller-side record of each response: the record of the first sidecar
/// the request crossed (the gateway, or the calling service's outbound sidecar), which is
/// the one that chose the endpoint and retried. Inbound records are read but not counted.
public struct ExplainSummary: Sendable, Equatable {
    /// Responses that carried a readable caller-side record.
    public var explained = 0
    /// Responses without one (no header, or none that could be read).
    public var unexplained = 0
    /// Requests by how many attempts the caller-side sidecar made (0: answered locally
    /// before any attempt, as with no route).
    public var attempts: [Int: Int] = [:]
    /// Retries by the `retryOn` reason that caused them (`5xx`, `connect-failure`, ...).
    public var retryReasons: [String: Int] = [:]
    /// Responses by response flag (`URX`, `UF`, ...; a record may have several, `-` is none).
    public var flags: [String: Int] = [:]
    /// Attempts by the endpoint they went to (`reviews-v1-0`).
    public var endpoints: [String: Int] = [:]

    public init() {}

    /// Adds one response, given the values of its `x-meshbed-explain` header lines in order.
    public mutating func add(response values: [ArraySlice<UInt8>]) {
        var chosen: ExplainRecord?
        for value in values {
            guard let record = ExplainRecord.read(value) else { continue }
            if chosen == nil { chosen = record }
            if record.isCallerSide {
                chosen = record
                break
            }
        }
        guard let record = chosen, record.isCallerSide else {
            unexplained += 1
            return
        }
        explained += 1
        attempts[record.attempts.count, default: 0] += 1
        for attempt in record.attempts {
            endpoints[String(decoding: attempt.endpoint, as: UTF8.self), default: 0] += 1
            if let retry = attempt.retry { retryReasons[String(decoding: retry, as: UTF8.self), default: 0] += 1 }
        }
        for code in record.flags.split(separator: UInt8(ascii: ",")) where !code.elementsEqual("-".utf8) {
            flags[String(decoding: code, as: UTF8.self), default: 0] += 1
        }
    }

    /// The most attempts any explained request took (nil when none was explained).
    public var maxAttempts: Int? { attempts.keys.max() }

    /// The mean attempts per explained request (nil when none was explained).
    public var meanAttempts: Double? {
        guard explained > 0 else { return nil }
        return Double(attempts.reduce(0) { $0 + $1.key * $1.value }) / Double(explained)
    }

    mutating func merge(_ other: ExplainSummary) {
        explained += other.explained
        unexplained += other.unexplained
        attempts.merge(other.attempts, uniquingKeysWith: +)
        retryReasons.merge(other.retryReasons, uniquingKeysWith: +)
        flags.merge(other.flags, uniquingKeysWith: +)
        endpoints.merge(other.endpoints, uniquingKeysWith: +)
    }

    /// The lines of the human report: `  attempts 1: 180  2: 18  3: 2  (mean 1.11, max 3)`, ...
    func lines() -> [String] {
        func tally(_ counts: [String: Int]) -> String {
            counts.isEmpty ? "none" : counts.keys.sorted().map { "\($0): \(counts[$0]!)" }.joined(separator: "  ")
        }
        var lines: [String] = []
        var header = "  explain  \(explained) responses explained"
        if unexplained > 0 { header += ", \(unexplained) without a caller-side record" }
        lines.append(header)
        if explained > 0 {
            let histogram = attempts.keys.sorted().map { "\($0): \(attempts[$0]!)" }.joined(separator: "  ")
            let mean = meanAttempts.map { String(Double(Int(($0 * 100).rounded())) / 100) } ?? "-"
            lines.append("  attempts \(histogram)  (mean \(mean), max \(maxAttempts ?? 0))")
            lines.append("  retries  \(tally(retryReasons))")
            lines.append("  flags    \(tally(flags))")
            lines.append("  endpoints \(tally(endpoints))")
        }
        return lines
    }

    /// The `explain` object of the `--json` report.
    func write(into json: inout JSONWriter) {
        json.field("explained", integer: explained)
        json.field("unexplained", integer: unexplained)
        json.field("attempts") { object in
            for count in attempts.keys.sorted() { object.field(String(count), integer: attempts[count]!) }
        }
        if let mean = meanAttempts { json.field("meanAttempts", number: mean) } else { json.fieldNull("meanAttempts") }
        if let max = maxAttempts { json.field("maxAttempts", integer: max) } else { json.fieldNull("maxAttempts") }
        for (name, counts) in [("retryReasons", retryReasons), ("flags", flags), ("endpoints", endpoints)] {
            json.field(name) { object in
                for key in counts.keys.sorted() { object.field(key, integer: counts[key]!) }
            }
        }
    }
}
