import MeshIO
import MeshOrchestrator

/// PromQL against the real Prometheus that `meshbed run --prometheus` starts, over its HTTP
/// API (`/api/v1/query`): a query's value now, and waiting until every target has been
/// scraped since a moment (`count(timestamp(up) > T)`), so a value read after a step counts all of it.
enum PrometheusQuery {
    /// What a query gave: a number, or why there is none (said as a report shows it).
    enum Answer: Equatable {
        case value(Double)
        case failure(String)
    }

    /// The value of `query` now: a scalar, or a vector of exactly one series.
    static func evaluate(_ query: String, at address: String) -> Answer {
        guard let (status, body) = HTTPProbe.get(address: address, path: "/api/v1/query?query=" + LiveRoutes.escaped(query), timeout: .seconds(5)) else {
            return .failure("Prometheus at \(address) did not answer")
        }
        return answer(status: status, body: body)
    }

    /// Reads an `/api/v1/query` answer.
    static func answer(status: Int, body: [UInt8]) -> Answer {
        guard let document = JSONValue.parse(body)?.object else { return .failure("Prometheus answered HTTP \(status), not JSON") }
        if case .string(let error)? = document["error"] { return .failure("Prometheus: \(error)") }
        guard status == 200, let data = document["data"]?.object, case .string(let type)? = data["resultType"], let result = data["result"] else {
            return .failure("Prometheus answered HTTP \(status) without a result")
        }
        switch (type, result) {
        case ("scalar", _):
            return sample(result)
        case ("vector", .array(let series)):
            switch series.count {
            case 0: return .failure("no series: the query matched nothing")
            case 1: return sample(series[0].object?["value"] ?? .null)
            default: return .failure("\(series.count) series: sum them in the query, e.g. sum(...)")
            }
        default:
            return .failure("a \(type) result: expected a scalar or a single series")
        }
    }

    /// `[time, "value"]`: the value (Prometheus writes `+Inf`, `-Inf` and `NaN` as such).
    private static func sample(_ pair: JSONValue) -> Answer {
        guard case .array(let items) = pair, items.count == 2, case .string(let text) = items[1] else {
            return .failure("Prometheus answered a sample without a value")
        }
        switch text {
        case "+Inf": return .value(.infinity)
        case "-Inf": return .value(-.infinity)
        case "NaN": return .value(.nan)
        default: return Double(text).map(Answer.value) ?? .failure("Prometheus answered the value '\(text)'")
        }
    }

    /// Waits until the Prometheus at `address` has scraped `targets` targets after
    /// `unixSeconds` (a target not scraped yet has no `up` at all, so they are counted),
    /// asking every 200 ms through `idle` (true: stop waiting), until `deadline` (monotonic
    /// nanoseconds). Whether it did.
    static func waitForScrapes(of targets: Int, after unixSeconds: Double, at address: String, deadline: UInt64, idle: (UInt64) -> Bool) -> Bool {
        let query = "count(timestamp(up) > \(unixSeconds))"
        while true {
            if case .value(let scraped) = evaluate(query, at: address), scraped >= Double(targets) { return true }
            if Posix.monotonicNanoseconds() >= deadline || idle(200_000_000) { return false }
        }
    }
}
