/// A destination's policy as snapshots carry it to sidecars (`policies:` of the topology,
/// SPEC §3): the same keys, with durations as meshbed duration text (`"250ms"`, `"10s"`) so
/// a sidecar's `/config` reads like the topology file. Every field is optional so that a
/// sparse policy (or an older control plane's) decodes; `resolved()` fills in the defaults
/// and turns durations into nanoseconds, once per snapshot, for the data path.
///
/// The control plane writes every field out from the topology model, whose defaults are
/// the same as `ResolvedPolicy`'s (a test holds the two together).
public struct PolicyConfig: Codable, Sendable, Equatable {
    /// How a sidecar picks an instance of the chosen version.
    public enum LoadBalancer: String, Codable, Sendable, Equatable, CaseIterable {
        /// Each healthy instance in turn (the default).
        case roundRobin
        /// The one with fewer requests in flight of two picked at random.
        case leastRequest
        /// A random healthy instance.
        case random
        /// The lowest peak-EWMA latency (as Linkerd).
        case ewma
    }

    /// A failure that may be retried (`retryOn` entries).
    public enum RetryCondition: String, Codable, Sendable, Equatable, Hashable, CaseIterable {
        /// Any 5xx response, or no response (reset, timeout, connect failure).
        case serverError = "5xx"
        /// 502, 503 or 504, or no response.
        case gatewayError = "gateway-error"
        /// The connection could not be opened.
        case connectFailure = "connect-failure"
        /// The connection was reset before a response.
        case reset
        /// 409 Conflict.
        case retriable4xx = "retriable-4xx"
        /// A status listed in `retriableStatusCodes`.
        case retriableStatusCodes = "retriable-status-codes"
    }

    /// `retries:`.
    public struct Retries: Codable, Sendable, Equatable {
        /// Retries after the first try (0: none).
        public var attempts: Int
        /// The limit of each try; nil leaves only the policy's `timeout`.
        public var perTryTimeout: String?
        /// The failures retried; nil for the default (`5xx`, `gateway-error`, `connect-failure`, `reset`).
        public var retryOn: [RetryCondition]?
        /// The statuses `retriable-status-codes` retries (required with it).
        public var retriableStatusCodes: [Int]?
        /// Whether non-idempotent requests (POST, PATCH, CONNECT) are retried; nil is false.
        public var retryNonIdempotent: Bool?

        public init(
            attempts: Int, perTryTimeout: String? = nil, retryOn: [RetryCondition]? = nil,
            retriableStatusCodes: [Int]? = nil, retryNonIdempotent: Bool? = nil
        ) {
            self.attempts = attempts
            self.perTryTimeout = perTryTimeout
            self.retryOn = retryOn
            self.retriableStatusCodes = retriableStatusCodes
            self.retryNonIdempotent = retryNonIdempotent
        }
    }

    /// `circuitBreaker:` (outlier detection and connection-pool limits); nil fields take
    /// `ResolvedPolicy.CircuitBreaker.defaults`.
    public struct CircuitBreaker: Codable, Sendable, Equatable {
        /// 5xx answers (or no answer) in a row that eject an instance; 0 is off.
        public var consecutive5xxErrors: Int?
        /// 502, 503, 504 (or no answer) in a row that eject an instance; 0 is off.
        public var consecutiveGatewayErrors: Int?
        /// How often ejected instances are considered for return.
        public var interval: String?
        /// The first ejection's length; the n-th lasts n times as long.
        public var baseEjectionTime: String?
        /// At most this share (0–100) of instances is ejected at once.
        public var maxEjectionPercent: Double?
        /// The panic threshold (0–100): below this share of healthy instances, every instance is used.
        public var minHealthPercent: Double?
        /// Connections to the destination per sidecar.
        public var maxConnections: Int?
        /// Requests waiting for a connection; more are answered 503 at once.
        public var maxPendingRequests: Int?
        /// Requests in flight to the destination; more are answered 503 at once.
        public var maxRequests: Int?

        public init(
            consecutive5xxErrors: Int? = nil, consecutiveGatewayErrors: Int? = nil, interval: String? = nil,
            baseEjectionTime: String? = nil, maxEjectionPercent: Double? = nil, minHealthPercent: Double? = nil,
            maxConnections: Int? = nil, maxPendingRequests: Int? = nil, maxRequests: Int? = nil
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
    }

    /// The limit of the whole request, retries included; nil for none.
    public var timeout: String?
    /// The limit for opening a connection; nil for the default (10s).
    public var connectTimeout: String?
    /// How long a pooled upstream connection may stay unused; nil for the default (5m).
    public var idleTimeout: String?
    /// Retries; nil for none.
    public var retries: Retries?
    /// Outlier detection and limits; nil for neither.
    public var circuitBreaker: CircuitBreaker?
    /// nil for `roundRobin`.
    public var loadBalancer: LoadBalancer?

    public init(
        timeout: String? = nil, connectTimeout: String? = nil, idleTimeout: String? = nil,
        retries: Retries? = nil, circuitBreaker: CircuitBreaker? = nil, loadBalancer: LoadBalancer? = nil
    ) {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.retries = retries
        self.circuitBreaker = circuitBreaker
        self.loadBalancer = loadBalancer
    }

    /// The policy with every default filled in and durations in nanoseconds; throws, with a
    /// one-line message naming the field, for a value the topology validator would have
    /// refused (a sidecar rejects such a snapshot in its ack).
    public func resolved() throws(ConfigError) -> ResolvedPolicy {
        try ResolvedPolicy(self)
    }
}
