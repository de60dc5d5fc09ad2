import MeshCore
import MeshYAML

/// When and how often a caller's sidecar retries a failed request (`retries:` of a policy),
/// with Istio's names (`attempts`, `perTryTimeout`, `retryOn`) and Envoy's conditions.
public struct RetryPolicy: Sendable, Equatable {
    /// A failure that may be retried (`retryOn` entries, Envoy's `retry_on` names).
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
        /// A status listed in `retriableStatusCodes`.
        case retriableStatusCodes = "retriable-status-codes"
    }

    /// `attempts`: retries after the first try (0 disables retries); required.
    public let attempts: Int
    /// `perTryTimeout`: the limit of each try; `nil` (the default) leaves only the policy's `timeout`.
    public let perTryTimeout: Duration?
    /// `retryOn`: which failures are retried, in the order written; by default
    /// `5xx, gateway-error, connect-failure, reset` (SPEC §3's example).
    public let retryOn: [Condition]
    /// `retriableStatusCodes`: the statuses (400–599) `retriable-status-codes` retries, in
    /// the order written; required (non-empty) with that condition and refused without it.
    public let retriableStatusCodes: [Int]
    /// `retryNonIdempotent` (a meshbed extension): whether requests whose method is not
    /// idempotent (POST, PATCH, CONNECT) are retried too; default `false`.
    public let retryNonIdempotent: Bool

    public static let defaultRetryOn: [Condition] = [.serverError, .gatewayError, .connectFailure, .reset]

    public init(
        attempts: Int, perTryTimeout: Duration? = nil, retryOn: [Condition] = defaultRetryOn,
        retriableStatusCodes: [Int] = [], retryNonIdempotent: Bool = false
    ) {
        self.attempts = attempts
        self.perTryTimeout = perTryTimeout
        self.retryOn = retryOn
        self.retriableStatusCodes = retriableStatusCodes
        self.retryNonIdempotent = retryNonIdempotent
    }

    static let keys = ["attempts", "perTryTimeout", "retryOn", "retriableStatusCodes", "retryNonIdempotent"]

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
        var retryOnComplete = true
        if let value = fields["retryOn"] {
            retryOn = []
            if let items = ValueReader.list(value, key: "retryOn", expected: "a list of conditions", log: &log) {
                for item in items {
                    guard let condition = ValueReader.choice(item, key: "retryOn", as: Condition.self, log: &log) else {
                        valid = false
                        retryOnComplete = false
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
                retryOnComplete = false
            }
        }
        var retriableStatusCodes: [Int] = []
        if let value = fields["retriableStatusCodes"], let key = fields.keyNode("retriableStatusCodes") {
            if let codes = readStatusCodes(value, log: &log) {
                retriableStatusCodes = codes
                // Only a complete retryOn tells whether the codes are used.
                if retryOnComplete, !retryOn.contains(.retriableStatusCodes) {
                    log.error("retriableStatusCodes: used only with 'retriable-status-codes' in retryOn; add it there or remove this list", at: key.mark)
                    valid = false
                } else if codes.isEmpty, retryOn.contains(.retriableStatusCodes) {
                    log.error("retriableStatusCodes: expected at least one status for 'retriable-status-codes' in retryOn", at: key.mark)
                    valid = false
                }
            } else {
                valid = false
            }
        } else if retryOn.contains(.retriableStatusCodes), let key = fields.keyNode("retryOn") {
            log.error("retryOn: 'retriable-status-codes' needs a 'retriableStatusCodes' list beside it (e.g. [503])", at: key.mark)
            valid = false
        }
        var retryNonIdempotent = false
        if let value = fields["retryNonIdempotent"] {
            if let read = value.bool {
                retryNonIdempotent = read
            } else {
                ValueReader.fail("retryNonIdempotent", expected: "true or false", node: value, log: &log)
                valid = false
            }
        }
        guard valid else { return nil }
        return RetryPolicy(
            attempts: attempts, perTryTimeout: perTryTimeout, retryOn: retryOn,
            retriableStatusCodes: retriableStatusCodes, retryNonIdempotent: retryNonIdempotent)
    }

    /// Reads `retriableStatusCodes`: a list of statuses 400–599, each once.
    static func readStatusCodes(_ node: YAMLNode, log: inout DiagnosticLog) -> [Int]? {
        guard let items = ValueReader.list(node, key: "retriableStatusCodes", expected: "a list of HTTP statuses", log: &log) else {
            return nil
        }
        var codes: [Int] = []
        var valid = true
        for item in items {
            guard let code = ValueReader.integer(item, key: "retriableStatusCodes", in: 400...599, expected: "an HTTP status 400–599", log: &log) else {
                valid = false
                continue
            }
            if codes.contains(code) {
                log.error("retriableStatusCodes: \(code) is listed twice", at: item.mark)
                valid = false
                continue
            }
            codes.append(code)
        }
        return valid ? codes : nil
    }
}
