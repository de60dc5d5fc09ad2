/// One process a supervisor started (or meant to start): its name, pid, log and fate.
public struct ProcessRecord: Codable, Sendable, Equatable {
    /// What the process is.
    public enum Role: String, Codable, Sendable, Equatable {
        case control, app, sidecar, ingress, prometheus
    }

    /// `control`, `ingress`, `reviews-v1-0.app`, `reviews-v1-0.sidecar`: also its log's name.
    public var name: String
    public var role: Role
    /// The instance it belongs to (apps and sidecars).
    public var instance: String?
    /// Its pid once started.
    public var pid: Int32?
    /// When that pid started (`Posix.startTime`): a pid reused later has another.
    public var startTime: UInt64?
    /// Its log file (standard output and error), an absolute path.
    public var log: String
    /// Whether it passed its readiness gate.
    public var ready: Bool
    /// How it ended, e.g. `exited with status 1` (nil while it runs or before it starts).
    public var exit: String?

    public init(
        name: String, role: Role, instance: String? = nil, pid: Int32? = nil, log: String, ready: Bool = false, exit: String? = nil,
        startTime: UInt64? = nil
    ) {
        self.name = name
        self.role = role
        self.instance = instance
        self.pid = pid
        self.startTime = startTime
        self.log = log
        self.ready = ready
        self.exit = exit
    }
}
