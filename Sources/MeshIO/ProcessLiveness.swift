/// Whether a process id names a live process, from `/proc/PID/stat`.
///
/// A zombie has ended (only its exit status waits to be collected), so every caller that
/// asks "is it still running?" treats it like `gone`: a dead child of a dead supervisor may
/// stay a zombie for good under an init that does not reap.
public enum ProcessLiveness: Sendable, Equatable {
    /// Running, sleeping or stopped: it can still do something.
    case running
    /// Ended, not yet reaped by its parent.
    case zombie
    /// No such process.
    case gone

    /// Whether the process can still run (neither a zombie nor gone).
    public var isAlive: Bool { self == .running }
}
