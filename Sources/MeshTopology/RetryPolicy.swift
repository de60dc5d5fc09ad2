import MeshCore
import MeshYAML

/// When and how often a caller's sidecar retries a failed request (`retries:` of a policy).
public struct RetryPolicy: Sendable, Equatable {
    /// A failure that may be retried (`retryOn` entries).
    public enum Condition: String, Sendable, Equatable, Hashable, CaseIterable {
        /// Any 5xx response, or no response (reset, timeout, connect failure).
        case serverError = "5xx"
        /// 502, 503 or 504.
        case gatewayError = "gateway-error"
        /// The connection could not be opened.
        case connectFailure = "connect-failure"
        /// The connection was reset before a response.
        case reset
        /// 409 Conflict.
        case retriable4xx = "retriable-4xx"
    }

    /// `attempts`: retries after the first try (0 disables retries).
    public let attempts: Int
    /// `perTryTimeout`: the limit of each try; `nil` leaves only the policy's `timeout`.
    public let perTryTimeout: Duration?
    /// `retryOn`: which failures are retried, in the order written; by default
    /// `5xx, gateway-error, connect-failure, reset` (SPEC §3's example).
    public let retryOn: [Condition]

    public static let defaultRetryOn: [Condition] = [.serverError, .gatewayError, .connectFailure, .reset]

    public init(attempts: Int, perTryTimeout: Duration? = nil, retryOn: [Condition] = defaultRetryOn) {
        self.attempts = attempts
        self.perTryTimeout = perTryTimeout
        self.retryOn = retryOn
    }

    static let keys = ["attempts", "perTryTimeout", "retryOn"]

    /// Reads `retries:` (`context` names the policy).
    static func read(_ node: YAMLNode, context: String, log: inout DiagnosticLog) -> RetryPolicy? {
        guard let fields = MappingReader(node, key: "retries", context: "in retries \(context)", allowed: keys, log: &log) else {
            return nil
        }
        var valid = true
        var attempts = 0
        if let value = fields.required("attempts", log: &log) {
            if let read = ValueReader.integer(value, key: "attempts", in: 0...Int.max, expected: "an integer ≥ 0", log: &log) {
                attempts = read
            } else {
                valid = false
            }
        } else {
            valid = false
        }
        var perTryTimeout: Duration?
        if let value = fields["perTryTimeout"] {
            perTryTimeout = ValueReader.duration(value, key: "perTryTimeout", minimum: .nanoseconds(1), log: &log)
            valid = valid && perTryTimeout != nil
        }
        var retryOn = defaultRetryOn
        if let value = fields["retryOn"] {
            retryOn = []
            if let items = ValueReader.list(value, key: "retryOn", expected: "a list of conditions", log: &log) {
                for item in items {
                    guard let condition = ValueReader.choice(item, key: "retryOn", as: Condition.self, log: &log) else {
                        valid = false
                        continue
                    }
                    if retryOn.contains(condition) {
                        log.error("retryOn: '\(condition.rawValue)' is listed twice", at: item.mark)
                        valid = false
                        continue
                    }
                    retryOn.append(condition)
                }
            } else {
                valid = false
            }
        }
        return valid ? RetryPolicy(attempts: attempts, perTryTimeout: perTryTimeout, retryOn: retryOn) : nil
    }
}
