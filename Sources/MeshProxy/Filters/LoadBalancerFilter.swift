import MeshResilience

/// Load balancing and outlier detection (outbound and gateway): picks each attempt's
/// endpoint with the destination's balancer (`roundRobin`, `leastRequest`, `random`,
/// `ewma`) among the chosen version's endpoints that outlier detection has not ejected and
/// that are not marked unreachable, avoiding those earlier attempts of the request went to
/// while another exists. Each attempt's end feeds the balancer (requests in flight, latency),
/// outlier detection (consecutive errors: an ejection is counted and recorded) and passive
/// health (an endpoint that could not be reached is marked).
final class LoadBalancerFilter: ProxyFilter {
    var hooks: FilterHooks { [.attemptStarting, .attemptStarted, .attemptEnded] }
    private unowned let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func attemptStarting(_ exchange: ProxyExchange) -> FilterVerdict {
        guard let (index, endpoint, balancer, outlier) = state.pick(service: exchange.destination, version: exchange.version, avoiding: exchange.tried) else {
            let version = exchange.version.map { " version \($0)" } ?? ""
            return .stop(LocalReply(status: 503, message: "no healthy upstream for '\(exchange.destination)'\(version)", flags: .noHealthyUpstream))
        }
        exchange.endpoint = endpoint
        exchange.endpointIndex = index
        exchange.outlier = outlier
        if let outlier, exchange.record.circuit == nil, outlier.isPanicking(now: state.timers.now) {
            exchange.record.circuit = "panic"
        }
        exchange.balancer = balancer
        return .proceed
    }

    func attemptStarted(_ exchange: ProxyExchange) {
        if exchange.endpoint != nil { exchange.balancer?.started(exchange.endpointIndex) }
    }

    func attemptEnded(_ exchange: ProxyExchange, outcome: AttemptOutcome) {
        guard let endpoint = exchange.endpoint else { return }
        let now = state.timers.now
        exchange.balancer?.finished(exchange.endpointIndex, latency: now &- exchange.attemptStartedAt, now: now)
        if outcome.endpointUnreachable { state.markFailed(endpoint.address) }
        guard let outlier = exchange.outlier, let counted = Self.outlierOutcome(outcome),
              let event = outlier.record(endpoint: exchange.endpointIndex, outcome: counted, now: now) else { return }
        switch event.kind {
        case .ejected:
            state.counters.ejections.add(1, ordering: .relaxed)
            exchange.record.circuit = "ejected \(event.id) for \(ProxyExchange.text(event.until &- now))"
        case .overflowed:
            exchange.record.circuit = "not ejected \(event.id): maxEjectionPercent reached"
        }
    }

    /// How outlier detection counts an attempt's outcome (nil: not at all, when the caller
    /// ended the request and the endpoint's part is unknown).
    static func outlierOutcome(_ outcome: AttemptOutcome) -> EndpointOutcome? {
        switch outcome {
        case .response(let status), .appUnreachable(let status): EndpointOutcome(status: status)
        case .connectFailure, .connectTimeout: .connectFailure
        case .reset, .protocolError: .reset
        case .perTryTimeout, .abandoned(timedOut: true): .timeout
        case .abandoned(timedOut: false): nil
        }
    }
}
