/// One active fault as snapshots carry it to sidecars and the control plane's fault API
/// lists it (SPEC §6): the topology's fault keys, durations as meshbed duration text, plus
/// the `id` the control plane gave it. Sidecars apply the request-level kinds (`delay`,
/// `abort`) and the link kinds; `FaultRule` and `LinkToxics` (MeshProxy) compile them for
/// the data path.
public struct FaultConfig: Codable, Sendable, Equatable {
    /// How a `delay` is drawn.
    public struct Delay: Codable, Sendable, Equatable {
        /// `fixed`, `uniform`, `normal` or `pareto`.
        public var distribution: String
        /// `fixed`: the delay.
        public var value: String?
        /// `uniform`: the bounds.
        public var min: String?
        public var max: String?
        /// `normal`: mean and standard deviation.
        public var mean: String?
        public var stddev: String?
        /// `pareto`: the minimum and the tail index.
        public var scale: String?
        public var shape: Double?

        public init(
            distribution: String, value: String? = nil, min: String? = nil, max: String? = nil, mean: String? = nil, stddev: String? = nil,
            scale: String? = nil, shape: Double? = nil
        ) {
            self.distribution = distribution
            self.value = value
            self.min = min
            self.max = max
            self.mean = mean
            self.stddev = stddev
            self.scale = scale
            self.shape = shape
        }
    }

    /// Given by the control plane (`f1`, `f2`, … in the order faults were added).
    public var id: String
    /// The name it was added under through the Toxiproxy API (a toxic's `name`), if any.
    public var name: String?
    /// The fault's kind (`delay`, `abort`, …).
    public var kind: String
    /// The destination service.
    public var to: String?
    /// Only requests from this service (or `ingress`); nil: every caller.
    public var from: String?
    /// Only requests routed to this version of `to`.
    public var version: String?
    /// `client` or `server`: which sidecar applies it.
    public var side: String?
    /// Only requests with these exact header values (lower-case names).
    public var headers: [String: String]?
    /// Trigger: a percentage of matching requests…
    public var percent: Double?
    /// …or only the matching requests numbered `requests[0]...requests[1]` (from 1)…
    public var requests: [Int]?
    /// …or only the first `first` matching requests.
    public var first: Int?
    /// `delay`: how long.
    public var delay: Delay?
    /// `abort`: the status, an optional body and response headers.
    public var status: Int?
    public var body: String?
    public var responseHeaders: [String: String]?
    /// Link faults: `upstream`, `downstream` or `both`, and the chance per connection (0–1).
    public var direction: String?
    public var toxicity: Double?
    /// `latency`: the delay and its jitter (duration text).
    public var latency: String?
    public var jitter: String?
    /// `bandwidth`: bytes per second.
    public var rate: Int?
    /// `reset`: after this many bytes.
    public var after: Int?
    /// `reset`: this long after the first byte; `blackhole`: closes the connection this long
    /// after it started (duration text).
    public var timeout: String?
    /// `slicer`: slice size and its variation, in bytes (and `delay` between slices).
    public var averageSize: Int?
    public var sizeVariation: Int?
    /// `limitData`: the bytes let through.
    public var bytes: Int?
    /// The fault clears itself this long after it was added (duration text).
    public var duration: String?
    /// The YAML flow form it was added with (`{kind: abort, to: ratings, status: 503}`), for lists.
    public var spec: String?

    public init(id: String, kind: String) {
        self.id = id
        self.kind = kind
    }
}
