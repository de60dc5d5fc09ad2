import MeshCore
import MeshYAML

/// Outlier detection and connection-pool limits toward a destination (`circuitBreaker:` of a
/// policy), with Istio's names (`outlierDetection` and `connectionPool` in one mapping, as
/// SPEC §3 writes them). Every field is optional; defaults are Istio's except where noted.
public struct CircuitBreaker: Sendable, Equatable {
    /// `consecutive5xxErrors`: 5xx answers (and connection failures, resets and timeouts)
    /// in a row that eject an instance; 0 turns this detector off (default 5).
    public let consecutive5xxErrors: Int
    /// `consecutiveGatewayErrors`: 502, 503 and 504 answers (and connection failures, resets
    /// and timeouts) in a row that eject an instance; 0 turns this detector off (default 0:
    /// off, as Istio's).
    public let consecutiveGatewayErrors: Int
    /// `interval`: how often ejected instances are considered for return (default 10s).
    public let interval: Duration
    /// `baseEjectionTime`: how long the first ejection lasts; the n-th lasts n times as
    /// long (default 30s).
    public let baseEjectionTime: Duration
    /// `maxEjectionPercent`: at most this share (0–100) of the destination's instances is
    /// ejected at once (default 10).
    public let maxEjectionPercent: Double
    /// `minHealthPercent`: the panic threshold (Envoy's `healthy_panic_threshold`): when
    /// fewer than this share (0–100) of instances is healthy, requests go to every instance,
    /// ejected or not, instead of piling onto the few left; 0 turns it off (default 50,
    /// Envoy's; Istio's default is 0).
    public let minHealthPercent: Double
    /// `maxConnections`: connections to the destination per caller sidecar (default 1024;
    /// Istio's is 2³²−1).
    public let maxConnections: Int
    /// `maxPendingRequests`: requests waiting for a connection; more fail at once with 503
    /// (Istio's `http1MaxPendingRequests`; default 1024).
    public let maxPendingRequests: Int
    /// `maxRequests`: requests in flight to the destination per caller sidecar; more fail at
    /// once with 503 (Istio's `http2MaxRequests`; default 1024).
    public let maxRequests: Int

    public init(
        consecutive5xxErrors: Int = 5, consecutiveGatewayErrors: Int = 0, interval: Duration = .seconds(10),
        baseEjectionTime: Duration = .seconds(30), maxEjectionPercent: Double = 10, minHealthPercent: Double = 50,
        maxConnections: Int = 1024, maxPendingRequests: Int = 1024, maxRequests: Int = 1024
    ) {
        self.consecutive5xxErrors = consecutive5xxErrors
        self.consecutiveGatewayErrors = consecutiveGatewayErrors
        self.interval = interval
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionPercent = maxEjectionPercent
        self.minHealthPercent = minHealthPercent
        self.maxConnections = maxConnections
        self.maxPendingRequests = maxPendingRequests
        self.maxRequests = maxRequests
    }

    static let keys = [
        "consecutive5xxErrors", "consecutiveGatewayErrors", "interval", "baseEjectionTime", "maxEjectionPercent",
        "minHealthPercent", "maxConnections", "maxPendingRequests", "maxRequests",
    ]

    /// Keys of older Istio releases, each with the key that replaced it.
    static let renamed = ["consecutiveErrors": "consecutive5xxErrors"]

    /// Reads `circuitBreaker:` (`context` names the policy).
    static func read(_ node: YAMLNode, context: String, log: inout DiagnosticLog) -> CircuitBreaker? {
        let location = "in circuitBreaker \(context)"
        guard let fields = MappingReader(node, key: "circuitBreaker", context: location, allowed: keys, log: &log, misplaced: { name in
            renamed[name].map { "unknown key '\(name)' \(location) (did you mean '\($0)'? Istio renamed it)" }
        }) else {
            return nil
        }
        let defaults = CircuitBreaker()
        var valid = true
        func count(_ key: String, _ fallback: Int, minimum: Int, log: inout DiagnosticLog) -> Int {
            guard let value = fields[key] else { return fallback }
            guard let read = ValueReader.integer(value, key: key, in: minimum...Int.max, expected: "an integer ≥ \(minimum)", log: &log) else {
                valid = false
                return fallback
            }
            return read
        }
        func duration(_ key: String, _ fallback: Duration, log: inout DiagnosticLog) -> Duration {
            guard let value = fields[key] else { return fallback }
            guard let read = ValueReader.duration(value, key: key, minimum: .nanoseconds(1), log: &log) else {
                valid = false
                return fallback
            }
            return read
        }
        func percent(_ key: String, _ fallback: Double, log: inout DiagnosticLog) -> Double {
            guard let value = fields[key] else { return fallback }
            guard let read = ValueReader.percent(value, key: key, log: &log) else {
                valid = false
                return fallback
            }
            return read
        }
        let breaker = CircuitBreaker(
            consecutive5xxErrors: count("consecutive5xxErrors", defaults.consecutive5xxErrors, minimum: 0, log: &log),
            consecutiveGatewayErrors: count("consecutiveGatewayErrors", defaults.consecutiveGatewayErrors, minimum: 0, log: &log),
            interval: duration("interval", defaults.interval, log: &log),
            baseEjectionTime: duration("baseEjectionTime", defaults.baseEjectionTime, log: &log),
            maxEjectionPercent: percent("maxEjectionPercent", defaults.maxEjectionPercent, log: &log),
            minHealthPercent: percent("minHealthPercent", defaults.minHealthPercent, log: &log),
            maxConnections: count("maxConnections", defaults.maxConnections, minimum: 1, log: &log),
            maxPendingRequests: count("maxPendingRequests", defaults.maxPendingRequests, minimum: 1, log: &log),
            maxRequests: count("maxRequests", defaults.maxRequests, minimum: 1, log: &log))
        return valid ? breaker : nil
    }
}
