import MeshCore
import MeshYAML

/// How callers treat one destination (`policies: {SERVICE: policy}`): timeouts, retries,
/// circuit breaking and load balancing, with Istio's names where the concept is the same
/// (SPEC §3). Every field is optional; an absent field has the default documented on it
/// (docs/topology.md lists them all).
public struct Policy: Sendable, Equatable {
    /// `timeout`: the limit of the whole request, retries included (Istio's route
    /// `timeout`); `nil` (the default) for none.
    public let timeout: Duration?
    /// `connectTimeout`: the limit for opening a connection to an instance (Istio's
    /// `connectionPool.tcp.connectTimeout`); default 10s, as Istio's.
    public let connectTimeout: Duration
    /// `idleTimeout`: how long a pooled connection to an instance may stay unused before it
    /// is closed (Istio's `connectionPool.http.idleTimeout`); default 5m, shorter than
    /// Istio's 1h because a testbed's instances come and go.
    public let idleTimeout: Duration
    /// `retries`; `nil` for no retries.
    public let retries: RetryPolicy?
    /// `circuitBreaker`; `nil` for no ejection and no connection-pool limits.
    public let circuitBreaker: CircuitBreaker?
    /// `loadBalancer`, default `roundRobin`.
    public let loadBalancer: LoadBalancer

    /// `connectTimeout`'s default: 10s, as Istio's.
    public static let defaultConnectTimeout = Duration.seconds(10)
    /// `idleTimeout`'s default: 5m.
    public static let defaultIdleTimeout = Duration.seconds(300)

    public init(
        timeout: Duration? = nil, connectTimeout: Duration = defaultConnectTimeout, idleTimeout: Duration = defaultIdleTimeout,
        retries: RetryPolicy? = nil, circuitBreaker: CircuitBreaker? = nil, loadBalancer: LoadBalancer = .roundRobin
    ) {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.retries = retries
        self.circuitBreaker = circuitBreaker
        self.loadBalancer = loadBalancer
    }

    static let keys = ["timeout", "connectTimeout", "idleTimeout", "retries", "circuitBreaker", "loadBalancer"]

    /// Reads the policy for `destination`.
    static func read(_ node: YAMLNode, destination: String, log: inout DiagnosticLog) -> Policy? {
        let context = "of policy for '\(destination)'"
        guard let fields = MappingReader(node, key: destination, context: "in policy for '\(destination)'", allowed: keys, log: &log) else {
            return nil
        }
        var valid = true
        func duration(_ key: String, _ fallback: Duration?, log: inout DiagnosticLog) -> Duration? {
            guard let value = fields[key] else { return fallback }
            guard let read = ValueReader.duration(value, key: key, minimum: .nanoseconds(1), log: &log) else {
                valid = false
                return fallback
            }
            return read
        }
        let timeout = duration("timeout", nil, log: &log)
        let connectTimeout = duration("connectTimeout", defaultConnectTimeout, log: &log) ?? defaultConnectTimeout
        let idleTimeout = duration("idleTimeout", defaultIdleTimeout, log: &log) ?? defaultIdleTimeout
        var retries: RetryPolicy?
        if let value = fields["retries"] {
            retries = RetryPolicy.read(value, context: context, log: &log)
            valid = valid && retries != nil
        }
        var circuitBreaker: CircuitBreaker?
        if let value = fields["circuitBreaker"] {
            circuitBreaker = CircuitBreaker.read(value, context: context, log: &log)
            valid = valid && circuitBreaker != nil
        }
        var loadBalancer = LoadBalancer.roundRobin
        if let value = fields["loadBalancer"] {
            if let read = ValueReader.choice(value, key: "loadBalancer", as: LoadBalancer.self, log: &log) { loadBalancer = read } else { valid = false }
        }
        guard valid else { return nil }
        return Policy(
            timeout: timeout, connectTimeout: connectTimeout, idleTimeout: idleTimeout,
            retries: retries, circuitBreaker: circuitBreaker, loadBalancer: loadBalancer)
    }
}
