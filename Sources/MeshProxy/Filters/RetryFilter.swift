/// Retries: sets the request's retry state from the destination's policy (attempts,
/// `retryOn`, idempotency), so failed attempts go again on another endpoint after a backoff.
/// The exchange asks `RetryState` whether an outcome is retried; this filter only sets it up.
final class RetryFilter: ProxyFilter {
    func requestStarted(_ exchange: ProxyExchange) -> FilterVerdict {
        exchange.retry = RetryState(exchange.policy)
        return .proceed
    }
}
