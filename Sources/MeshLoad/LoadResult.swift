import MeshCore

/// What a load run measured: counts by status, by version and by failure, and latencies.
public struct LoadResult: Sendable {
    /// Responses by status code.
    public var statusCounts: [Int: Int] = [:]
    /// Responses by `x-meshbed-version` header (`noVersion` when absent and others have one).
    public var versionCounts: [String: Int] = [:]
    /// The name responses without an `x-meshbed-version` header are counted under.
    public static let noVersion = "no-version"
    /// Failed requests by reason: connect, reset, timeout, invalid, and cancelled: in
    /// flight when the run ended (its duration plus a grace of at most 1 s, or a stop) and
    /// cut off instead of waiting for the request timeout.
    public var errorCounts: [String: Int] = [:]
    /// Open loop: requests that were due before the run's end but never sent, because every
    /// connection was still busy (the rate was more than the target could take at this
    /// concurrency). Not part of `total`.
    public var notSent = 0
    /// Latency of every response, from its intended send time (open loop) or its send time (closed loop).
    public var latency = LatencyHistogram()
    /// Wall time from the first request to the last response, in nanoseconds.
    public var elapsed: UInt64 = 0
    /// With `--explain` (`LoadConfiguration.explain`): what the sidecars' decision records say; nil without it.
    public var explain: ExplainSummary?

    public init() {}

    /// Responses received.
    public var responses: Int { statusCounts.values.reduce(0, +) }
    /// Requests that failed without a response.
    public var errors: Int { errorCounts.values.reduce(0, +) }
    /// Requests sent: responses plus failures (`notSent` is not among them).
    public var total: Int { responses + errors }
    /// Responses with a status below 500.
    public var successes: Int { statusCounts.filter { $0.key < 500 }.values.reduce(0, +) }
    /// Responses per second over the run.
    public var throughput: Double {
        elapsed == 0 ? 0 : Double(responses) / (Double(elapsed) / 1e9)
    }
    /// Share of requests answered with a status below 500, in percent.
    public var successRate: Double {
        total == 0 ? 0 : 100 * Double(successes) / Double(total)
    }

    mutating func merge(_ other: LoadResult) {
        statusCounts.merge(other.statusCounts, uniquingKeysWith: +)
        versionCounts.merge(other.versionCounts, uniquingKeysWith: +)
        errorCounts.merge(other.errorCounts, uniquingKeysWith: +)
        notSent += other.notSent
        latency.merge(other.latency)
        elapsed = max(elapsed, other.elapsed)
        if let more = other.explain {
            var summary = explain ?? ExplainSummary()
            summary.merge(more)
            explain = summary
        }
    }

    private static let percentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]

    /// The human-readable report.
    public func text(concurrency: Int, rate: Double?) -> String {
        var lines: [String] = []
        let mode = rate.map { "open loop at \(Self.number($0)) req/s" } ?? "closed loop"
        lines.append("\(total) requests in \(Self.duration(elapsed)), \(Self.number(throughput)) req/s, \(mode), concurrency \(concurrency)")
        let statuses = statusCounts.keys.sorted().map { "\($0): \(statusCounts[$0]!)" }
        lines.append("  status   " + (statuses.isEmpty ? "none" : statuses.joined(separator: "  ")))
        if !versionCounts.isEmpty {
            let versions = versionCounts.keys.sorted().map { "\($0): \(versionCounts[$0]!)" }
            lines.append("  version  " + versions.joined(separator: "  "))
        }
        if !errorCounts.isEmpty {
            let errors = errorCounts.keys.sorted().map { "\($0): \(errorCounts[$0]!)" }
            lines.append("  errors   " + errors.joined(separator: "  "))
        }
        if let cancelled = errorCounts["cancelled"], cancelled > 0 {
            lines.append("  cancelled \(cancelled): still in flight when the run ended, cut off instead of waiting for their timeout")
        }
        if notSent > 0 {
            lines.append("  not sent \(notSent): due before the end while all \(concurrency) connections were busy (the rate was more than the target could take)")
        }
        if latency.count > 0 {
            var parts = Self.percentiles.map { "\($0.0) \(Self.duration(latency.percentile($0.1)))" }
            parts.append("max \(Self.duration(latency.max))")
            lines.append("  latency  " + parts.joined(separator: "  "))
        }
        if let explain { lines += explain.lines() }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `--json` report.
    public func json(concurrency: Int, rate: Double?) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.object(into: &out) { json in
            json.field("requests", integer: total)
            json.field("responses", integer: responses)
            json.field("errors", integer: errors)
            json.field("notSent", integer: notSent)
            json.field("durationSeconds", number: Double(elapsed) / 1e9)
            json.field("requestsPerSecond", number: throughput)
            json.field("successRate", number: successRate)
            json.field("concurrency", integer: concurrency)
            if let rate { json.field("rate", number: rate) } else { json.fieldNull("rate") }
            json.field("status") { object in
                for code in statusCounts.keys.sorted() { object.field(String(code), integer: statusCounts[code]!) }
            }
            json.field("versions") { object in
                for version in versionCounts.keys.sorted() { object.field(version, integer: versionCounts[version]!) }
            }
            json.field("errorsByKind") { object in
                for kind in errorCounts.keys.sorted() { object.field(kind, integer: errorCounts[kind]!) }
            }
            json.field("latencySeconds") { object in
                for (name, p) in Self.percentiles { object.field(name, number: Double(latency.percentile(p)) / 1e9) }
                object.field("max", number: Double(latency.max) / 1e9)
                object.field("mean", number: latency.mean / 1e9)
            }
            if let explain { json.field("explain") { explain.write(into: &$0) } }
        }
        out.append(10)
        return out
    }

    static func number(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(Double(Int(value * 10)) / 10)
    }

    static func duration(_ nanoseconds: UInt64) -> String {
        Duration.nanoseconds(Int64(min(nanoseconds, UInt64(Int64.max)))).meshbedDescription(fractionDigits: 2)
    }
}
