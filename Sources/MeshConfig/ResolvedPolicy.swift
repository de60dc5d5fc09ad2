import MeshCore

/// A destination's policy ready for the data path: every default filled in and every
/// duration in nanoseconds (`UInt64`, as the event loops' timers take them). A sidecar makes
/// one per destination when it applies a snapshot (`PolicyConfig.resolved()`, or `defaults`
/// for a destination without a policy) and reads it per request without parsing anything.
///
/// Defaults are Istio's where the concept is the same, and documented in docs/topology.md:
/// no request timeout, connect timeout 10s, upstream idle timeout 5m, no retries, no
/// outlier detection and no limits, round robin.
public struct ResolvedPolicy: Sendable, Equatable {
    /// `retries:` resolved.
    public struct Retries: Sendable, Equatable {
        /// Retries after the first try.
        public var attempts: Int
        /// The limit of each try; nil leaves only the request's `timeout`.
        public var perTryTimeoutNanoseconds: UInt64?
        /// The failures retried.
        public var retryOn: Set<PolicyConfig.RetryCondition>
        /// The statuses `retriable-status-codes` retries (empty without it).
        public var retriableStatusCodes: Set<Int>
        /// Whether non-idempotent requests (POST, PATCH, CONNECT) are retried.
        public var retryNonIdempotent: Bool

        /// `retryOn` when a policy does not say: `5xx`, `gateway-error`, `connect-failure`, `reset`.
        public static let defaultRetryOn: Set<PolicyConfig.RetryCondition> = [.serverError, .gatewayError, .connectFailure, .reset]

        public init(
            attempts: Int, perTryTimeoutNanoseconds: UInt64? = nil, retryOn: Set<PolicyConfig.RetryCondition> = defaultRetryOn,
            retriableStatusCodes: Set<Int> = [], retryNonIdempotent: Bool = false
        ) {
            self.attempts = attempts
            self.perTryTimeoutNanoseconds = perTryTimeoutNanoseconds
            self.retryOn = retryOn
            self.retriableStatusCodes = retriableStatusCodes
            self.retryNonIdempotent = retryNonIdempotent
        }
    }

    /// `circuitBreaker:` resolved (docs/topology.md has each field's meaning at length).
    public struct CircuitBreaker: Sendable, Equatable {
        /// 5xx answers (or no answer) in a row that eject an instance; 0 is off.
        public var consecutive5xxErrors: Int
        /// 502, 503, 504 (or no answer) in a row that eject an instance; 0 is off.
        public var consecutiveGatewayErrors: Int
        /// How often ejected instances are considered for return.
        public var intervalNanoseconds: UInt64
        /// The first ejection's length; the n-th lasts n times as long.
        public var baseEjectionTimeNanoseconds: UInt64
        /// At most this share (0–100) of instances is ejected at once.
        public var maxEjectionPercent: Double
        /// The panic threshold (0–100): below this share of healthy instances, every instance is used.
        public var minHealthPercent: Double
        /// Connections to the destination per sidecar.
        public var maxConnections: Int
        /// Requests waiting for a connection; more are answered 503 at once.
        public var maxPendingRequests: Int
        /// Requests in flight to the destination; more are answered 503 at once.
        public var maxRequests: Int

        /// A `circuitBreaker:` that sets nothing: 5 consecutive 5xx eject (gateway errors off),
        /// interval 10s, base ejection 30s, at most 10% ejected, panic below 50% healthy,
        /// 1024 connections, pending and in-flight requests.
        public static let defaults = CircuitBreaker(
            consecutive5xxErrors: 5, consecutiveGatewayErrors: 0, intervalNanoseconds: 10_000_000_000,
            baseEjectionTimeNanoseconds: 30_000_000_000, maxEjectionPercent: 10, minHealthPercent: 50,
            maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024)

        public init(
            consecutive5xxErrors: Int, consecutiveGatewayErrors: Int, intervalNanoseconds: UInt64, baseEjectionTimeNanoseconds: UInt64,
            maxEjectionPercent: Double, minHealthPercent: Double, maxConnections: Int, maxPendingRequests: Int, maxRequests: Int
        ) {
            self.consecutive5xxErrors = consecutive5xxErrors
            self.consecutiveGatewayErrors = consecutiveGatewayErrors
            self.intervalNanoseconds = intervalNanoseconds
            self.baseEjectionTimeNanoseconds = baseEjectionTimeNanoseconds
            self.maxEjectionPercent = maxEjectionPercent
            self.minHealthPercent = minHealthPercent
            self.maxConnections = maxConnections
            self.maxPendingRequests = maxPendingRequests
            self.maxRequests = maxRequests
        }
    }

    /// The limit of the whole request, retries included; nil for none.
    public var timeoutNanoseconds: UInt64?
    /// The limit for opening a connection to an instance.
    public var connectTimeoutNanoseconds: UInt64
    /// How long a pooled upstream connection may stay unused before it is closed.
    public var idleTimeoutNanoseconds: UInt64
    /// nil: no retries.
    public var retries: Retries?
    /// nil: no outlier detection and no connection-pool limits.
    public var circuitBreaker: CircuitBreaker?
    /// How an instance of the chosen version is picked.
    public var loadBalancer: PolicyConfig.LoadBalancer

    /// `connectTimeout` when a policy does not say: 10s, as Istio's.
    public static let defaultConnectTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// `idleTimeout` when a policy does not say: 5m (Istio's is 1h; a testbed's instances come and go).
    public static let defaultIdleTimeoutNanoseconds: UInt64 = 300_000_000_000

    /// The policy of a destination that has none.
    public static let defaults = ResolvedPolicy(
        timeoutNanoseconds: nil, connectTimeoutNanoseconds: defaultConnectTimeoutNanoseconds,
        idleTimeoutNanoseconds: defaultIdleTimeoutNanoseconds, retries: nil, circuitBreaker: nil, loadBalancer: .roundRobin)

    public init(
        timeoutNanoseconds: UInt64?, connectTimeoutNanoseconds: UInt64, idleTimeoutNanoseconds: UInt64,
        retries: Retries?, circuitBreaker: CircuitBreaker?, loadBalancer: PolicyConfig.LoadBalancer
    ) {
        self.timeoutNanoseconds = timeoutNanoseconds
        self.connectTimeoutNanoseconds = connectTimeoutNanoseconds
        self.idleTimeoutNanoseconds = idleTimeoutNanoseconds
        self.retries = retries
        self.circuitBreaker = circuitBreaker
        self.loadBalancer = loadBalancer
    }

    /// Resolves `config` (see `PolicyConfig.resolved()`).
    init(_ config: PolicyConfig) throws(ConfigError) {
        timeoutNanoseconds = try config.timeout.map { text throws(ConfigError) in try Self.duration(text, "timeout") }
        connectTimeoutNanoseconds = try config.connectTimeout.map { text throws(ConfigError) in try Self.duration(text, "connectTimeout") }
            ?? Self.defaultConnectTimeoutNanoseconds
        idleTimeoutNanoseconds = try config.idleTimeout.map { text throws(ConfigError) in try Self.duration(text, "idleTimeout") }
            ?? Self.defaultIdleTimeoutNanoseconds
        loadBalancer = config.loadBalancer ?? .roundRobin
        retries = try config.retries.map { retries throws(ConfigError) in try Self.resolve(retries) }
        circuitBreaker = try config.circuitBreaker.map { breaker throws(ConfigError) in try Self.resolve(breaker) }
    }

    private static func resolve(_ config: PolicyConfig.Retries) throws(ConfigError) -> Retries {
        guard config.attempts >= 0 else { throw ConfigError("policy: retries: attempts: expected an integer ≥ 0, got \(config.attempts)") }
        let retryOn = config.retryOn.map(Set.init) ?? Retries.defaultRetryOn
        let codes = config.retriableStatusCodes ?? []
        for code in codes where !(400...599).contains(code) {
            throw ConfigError("policy: retries: retriableStatusCodes: expected HTTP statuses 400–599, got \(code)")
        }
        if retryOn.contains(.retriableStatusCodes), codes.isEmpty {
            throw ConfigError("policy: retries: 'retriable-status-codes' needs a non-empty retriableStatusCodes")
        }
        if !retryOn.contains(.retriableStatusCodes), !codes.isEmpty {
            throw ConfigError("policy: retries: retriableStatusCodes is used only with 'retriable-status-codes' in retryOn")
        }
        return Retries(
            attempts: config.attempts,
            perTryTimeoutNanoseconds: try config.perTryTimeout.map { text throws(ConfigError) in try duration(text, "retries: perTryTimeout") },
            retryOn: retryOn, retriableStatusCodes: Set(codes), retryNonIdempotent: config.retryNonIdempotent ?? false)
    }

    private static func resolve(_ config: PolicyConfig.CircuitBreaker) throws(ConfigError) -> CircuitBreaker {
        let defaults = CircuitBreaker.defaults
        func count(_ value: Int?, _ fallback: Int, _ key: String, minimum: Int) throws(ConfigError) -> Int {
            guard let value else { return fallback }
            guard value >= minimum else { throw ConfigError("policy: circuitBreaker: \(key): expected an integer ≥ \(minimum), got \(value)") }
            return value
        }
        func percent(_ value: Double?, _ fallback: Double, _ key: String) throws(ConfigError) -> Double {
            guard let value else { return fallback }
            guard value >= 0, value <= 100 else { throw ConfigError("policy: circuitBreaker: \(key): expected a percentage 0–100, got \(value)") }
            return value
        }
        return CircuitBreaker(
            consecutive5xxErrors: try count(config.consecutive5xxErrors, defaults.consecutive5xxErrors, "consecutive5xxErrors", minimum: 0),
            consecutiveGatewayErrors: try count(config.consecutiveGatewayErrors, defaults.consecutiveGatewayErrors, "consecutiveGatewayErrors", minimum: 0),
            intervalNanoseconds: try config.interval.map { text throws(ConfigError) in try duration(text, "circuitBreaker: interval") }
                ?? defaults.intervalNanoseconds,
            baseEjectionTimeNanoseconds: try config.baseEjectionTime.map { text throws(ConfigError) in
                try duration(text, "circuitBreaker: baseEjectionTime")
            } ?? defaults.baseEjectionTimeNanoseconds,
            maxEjectionPercent: try percent(config.maxEjectionPercent, defaults.maxEjectionPercent, "maxEjectionPercent"),
            minHealthPercent: try percent(config.minHealthPercent, defaults.minHealthPercent, "minHealthPercent"),
            maxConnections: try count(config.maxConnections, defaults.maxConnections, "maxConnections", minimum: 1),
            maxPendingRequests: try count(config.maxPendingRequests, defaults.maxPendingRequests, "maxPendingRequests", minimum: 1),
            maxRequests: try count(config.maxRequests, defaults.maxRequests, "maxRequests", minimum: 1))
    }

    /// A duration greater than 0 in nanoseconds, or an error naming `key`.
    private static func duration(_ text: String, _ key: String) throws(ConfigError) -> UInt64 {
        guard let value = Duration(meshbed: text), value > .zero else {
            throw ConfigError("policy: \(key): expected a duration greater than 0s like 250ms, got '\(text)'")
        }
        return UInt64(value.meshbedNanoseconds)
    }
}
