import Synchronization

/// Envoy's retry budget (`circuit_breakers.thresholds.retry_budget`): the number of retries
/// allowed in flight at once is `max(minRetryConcurrency, budgetPercent % of the active
/// requests)`, so a full outage cannot turn every request into a retry storm while a quiet
/// destination can still retry.
///
/// Defaults are Envoy's: `budgetPercent` 20 and `minRetryConcurrency` 3. The percentage is
/// truncated like Envoy's conversion to an integer: 10 active requests allow max(3, 2) = 3
/// retries, 100 allow 20. Active requests are what the caller counts with `requestStarted()`
/// / `requestEnded()`; Envoy counts every request in flight to the cluster (retries too).
///
/// One budget is shared by all of a sidecar's event loops for one destination: the counters
/// are atomics and no call takes a lock. Every `requestStarted()` must be paired with one
/// `requestEnded()`, and every `tryAcquireRetry()` that returned `true` with one
/// `retryEnded()`.
public final class RetryBudget: Sendable {
    /// Envoy's default share of active requests that may be retries: 20 %.
    public static let defaultBudgetPercent: Double = 20
    /// Envoy's default floor of concurrent retries: 3.
    public static let defaultMinRetryConcurrency = 3

    /// The share of active requests that may be retries at once, in percent (0 or more).
    public let budgetPercent: Double
    /// Retries always allowed at once, whatever the number of active requests (0 or more).
    public let minRetryConcurrency: Int

    private let active = Atomic<Int>(0)
    private let retries = Atomic<Int>(0)

    /// A budget with no request in flight. Negative settings are taken as 0.
    public init(
        budgetPercent: Double = RetryBudget.defaultBudgetPercent,
        minRetryConcurrency: Int = RetryBudget.defaultMinRetryConcurrency
    ) {
        self.budgetPercent = budgetPercent.isFinite ? Swift.max(budgetPercent, 0) : 0
        self.minRetryConcurrency = Swift.max(minRetryConcurrency, 0)
    }

    /// The retries allowed in flight at once when `activeRequests` requests are active.
    public func allowedRetries(activeRequests: Int) -> Int {
        // Multiplying first keeps whole percentages exact: 20 × 10 / 100 is 2, not 1.999….
        let share = budgetPercent * Double(Swift.max(activeRequests, 0)) / 100
        let truncated = share < Double(Int.max) ? Int(share) : Int.max
        return Swift.max(minRetryConcurrency, truncated)
    }

    /// Counts a request as active.
    public func requestStarted() {
        active.wrappingAdd(1, ordering: .relaxed)
    }

    /// Counts an active request as finished.
    public func requestEnded() {
        active.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Takes one retry from the budget if the retries in flight are below
    /// `allowedRetries(activeRequests:)`; `false` means the retry must not be made (Envoy's
    /// `upstream_rq_retry_overflow`).
    public func tryAcquireRetry() -> Bool {
        var current = retries.load(ordering: .relaxed)
        while true {
            guard current < allowedRetries(activeRequests: active.load(ordering: .relaxed)) else { return false }
            let (exchanged, original) = retries.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Returns a retry taken with `tryAcquireRetry()` once that attempt has ended.
    public func retryEnded() {
        retries.wrappingSubtract(1, ordering: .relaxed)
    }

    /// The requests counted as active now.
    public var activeRequests: Int { active.load(ordering: .relaxed) }

    /// The retries in flight now.
    public var activeRetries: Int { retries.load(ordering: .relaxed) }
}
