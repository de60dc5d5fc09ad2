/// How one upstream attempt ended, before its response (if any) reached the caller: what
/// retry conditions, passive health and (later) outlier detection and metrics look at.
enum AttemptOutcome: Equatable, Sendable {
    /// A response head arrived with this status.
    case response(status: Int)
    /// The endpoint's sidecar answered that its app refused the connection (a 503) or reset a
    /// new one (a 502): the request did not reach an app.
    case appUnreachable(status: Int)
    /// The connection could not be opened (refused, unreachable).
    case connectFailure
    /// The connection was not open within the connect timeout.
    case connectTimeout
    /// The connection closed or reset before a response head.
    case reset
    /// No response head within the per-try timeout.
    case perTryTimeout
    /// The upstream sent a response that is not valid HTTP/1.1.
    case protocolError
    /// The request ended while the attempt was in flight: its route timeout passed
    /// (`timedOut`), or the caller left or stalled its body (the endpoint's part is unknown).
    case abandoned(timedOut: Bool)

    /// Whether nothing of the request can have reached an application, so even a
    /// non-idempotent request may go elsewhere.
    var nothingReachedApp: Bool {
        switch self {
        case .connectFailure, .connectTimeout, .appUnreachable: true
        default: false
        }
    }

    /// Whether the endpoint itself looks gone (passive health marks it).
    var endpointUnreachable: Bool {
        switch self {
        case .connectFailure, .connectTimeout, .appUnreachable: true
        default: false
        }
    }

    /// A short text for the decision record: the status, or what happened.
    var text: String {
        switch self {
        case .response(let status): String(status)
        case .appUnreachable(let status): "\(status) app-unreachable"
        case .connectFailure: "connect-failure"
        case .connectTimeout: "connect-timeout"
        case .reset: "reset"
        case .perTryTimeout: "per-try-timeout"
        case .protocolError: "protocol-error"
        case .abandoned(let timedOut): timedOut ? "request-timeout" : "abandoned"
        }
    }
}
