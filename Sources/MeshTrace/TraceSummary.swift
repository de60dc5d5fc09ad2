/// One trace in a list (`GET /v1/traces`): its root span's request and how it ended, how
/// many spans it has, when it started and how long it took (first start to last end).
public struct TraceSummary: Codable, Sendable, Equatable {
    public var traceId: String
    /// The root span's service (`ingress` for a request from outside) and peer.
    public var service: String
    public var peer: String
    public var method: String
    public var path: String
    /// The root span's status (0: no response).
    public var status: Int
    public var spans: Int
    public var startUnixNano: UInt64
    public var durationNanos: UInt64

    public init(traceId: String, service: String, peer: String, method: String, path: String, status: Int, spans: Int,
                startUnixNano: UInt64, durationNanos: UInt64) {
        self.traceId = traceId
        self.service = service
        self.peer = peer
        self.method = method
        self.path = path
        self.status = status
        self.spans = spans
        self.startUnixNano = startUnixNano
        self.durationNanos = durationNanos
    }

    /// The summary of a trace's spans (at least one): the root is the earliest span with no
    /// parent in the trace (a span whose parent never arrived when none is a true root).
    public init(spans: [Span]) {
        precondition(!spans.isEmpty, "TraceSummary: a trace has at least one span")
        let ids = Set(spans.map(\.spanId))
        func earliest(_ candidates: [Span]) -> Span? { candidates.min { $0.startUnixNano < $1.startUnixNano } }
        let root = earliest(spans.filter { $0.parentSpanId == nil })
            ?? earliest(spans.filter { !ids.contains($0.parentSpanId ?? "") }) ?? earliest(spans)!
        let start = spans.map(\.startUnixNano).min()!
        let end = spans.map(\.endUnixNano).max()!
        self.init(traceId: root.traceId, service: root.service, peer: root.peer, method: root.method, path: root.path,
                  status: root.status, spans: spans.count, startUnixNano: start, durationNanos: end - start)
    }
}
