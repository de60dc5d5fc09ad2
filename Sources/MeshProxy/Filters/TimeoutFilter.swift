/// Timeouts: sets the request's route timeout from the destination's policy (`timeout`),
/// else the sidecar's default (Envoy's 15 s route timeout). The exchange runs it from the
/// end of the request to the end of the response, retries and backoff included, and
/// answers 504 (UT) when it passes; connect and per-try timeouts belong to each attempt.
final class TimeoutFilter: ProxyFilter {
    var hooks: FilterHooks { [.requestStarted] }
    private unowned let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        exchange.routeTimeout = exchange.policy.timeout > 0 ? exchange.policy.timeout : state.upstreamTimeout
        return .proceed
    }
}
