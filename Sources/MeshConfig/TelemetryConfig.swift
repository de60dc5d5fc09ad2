/// What sidecars report besides their metrics, as a snapshot carries it (the topology's
/// `mesh.accessLog` and `mesh.tracing`). Absent from a snapshot: every default.
public struct TelemetryConfig: Codable, Sendable, Equatable {
    /// One JSON line per finished request in each sidecar's log (default on).
    public var accessLog: Bool
    /// The share of new traces whose spans are recorded, percent 0–100 (default 100). A
    /// request that arrives with a `traceparent` follows its caller's sampled flag.
    public var tracingSampling: Double

    public init(accessLog: Bool = true, tracingSampling: Double = 100) {
        self.accessLog = accessLog
        self.tracingSampling = tracingSampling
    }

    /// Access log on, every trace recorded.
    public static let `default` = TelemetryConfig()
}
