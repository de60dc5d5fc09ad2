/// Connection-pool limits (a policy's `circuitBreaker`: `maxRequests`, `maxConnections`,
/// `maxPendingRequests`, per sidecar and destination, as Envoy's circuit breakers):
///
/// - at the request's start, one more request in flight than `maxRequests` is answered 503
///   at once (UO, "overflow" in the record, counted in `overflows`);
/// - at each attempt, the balancer's endpoint gets an idle connection, or a new one while
///   the destination has fewer than `maxConnections` (an idle one to another of its
///   endpoints is closed to make room if need be); otherwise the request waits for one
///   (`ConnectionWaiters`) unless `maxPendingRequests` already wait: then 503 at once.
final class CircuitBreakerFilter: ProxyFilter {
    var hooks: FilterHooks { [.requestStarted, .attemptStarting, .requestEnded] }
    private unowned let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        guard let limits = exchange.shared?.limits else { return .proceed }
        guard DestinationLimits.acquire(limits.requests, limit: limits.maxima.requests) else {
            return overflow(exchange, "\(limits.maxima.requests) requests in flight to '\(exchange.destination)' (maxRequests)")
        }
        exchange.holdsRequestSlot = true
        return .proceed
    }

    func attemptStarting(_ exchange: ProxyExchange) -> FilterVerdict {
        guard let limits = exchange.shared?.limits else { return .proceed }
        // The atomic first: below the limit, nothing else is needed.
        if limits.connections.load(ordering: .relaxed) < limits.maxima.connections { return .proceed }
        guard let endpoint = exchange.endpoint else { return .proceed }
        let connector = state.connector
        if connector.hasIdle(endpoint.address) { return .proceed }
        let others = state.addresses(of: exchange.destination).filter { $0 != endpoint.address }
        if connector.closeOneIdle(toAnyOf: others), limits.connections.load(ordering: .relaxed) < limits.maxima.connections {
            return .proceed
        }
        guard DestinationLimits.acquire(limits.pending, limit: limits.maxima.pendingRequests) else {
            return overflow(exchange, "\(limits.maxima.connections) connections to '\(exchange.destination)' busy (maxConnections) "
                + "and \(limits.maxima.pendingRequests) requests waiting (maxPendingRequests)")
        }
        exchange.waitsForConnection = true
        state.waiters.enqueue(exchange, for: exchange.destination)
        return .park
    }

    func requestEnded(_ exchange: ProxyExchange) {
        guard let limits = exchange.shared?.limits else { return }
        if exchange.waitsForConnection {
            exchange.waitsForConnection = false
            state.waiters.remove(exchange, for: exchange.destination)
            limits.pending.subtract(1, ordering: .relaxed)
        }
        if exchange.holdsRequestSlot {
            exchange.holdsRequestSlot = false
            limits.requests.subtract(1, ordering: .relaxed)
        }
    }

    private func overflow(_ exchange: ProxyExchange, _ what: String) -> FilterVerdict {
        state.counters.overflows.add(1, ordering: .relaxed)
        exchange.record.circuit = "overflow"
        return .stop(LocalReply(status: 503, message: "upstream overflow: \(what)", flags: .upstreamOverflow))
    }
}
