/// A monotonic time source in nanoseconds, so time-dependent code can run on real time
/// (`SystemClock`) or on time a test advances by hand (`ManualClock`).
///
/// Readings never decrease. Their origin is arbitrary: only differences between readings
/// of the same clock are meaningful.
public protocol MeshClock: Sendable {
    /// The current reading, in nanoseconds since the clock's origin.
    func now() -> UInt64
}
