/// What the toxics of one `ToxicStream` did, for the admin stats (sum them over streams).
public struct ToxicCounters: Sendable, Equatable {
    /// Bytes that went through a stage that holds them (latency, bandwidth, slicer), counted
    /// once per such stage they went through.
    public var bytesDelayed: UInt64 = 0
    /// Bytes swallowed by a blackhole, or cut off by a reset or a data limit.
    public var bytesDropped: UInt64 = 0
    /// Connections reset by a `reset` toxic (0 or 1 for one stream).
    public var connectionsReset: UInt64 = 0
    /// Connections closed by a toxic: a blackhole's time or a data limit (0 or 1 for one stream).
    public var connectionsClosed: UInt64 = 0

    /// All zero.
    public init() {}
}
