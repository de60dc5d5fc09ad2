/// What sidecars report besides their metrics, as a snapshot carries it (the topology's
/// `mesh.accessLog`). Absent from a snapshot: every default.
public struct TelemetryConfig: Codable, Sendable, Equatable {
    /// One JSON line per finished request in each sidecar's log (default on).
    public var accessLog: Bool

    public init(accessLog: Bool = true) {
        self.accessLog = accessLog
    }

    /// Access log on.
    public static let `default` = TelemetryConfig()
}
