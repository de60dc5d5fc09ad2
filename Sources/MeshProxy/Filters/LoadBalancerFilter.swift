/// Load balancing (outbound and gateway): picks each attempt's endpoint among the chosen
/// version's endpoints (every version's when the route chose none), skipping endpoints
/// marked unreachable and, when another exists, those earlier attempts of the request
/// went to. An attempt that could not reach its endpoint marks it (passive health).
final class LoadBalancerFilter: ProxyFilter {
    private unowned let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func attemptStarting(_ exchange: ProxyExchange) -> FilterVerdict {
        guard let endpoint = state.pick(service: exchange.destination, version: exchange.version, avoiding: exchange.tried) else {
            let version = exchange.version.map { " version \($0)" } ?? ""
            return .stop(LocalReply(status: 503, message: "no healthy upstream for '\(exchange.destination)'\(version)", flags: .noHealthyUpstream))
        }
        exchange.endpoint = (endpoint.id, endpoint.address)
        return .proceed
    }

    func attemptEnded(_ exchange: ProxyExchange, outcome: AttemptOutcome) {
        if outcome.endpointUnreachable, let address = exchange.tried.last { state.markFailed(address) }
    }
}
