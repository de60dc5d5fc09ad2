/// The order of the sidecar's filters, written down once. Each filter's hooks run in this
/// order (`ProxyFilter`); a filter that stops a request answers it and later ones never see it.
///
/// Outbound (from the local app) and gateway (the ingress):
///
///     routing ─▶ fault ─▶ mirror ─▶ timeout ─▶ retry ─▶ load balancer ─▶ circuit breaker
///
/// - routing: first, because every later decision depends on the destination, its route,
///   split bucket and policy.
/// - fault: right after routing (its scope is the destination and the chosen version) and
///   before everything that spends anything on a request: an aborted request is never
///   mirrored, retried or counted against limits (Envoy's order). A delay holds the request
///   before its first attempt, inside the route timeout that `timeout` sets.
/// - mirror: right after routing (it needs the matched route) and before anything that may
///   answer the request, so copies see what the primary sees; it sends its copy once the
///   whole request has arrived, apart from every attempt.
/// - timeout: before any attempt, so the route timeout bounds retries and backoff too.
/// - retry: after routing (its policy is the destination's) and before the load balancer,
///   so every attempt, the first included, runs under the retry state it sets up.
/// - load balancer: per attempt, because it needs the version routing chose and the
///   endpoints earlier attempts tried, and answers 503 (UH) when none is left; it also feeds
///   outlier detection with each attempt's outcome.
/// - circuit breaker: last. At the request's start its `maxRequests` check needs only the
///   destination (no earlier filter spends anything on a request it refuses); at each
///   attempt its connection limits apply to the endpoint the balancer chose.
///
/// Inbound (from a peer sidecar, to the local app):
///
///     authorization ─▶ fault ─▶ timeout ─▶ local app
///
/// - authorization: first, so a caller the destination does not allow costs nothing more
///   (the caller's identity comes from its mTLS certificate, read once per connection).
/// - fault: server-side faults (`side: server`), met by every attempt that was allowed in.
/// - timeout: the sidecar's default, so a stuck app cannot hold its caller forever.
/// - local app: the one endpoint. No retries here: the caller's sidecar retries.
enum ProxyPipeline {
    /// The filters for requests arriving in `mode`, in order.
    static func filters(for mode: ProxyMode, state: ProxyLoopState) -> [any ProxyFilter] {
        switch mode {
        case .outbound, .gateway:
            [RoutingFilter(state: state), FaultFilter(state: state, serverSide: false), MirrorFilter(state: state), TimeoutFilter(state: state), RetryFilter(state: state), LoadBalancerFilter(state: state),
             CircuitBreakerFilter(state: state)]
        case .inbound(let app):
            [AuthorizationFilter(state: state), FaultFilter(state: state, serverSide: true), TimeoutFilter(state: state), LocalAppFilter(app: app)]
        }
    }
}
