/// How one attempt to an endpoint ended, as outlier detection counts it (Envoy's
/// `putHttpResponseCode` and `putResult` with local-origin errors not split out, its default:
/// a connect failure, reset or timeout counts as the 503 or 504 Envoy would answer).
public enum EndpointOutcome: Sendable, Equatable {
    /// A response below 500: it ends both consecutive-error streaks.
    case success
    /// A 5xx response other than 502, 503 and 504: counts towards `consecutive5xxErrors`
    /// and ends the gateway-error streak.
    case serverError
    /// A 502, 503 or 504 response: counts towards both streaks.
    case gatewayError
    /// The connection to the endpoint could not be made: counts towards both streaks.
    case connectFailure
    /// The connection was reset before a complete response: counts towards both streaks.
    case reset
    /// No response within the per-try timeout: counts towards both streaks.
    case timeout

    /// The outcome of a response with status `status`.
    public init(status: Int) {
        switch status {
        case 502, 503, 504: self = .gatewayError
        case 500...599: self = .serverError
        default: self = .success
        }
    }

    /// Whether this outcome counts towards `consecutive5xxErrors`.
    public var isServerError: Bool { self != .success }

    /// Whether this outcome counts towards `consecutiveGatewayErrors`.
    public var isGatewayError: Bool { self != .success && self != .serverError }
}
