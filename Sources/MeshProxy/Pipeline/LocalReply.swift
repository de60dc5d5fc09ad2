/// An answer the proxy gives itself instead of forwarding one (a filter stopped the request,
/// or no attempt could be completed): a status, a one-line message for the JSON body, and
/// the response flags that say why.
struct LocalReply {
    var status: Int
    var message: String
    var flags: ResponseFlags
    /// The `x-meshbed-proxy` line that marks it (an inbound sidecar marks app-unreachable
    /// answers so the caller's sidecar may go elsewhere).
    var marker: [UInt8] = ProxyHeaders.generatedByProxy
    /// A body of its own (an injected abort's), sent as text instead of the JSON error.
    var body: [UInt8]? = nil
    /// Extra response header lines (`name: value\r\n`; an injected abort's).
    var headerLines: [UInt8] = []
}

/// What a filter tells the pipeline: go on to the next filter, or answer now, or (an
/// attempt only) wait: the filter has parked the exchange and resumes it later
/// (`ProxyExchange.resumeFromPool`), as a request waits for a connection from a full pool.
enum FilterVerdict {
    case proceed
    case stop(LocalReply)
    case park
}
