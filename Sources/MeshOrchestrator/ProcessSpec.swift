import MeshIO

/// One process of a launch plan: how to start it, what to record about it, and the probe
/// that tells when it is ready.
public struct ProcessSpec: Sendable, Equatable {
    /// Its name, role, instance and log (the pid is filled in once started).
    public var record: ProcessRecord
    /// Program, arguments, whole environment, log file.
    public var request: SpawnRequest
    /// Passes once the process is ready.
    public var probe: ReadinessProbe

    public init(record: ProcessRecord, request: SpawnRequest, probe: ReadinessProbe) {
        self.record = record
        self.request = request
        self.probe = probe
    }
}
