/// Retries: sets the request's retry state from the destination's policy (attempts,
/// `retryOn`, idempotency), so failed attempts go again on another endpoint after a backoff,
/// and holds each retry to the destination's retry budget (at most 20% of its active
/// requests, at least 3, may be retries in flight, as Envoy's), so a full outage cannot turn
/// into a retry storm. The exchange asks `RetryState` whether an outcome is retried.
final class RetryFilter: ProxyFilter {
    var hooks: FilterHooks { [.requestStarted, .retryAllowed, .attemptEnded, .requestEnded] }
    private unowned let state: ProxyLoopState

    init(state: ProxyLoopState) {
        self.state = state
    }

    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        exchange.retry = RetryState(exchange.policy)
        exchange.shared?.budget.requestStarted()
        return .proceed
    }

    func retryAllowed(_ exchange: ProxyExchange) -> RetryState.Refusal? {
        guard let budget = exchange.shared?.budget else { return nil }
        releaseRetry(exchange)
        guard budget.tryAcquireRetry() else {
            state.counters.budgetExhausted.add(1, ordering: .relaxed)
            exchange.record.flags.insert(.retryLimitExceeded)
            return .budgetExhausted
        }
        exchange.holdsBudgetRetry = true
        return nil
    }

    func attemptEnded(_ exchange: ProxyExchange, outcome: AttemptOutcome) {
        releaseRetry(exchange)
    }

    func requestEnded(_ exchange: ProxyExchange) {
        releaseRetry(exchange)
        exchange.shared?.budget.requestEnded()
    }

    private func releaseRetry(_ exchange: ProxyExchange) {
        guard exchange.holdsBudgetRetry else { return }
        exchange.holdsBudgetRetry = false
        exchange.shared?.budget.retryEnded()
    }
}
