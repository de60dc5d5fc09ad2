import MeshCore
import MeshHTTPIO
import MeshNetwork

/// Settings of a control plane. Times are in nanoseconds, like `HTTPServerConfiguration`'s.
public struct ControlConfiguration: Sendable {
    /// How long `GET /v1/snapshot` holds a poll with no newer version before answering 204.
    public var holdTime: UInt64
    /// An instance whose last heartbeat is older than this becomes unhealthy.
    public var heartbeatTimeout: UInt64
    /// How often heartbeat ages are checked.
    public var expiryInterval: UInt64
    /// How long a Toxiproxy API change waits for every live sidecar to apply it before the
    /// answer is a 504.
    public var applyTimeout: UInt64 = 10_000_000_000
    /// The largest request body accepted; bigger ones get 413.
    public var maxBodyBytes: Int
    /// The HTTP server's own settings (timeouts, parser limits).
    public var server: HTTPServerConfiguration
    /// Where heartbeat times and ages are read (a `ManualClock` in tests); nil: the event
    /// loop's monotonic clock. The expiry check still runs every `expiryInterval` of real time.
    public var clock: (any MeshClock)?
    /// The CA that signs sidecars' certificates (`POST /v1/certificates`); nil when the
    /// topology's mTLS is disabled.
    public var certificateAuthority: CertificateAuthority?
    /// Where the spans received (`POST /v1/spans`) are pushed as OTLP/HTTP JSON; nil: kept
    /// in memory only (`GET /v1/traces`).
    public var otlpEndpoint: OTLPEndpoint?
    /// The most traces and spans kept in memory (the oldest traces go first).
    /// The network of a `--runtime netns` topology: partitions and packet loss are then
    /// enforced as packet filters in its namespaces (`NetworkFaultFilter`), not by the
    /// sidecars; nil: every fault is the sidecars' (and `loss` is refused).
    public var network: NetnsPlan?
    public var maxTraces = 2_000
    public var maxSpans = 100_000

    /// The defaults of the protocol (see `MeshConfig`): 20 s hold, 3 s heartbeat timeout
    /// checked every 500 ms, 64 KiB bodies.
    public init(
        holdTime: UInt64 = 20_000_000_000, heartbeatTimeout: UInt64 = 3_000_000_000,
        expiryInterval: UInt64 = 500_000_000, maxBodyBytes: Int = 64 * 1024,
        server: HTTPServerConfiguration = HTTPServerConfiguration()
    ) {
        self.holdTime = holdTime
        self.heartbeatTimeout = heartbeatTimeout
        self.expiryInterval = expiryInterval
        self.maxBodyBytes = maxBodyBytes
        self.server = server
    }
}
