/// Why a request ended the way it did, in Envoy's `response_flags` short codes, so a
/// reader who knows Envoy's access log knows these at sight. Several may be set.
struct ResponseFlags: OptionSet, Sendable {
    let rawValue: UInt16

    /// UH: no healthy endpoint to send the request to.
    static let noHealthyUpstream = ResponseFlags(rawValue: 1 << 0)
    /// UF: the upstream connection could not be opened (refused, connect timeout).
    static let upstreamConnectionFailure = ResponseFlags(rawValue: 1 << 1)
    /// UO: a circuit-breaker limit was reached (pool overflow).
    static let upstreamOverflow = ResponseFlags(rawValue: 1 << 2)
    /// NR: no route matched, or no such service.
    static let noRoute = ResponseFlags(rawValue: 1 << 3)
    /// URX: the request was retried as many times as allowed (or the budget ran out).
    static let retryLimitExceeded = ResponseFlags(rawValue: 1 << 4)
    /// UT: the whole request took longer than its timeout.
    static let upstreamRequestTimeout = ResponseFlags(rawValue: 1 << 5)
    /// UC: the upstream connection ended before the response did.
    static let upstreamConnectionTermination = ResponseFlags(rawValue: 1 << 6)
    /// UPE: the upstream sent something that is not HTTP/1.1.
    static let upstreamProtocolError = ResponseFlags(rawValue: 1 << 7)
    /// DC: the downstream (caller) went away first.
    static let downstreamConnectionTermination = ResponseFlags(rawValue: 1 << 8)
    /// RBT (meshbed): the request body stopped arriving (Envoy answers 408 here too).
    static let requestBodyTimeout = ResponseFlags(rawValue: 1 << 9)
    /// UPT (meshbed): an attempt exceeded its per-try timeout (it may have been retried).
    static let perTryTimeout = ResponseFlags(rawValue: 1 << 10)
    /// RBAC: the destination's authorization denied the caller (403).
    static let rbacDenied = ResponseFlags(rawValue: 1 << 11)
    /// DI: an injected fault delayed the request.
    static let faultDelay = ResponseFlags(rawValue: 1 << 12)
    /// FI: an injected fault answered the request (abort).
    static let faultAbort = ResponseFlags(rawValue: 1 << 13)

    private static let codes: [(ResponseFlags, String)] = [
        (.noHealthyUpstream, "UH"), (.upstreamConnectionFailure, "UF"), (.upstreamOverflow, "UO"), (.noRoute, "NR"),
        (.retryLimitExceeded, "URX"), (.upstreamRequestTimeout, "UT"), (.upstreamConnectionTermination, "UC"),
        (.upstreamProtocolError, "UPE"), (.downstreamConnectionTermination, "DC"), (.requestBodyTimeout, "RBT"),
        (.perTryTimeout, "UPT"), (.rbacDenied, "RBAC"), (.faultDelay, "DI"), (.faultAbort, "FI"),
    ]

    /// The codes joined by commas, as Envoy prints them ("-" when none).
    var codeText: String {
        guard !isEmpty else { return "-" }
        return Self.codes.filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}
