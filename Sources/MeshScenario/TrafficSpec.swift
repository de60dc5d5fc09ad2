/// A `traffic` step: requests to a service, entering at the ingress or leaving a named
/// service through its sidecar (so the source identity is real), or (`from: outside`) sent
/// by a client outside the mesh straight to an instance's sidecar inbound port, in plaintext
/// and without a certificate: what `mtls: strict` refuses and `permissive` lets in.
public struct TrafficSpec: Sendable, Equatable {
    /// The destination service (the `Host` header).
    public var to: String
    /// The calling service, `outside` (no sidecar, no certificate), or nil for the ingress.
    public var from: String?

    /// `from: outside`: a client outside the mesh.
    public static let outside = "outside"
    /// How many requests (`requests`), unless `duration` is set; 100 when neither is.
    public var requests: Int?
    /// How long to send, in nanoseconds (`duration`).
    public var duration: UInt64?
    /// Open loop at this many requests per second (`rate`); nil: closed loop.
    public var rate: Double?
    /// Connections (`concurrency`, default 4).
    public var concurrency: Int
    public var path: String
    public var method: String
    public var headers: [(name: String, value: String)]
    public var body: String?
    /// A request with no answer after this many nanoseconds fails as a timeout (`timeout`, default 5s).
    public var timeout: UInt64 = 5_000_000_000

    /// The request count when neither `requests` nor `duration` is given.
    public static let defaultRequests = 100

    public init(
        to: String, from: String? = nil, requests: Int? = nil, duration: UInt64? = nil, rate: Double? = nil, concurrency: Int = 4,
        path: String = "/", method: String = "GET", headers: [(name: String, value: String)] = [], body: String? = nil
    ) {
        self.to = to
        self.from = from
        self.requests = requests
        self.duration = duration
        self.rate = rate
        self.concurrency = concurrency
        self.path = path
        self.method = method
        self.headers = headers
        self.body = body
    }

    public static func == (a: TrafficSpec, b: TrafficSpec) -> Bool {
        a.to == b.to && a.from == b.from && a.requests == b.requests && a.duration == b.duration && a.rate == b.rate
            && a.concurrency == b.concurrency && a.path == b.path && a.method == b.method && a.body == b.body && a.timeout == b.timeout
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// `200 requests to reviews from the ingress`, `5s at 100 req/s to ratings from reviews`.
    public var summary: String {
        var text: String
        if let duration {
            text = Comparison.duration(Double(duration))
        } else {
            text = "\(requests ?? Self.defaultRequests) requests"
        }
        if let rate { text += " at \(Comparison.number(rate)) req/s" }
        let source = from == Self.outside ? "outside the mesh (plaintext)" : from ?? "the ingress"
        return text + " to \(to) from \(source)"
    }
}
