/// Whether a failed attempt is tried again, for one request (Envoy keeps the same apart from
/// the upstream request, in `RetryStateImpl`): the policy's attempts and conditions, checked
/// against what is known of the request. The retry filter sets it up; the exchange asks it.
struct RetryState {
    /// Why an attempt is not retried, when a retry was otherwise due (for the record).
    enum Refusal: Equatable {
        /// The outcome is not one of `retryOn` (or retries are off): nothing to say.
        case notRetriable
        case bodyIncomplete
        case bodyTooLarge
        case notIdempotent
        case attemptsExhausted
        case deadlinePassed
        case budgetExhausted

        /// The note for the decision record (nil: none needed).
        var note: String? {
            switch self {
            case .notRetriable, .attemptsExhausted: nil
            case .bodyIncomplete: "not retried: the request body had not all arrived"
            case .bodyTooLarge: "not retried: the request body is over \(ProxyExchange.replayLimit / 1024) KiB, too large to replay"
            case .notIdempotent: "not retried: the method is not idempotent (retryNonIdempotent allows it)"
            case .deadlinePassed: "not retried: the request timeout has passed"
            case .budgetExhausted: "not retried: the retry budget is exhausted"
            }
        }
    }

    /// What the request is like, as far as retrying goes.
    struct Request {
        var complete: Bool
        var replayable: Bool
        var idempotent: Bool
        /// Retries already made.
        var retries: Int
        var deadlinePassed: Bool
    }

    var retries: Int
    var conditions: RetryConditions
    var retriableStatusCodes: [Int]
    var retryNonIdempotent: Bool

    /// Retries nothing.
    static let none = RetryState(retries: 0, conditions: [], retriableStatusCodes: [], retryNonIdempotent: false)

    init(retries: Int, conditions: RetryConditions, retriableStatusCodes: [Int], retryNonIdempotent: Bool) {
        self.retries = retries
        self.conditions = conditions
        self.retriableStatusCodes = retriableStatusCodes
        self.retryNonIdempotent = retryNonIdempotent
    }

    init(_ policy: RoutePolicy) {
        self.init(retries: policy.retries, conditions: policy.retryOn, retriableStatusCodes: policy.retriableStatusCodes,
                  retryNonIdempotent: policy.retryNonIdempotent)
    }

    /// Whether a retry may be possible at all (the body is recorded for replay only then).
    var mayRetry: Bool { retries > 0 && !conditions.isEmpty }

    /// The `retryOn` condition under which `outcome` is retried, or why it is not.
    func decide(_ outcome: AttemptOutcome, _ request: Request) -> Result<String, Refusal> {
        guard retries > 0, let reason = conditions.reason(for: outcome, codes: retriableStatusCodes) else {
            return .failure(.notRetriable)
        }
        guard request.complete else { return .failure(.bodyIncomplete) }
        guard request.replayable else { return .failure(.bodyTooLarge) }
        guard request.idempotent || retryNonIdempotent || outcome.nothingReachedApp else { return .failure(.notIdempotent) }
        guard request.retries < retries else { return .failure(.attemptsExhausted) }
        guard !request.deadlinePassed else { return .failure(.deadlinePassed) }
        return .success(reason)
    }
}

extension RetryState.Refusal: Error {}
