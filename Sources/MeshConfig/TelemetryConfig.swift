/// What sidecars report besides their metrics, as a snapshot carries it (the topology's
/// `mesh.accessLog` and `mesh.tracing`). Absent from a snapshot: every default.
public struct TelemetryConfig: Codable, Sendable, Equatable {
    /// One JSON line per finished request in each sidecar's log (default on).
    public var accessLog: Bool
    /// The share of new traces whose spans are recorded, percent 0–100 (default 100). A
    /// request that arrives with a `traceparent` follows its caller's sampled flag.
    public var tracingSampling: Double
    /// The most new traces one sidecar loop records per second (a token bucket of that many,
    /// refilled at that rate), default 100: under load, recording every request would cost
    /// the sidecars and the control plane more than the traffic itself.
    public var maxTracesPerSecond: Int

    public init(accessLog: Bool = true, tracingSampling: Double = 100, maxTracesPerSecond: Int = 100) {
        self.accessLog = accessLog
        self.tracingSampling = tracingSampling
        self.maxTracesPerSecond = maxTracesPerSecond
    }

    /// Access log on, every trace recorded up to 100 new ones a second.
    public static let `default` = TelemetryConfig()
}
