import Synchronization

/// What the toxics of many `ToxicStream`s did, added up as they do it (relaxed atomics), for
/// an owner that reads them from another thread (a sidecar's admin `/stats`): streams given
/// the same totals add to them besides their own `ToxicCounters`.
public final class ToxicTotals: Sendable {
    /// As `ToxicCounters.bytesDelayed`, summed.
    public let bytesDelayed = Atomic<UInt64>(0)
    /// As `ToxicCounters.bytesDropped`, summed.
    public let bytesDropped = Atomic<UInt64>(0)
    /// As `ToxicCounters.connectionsReset`, summed.
    public let connectionsReset = Atomic<UInt64>(0)
    /// As `ToxicCounters.connectionsClosed`, summed.
    public let connectionsClosed = Atomic<UInt64>(0)

    public init() {}
}
