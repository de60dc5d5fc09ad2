import MeshConfig
import MeshResilience

/// A destination's policy as the data path uses it: every duration in nanoseconds, every
/// default filled in, compiled once per snapshot (`RoutingTable`).
struct RoutePolicy: Sendable, Equatable {
    /// The whole request, retries included, from the end of the request (0: the sidecar's
    /// default upstream timeout).
    var timeout: UInt64 = 0
    /// Each attempt, from its request's end to its response head (0: none).
    var perTryTimeout: UInt64 = 0
    /// Opening an upstream connection.
    var connectTimeout: UInt64 = RoutePolicy.defaultConnectTimeout
    /// How long a pooled upstream connection may stay idle before it is closed.
    var idleTimeout: UInt64 = RoutePolicy.defaultIdleTimeout
    /// Retries after the first attempt.
    var retries: Int = RoutePolicy.defaultRetries
    /// Which attempt outcomes are retried.
    var retryOn: RetryConditions = RoutePolicy.defaultRetryOn
    /// The statuses `retriable-status-codes` retries.
    var retriableStatusCodes: [Int] = []
    /// Whether requests that are not idempotent (POST, PATCH) are retried after something
    /// of them may have reached an app (a failure to connect is retried for any method).
    var retryNonIdempotent = false
    /// How an endpoint of the chosen version is picked.
    var loadBalancer: LoadBalancer.Kind = .roundRobin
    /// Outlier detection (a policy's `circuitBreaker`), nil for none.
    var outlierDetection: OutlierDetection?
    /// Connection-pool limits (a policy's `circuitBreaker`), nil for none.
    var limits: DestinationLimits.Maxima?

    /// Istio's default connect timeout: 10 s.
    static let defaultConnectTimeout: UInt64 = 10_000_000_000
    /// 5 minutes (`ResolvedPolicy`'s default; Istio's is an hour).
    static let defaultIdleTimeout: UInt64 = ResolvedPolicy.defaultIdleTimeoutNanoseconds
    /// Istio's default: 2 retries.
    static let defaultRetries = 2
    /// Without a `retries` policy: an endpoint that cannot be reached (refused, or its app is
    /// gone) and a reset before any response are retried on another endpoint, which is what a
    /// mesh does while the control plane catches up with an instance that died.
    static let defaultRetryOn: RetryConditions = [.connectFailure, .reset]

    /// The policy of a destination without one.
    static let `default` = RoutePolicy()

    /// The inbound side (toward the local app): no retries, the sidecar's default timeout.
    static let inbound = RoutePolicy(retries: 0, retryOn: [])
}

extension RoutePolicy {
    /// The data path's form of a snapshot's policy. Without `retries`, the default retries
    /// above apply (`retries: {attempts: 0}` turns them off); without `timeout`, the sidecar's.
    init(_ resolved: ResolvedPolicy) {
        timeout = resolved.timeoutNanoseconds ?? 0
        connectTimeout = resolved.connectTimeoutNanoseconds
        idleTimeout = resolved.idleTimeoutNanoseconds
        if let retries = resolved.retries {
            self.retries = retries.attempts
            perTryTimeout = retries.perTryTimeoutNanoseconds ?? 0
            retryOn = RetryConditions(conditions: retries.retryOn)
            retriableStatusCodes = retries.retriableStatusCodes.sorted()
            retryNonIdempotent = retries.retryNonIdempotent
        }
        loadBalancer = LoadBalancer.Kind(rawValue: resolved.loadBalancer.rawValue) ?? .roundRobin
        if let breaker = resolved.circuitBreaker {
            outlierDetection = OutlierDetection(
                consecutive5xxErrors: breaker.consecutive5xxErrors, consecutiveGatewayErrors: breaker.consecutiveGatewayErrors,
                interval: breaker.intervalNanoseconds, baseEjectionTime: breaker.baseEjectionTimeNanoseconds,
                maxEjectionPercent: Int(breaker.maxEjectionPercent.rounded()), minHealthPercent: Int(breaker.minHealthPercent.rounded()))
            limits = DestinationLimits.Maxima(
                connections: breaker.maxConnections, pendingRequests: breaker.maxPendingRequests, requests: breaker.maxRequests)
        }
    }
}

/// The `retryOn` conditions of a retry policy (SPEC §3, Envoy's `x-envoy-retry-on` names).
struct RetryConditions: OptionSet, Sendable, Equatable {
    let rawValue: UInt8

    /// `5xx`: any 5xx response, or none at all (connect failure, reset, per-try timeout).
    static let serverError = RetryConditions(rawValue: 1 << 0)
    /// `gateway-error`: 502, 503 or 504, or none at all.
    static let gatewayError = RetryConditions(rawValue: 1 << 1)
    /// `connect-failure`: the connection could not be opened (or the endpoint's app was unreachable).
    static let connectFailure = RetryConditions(rawValue: 1 << 2)
    /// `reset`: the connection ended before a response head (or the per-try timeout passed).
    static let reset = RetryConditions(rawValue: 1 << 3)
    /// `retriable-4xx`: 409.
    static let retriable4xx = RetryConditions(rawValue: 1 << 4)
    /// `retriable-status-codes`: the statuses listed in `retriableStatusCodes`.
    static let retriableStatusCodes = RetryConditions(rawValue: 1 << 5)

    /// The condition that makes `outcome` retriable under these conditions, if any, by its
    /// `retryOn` name (the decision record's retry reason).
    func reason(for outcome: AttemptOutcome, codes: [Int]) -> String? {
        switch outcome {
        case .response(let status):
            if contains(.retriableStatusCodes), codes.contains(status) { return "retriable-status-codes" }
            if contains(.gatewayError), status == 502 || status == 503 || status == 504 { return "gateway-error" }
            if contains(.serverError), status >= 500 { return "5xx" }
            if contains(.retriable4xx), status == 409 { return "retriable-4xx" }
            return nil
        case .appUnreachable(let status):
            if contains(.connectFailure) { return "connect-failure" }
            if contains(.gatewayError) { return "gateway-error" }
            if contains(.serverError) { return "5xx" }
            if contains(.retriableStatusCodes), codes.contains(status) { return "retriable-status-codes" }
            return nil
        case .connectFailure, .connectTimeout:
            if contains(.connectFailure) { return "connect-failure" }
            if contains(.gatewayError) { return "gateway-error" }
            if contains(.serverError) { return "5xx" }
            return nil
        case .reset, .perTryTimeout:
            if contains(.reset) { return "reset" }
            if contains(.gatewayError) { return "gateway-error" }
            if contains(.serverError) { return "5xx" }
            return nil
        case .protocolError:
            return contains(.serverError) ? "5xx" : nil
        case .abandoned:
            return nil
        }
    }
}

extension RetryConditions {
    /// The conditions a policy lists.
    init(conditions: Set<PolicyConfig.RetryCondition>) {
        var set: RetryConditions = []
        for condition in conditions {
            switch condition {
            case .serverError: set.insert(.serverError)
            case .gatewayError: set.insert(.gatewayError)
            case .connectFailure: set.insert(.connectFailure)
            case .reset: set.insert(.reset)
            case .retriable4xx: set.insert(.retriable4xx)
            case .retriableStatusCodes: set.insert(.retriableStatusCodes)
            }
        }
        self = set
    }
}
