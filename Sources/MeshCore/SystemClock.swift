/// The instant `SystemClock` readings count from: the first time any `SystemClock` is read
/// in this process. Captured once, thread-safely, by the global's lazy initialization.
private let systemClockOrigin = ContinuousClock.now

/// Real monotonic time from the standard library's `ContinuousClock` (which keeps counting
/// while the machine sleeps), as nanoseconds since a process-wide origin.
///
/// The origin is the first reading in the process, so early readings are small (the very
/// first is 0); all `SystemClock` values share it and can be compared and subtracted.
public struct SystemClock: MeshClock {
    /// Creates a system clock; all instances read the same time.
    public init() {}

    public func now() -> UInt64 {
        // Read the origin first: its lazy initialization must happen before `.now` is taken.
        let origin = systemClockOrigin
        let elapsed = ContinuousClock.now - origin
        let nanoseconds = elapsed.meshbedNanoseconds
        return nanoseconds > 0 ? UInt64(nanoseconds) : 0
    }
}
