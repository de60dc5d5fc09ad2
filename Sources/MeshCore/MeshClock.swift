/// A monotonic time source in nanoseconds, so time-dependent code can take its time from a
/// clock a test advances by hand (`ManualClock`) instead of the real one. Code on an event
/// loop reads real time from the loop (`EventLoop.now`, CLOCK_MONOTONIC, which its timers
/// use too) when no clock is injected: see `ControlConfiguration.clock`.
///
/// Readings never decrease. Their origin is arbitrary: only differences between readings
/// of the same clock are meaningful.
public protocol MeshClock: Sendable {
    /// The current reading, in nanoseconds since the clock's origin.
    func now() -> UInt64
}
