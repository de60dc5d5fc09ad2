import MeshMetrics

/// One expectation of a step. Traffic expectations are checked against the step's load
/// result; state expectations against the running mesh (polled until they hold when the
/// step has `within`); counter expectations against the change of the sidecars' admin
/// counters over the step; metric expectations against the change of the sidecars' `/metrics`
/// over the step. `circuit` arrives with a later issue as a new case; the validator rejects
/// it as not supported yet until then.
public enum Expectation: Sendable, Equatable {
    /// `successRate: ">= 99%"`: share of requests answered with a status below 500.
    case successRate(Comparison)
    /// `status: {503: "== 0"}`: the count of responses with `code` (or their share, with `%`).
    case status(code: Int, Comparison)
    /// `split: {v1: 90, v2: 10}` with `tolerance`: each version's share of responses (by
    /// `x-meshbed-version`) within `tolerance` percentage points; unlisted versions count as 0.
    case split(shares: [(version: String, percent: Double)], tolerance: Double)
    /// `latency: {p99: "< 300ms"}`: a latency percentile (`p50`, `p90`, `p99`, `p99.9`, `max`).
    case latency(percentile: String, Comparison)
    /// `ready: {service: S, ...}`: every selected instance is ready.
    case ready(InstanceSelector)
    /// `notReady: {service: S, ...}`: no selected instance is ready.
    case notReady(InstanceSelector)
    /// `instancesReady: "== 5"`: how many instances of the topology are ready.
    case instancesReady(Comparison)
    /// `routed: {service: S, ...}`: every sidecar that answers (each instance's and the
    /// ingress's admin `/config`) routes to every selected instance. Unlike `ready`, this
    /// is what callers' traffic sees: a dead instance is not ready at once, but sidecars
    /// may still hold it until the control plane's removal reaches them.
    case routed(InstanceSelector)
    /// `notRouted: {service: S, ...}`: no answering sidecar routes to any selected instance.
    case notRouted(InstanceSelector)
    /// `retries: "> 0"`, `counters: {requests: "> 0", of: {service: S}}`: how much a sidecar
    /// counter (`GET /stats` on each admin port) grew over the step, summed over `scope`.
    case counter(name: String, Comparison, scope: CounterScope)
    /// `attempts: "<= 3"` (`max`), `attempts: {mean: "< 1.5"}`: attempts per request at the
    /// first sidecar it crossed, from the decision records (`x-meshbed-explain`) of the
    /// step's responses; the traffic step asks for them when such an expectation is present.
    case attempts(statistic: String, Comparison)
    /// `metric: 'meshbed_requests_total{destination="reviews",response_code="503"}'` with
    /// `value: "> 0"`: how much the samples the selector picks grew over the step, summed over
    /// every sidecar's `/metrics` (the ingress gateway's included).
    case metric(MetricSelector, Comparison)
    /// `promql: 'sum(meshbed_requests_total{reporter="destination"})'` with `value: "== 200"`:
    /// the query's value (a scalar or one series) in the real Prometheus of `meshbed run
    /// --prometheus`, once it has scraped every sidecar after the step's action.
    case promql(String, Comparison)

    /// Expectation keys that need a traffic step.
    public static let trafficKeys = ["successRate", "status", "split", "tolerance", "latency", "attempts"]
    /// Counters that have their own expectation key (`retries: "> 0"`): summed over every sidecar.
    public static let counterKeys = ["retries", "timeouts", "mirrored", "ejections", "overflows", "faulted"]
    /// The counters a sidecar's `/stats` reports (or will: `ejections` and `overflows` arrive
    /// with circuit breaking; until a sidecar reports one, an expectation on it fails saying so).
    public static let counterNames = [
        "requests", "retries", "timeouts", "perTryTimeouts", "localReplies", "mirrored", "mirrorFailures", "ejections", "overflows", "budgetExhausted",
        "inboundTLS", "inboundPlaintext", "tlsRejected", "authorizationDenied", "faulted", "faultDelays", "faultAborts", "partitioned",
        "toxicBytesDelayed", "toxicBytesDropped", "toxicResets", "toxicCloses", "spansReported", "spansDropped",
    ]
    /// The statistics of `attempts:` (`attempts: "<= 3"` means `max`).
    public static let attemptStatistics = ["max", "mean"]
    /// Expectation keys checked against mesh state.
    public static let stateKeys = ["ready", "notReady", "instancesReady", "routed", "notRouted"]
    /// Every key an `expect:` mapping may have.
    public static let keys = trafficKeys + stateKeys + counterKeys + ["counters", "metric", "promql", "value", "metrics", "within"]
    /// Keys of SPEC §4 that later issues implement, with the message until then.
    public static let notSupportedYet: [String: String] = [
        "circuit": "circuit expectations are not supported yet (they arrive with circuit breaking)",
        "certificates": "certificates expectations are not supported yet (they arrive with mTLS)",
    ]
    /// The latency percentiles `latency:` knows, with their value in percent (`max` is 100).
    public static let percentiles: [(name: String, value: Double)] = [("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p99.9", 99.9), ("max", 100)]

    /// Whether it is checked against mesh state rather than a traffic result.
    public var isState: Bool {
        switch self {
        case .ready, .notReady, .instancesReady, .routed, .notRouted: true
        default: false
        }
    }

    /// Whether it is checked against the sidecars' counters, as a change over the step.
    public var isCounter: Bool {
        if case .counter = self { true } else { false }
    }

    /// Whether it is checked against the sidecars' `/metrics`, as a change over the step.
    public var isMetric: Bool {
        if case .metric = self { true } else { false }
    }

    /// Whether it is a PromQL query against the real Prometheus (`meshbed run --prometheus`).
    public var isPromQL: Bool {
        if case .promql = self { true } else { false }
    }

    /// Whether it needs the decision records of the step's responses (`--explain`).
    public var needsExplain: Bool {
        if case .attempts = self { true } else { false }
    }

    /// How reports name it: `successRate`, `status 503`, `split`, `latency p99`, `ready ratings instance 0`.
    public var label: String {
        switch self {
        case .successRate: "successRate"
        case .status(let code, _): "status \(code)"
        case .split: "split"
        case .latency(let percentile, _): "latency \(percentile)"
        case .ready(let selector): "ready \(selector)"
        case .notReady(let selector): "notReady \(selector)"
        case .instancesReady: "instancesReady"
        case .routed(let selector): "routed \(selector)"
        case .notRouted(let selector): "notRouted \(selector)"
        case .counter(let name, _, .all): name
        case .counter(let name, _, let scope): "\(name) of \(scope)"
        case .attempts(let statistic, _): "attempts \(statistic)"
        case .metric(let selector, _): "metric \(selector)"
        case .promql(let query, _): "promql \(query)"
        }
    }

    /// What was expected, as reports show it: `>= 99%`, `v1 90% v2 10% (±3)`, `all ready`.
    public var expected: String {
        switch self {
        case .successRate(let comparison), .status(_, let comparison), .latency(_, let comparison), .instancesReady(let comparison),
             .counter(_, let comparison, _), .attempts(_, let comparison), .metric(_, let comparison), .promql(_, let comparison):
            comparison.description
        case .split(let shares, let tolerance):
            shares.map { "\($0.version) \(Comparison.number($0.percent))%" }.joined(separator: " ") + " (±\(Comparison.number(tolerance)))"
        case .ready: "all ready"
        case .notReady: "none ready"
        case .routed: "routed by every sidecar"
        case .notRouted: "routed by no sidecar"
        }
    }

    public static func == (a: Expectation, b: Expectation) -> Bool {
        switch (a, b) {
        case (.successRate(let x), .successRate(let y)), (.instancesReady(let x), .instancesReady(let y)): x == y
        case (.status(let c1, let x), .status(let c2, let y)): c1 == c2 && x == y
        case (.latency(let p1, let x), .latency(let p2, let y)): p1 == p2 && x == y
        case (.split(let s1, let t1), .split(let s2, let t2)):
            t1 == t2 && s1.map(\.version) == s2.map(\.version) && s1.map(\.percent) == s2.map(\.percent)
        case (.ready(let x), .ready(let y)), (.notReady(let x), .notReady(let y)),
             (.routed(let x), .routed(let y)), (.notRouted(let x), .notRouted(let y)): x == y
        case (.counter(let n1, let x, let s1), .counter(let n2, let y, let s2)): n1 == n2 && x == y && s1 == s2
        case (.attempts(let s1, let x), .attempts(let s2, let y)): s1 == s2 && x == y
        case (.metric(let m1, let x), .metric(let m2, let y)): m1 == m2 && x == y
        case (.promql(let q1, let x), .promql(let q2, let y)): q1 == q2 && x == y
        default: false
        }
    }
}
