import Synchronization

/// A clock that only moves when told to, for deterministic tests of timeouts and rates.
///
/// Safe to share between threads: readings and advances are atomic.
public final class ManualClock: MeshClock {
    private let nanoseconds: Atomic<UInt64>

    /// Creates a clock that reads `nanoseconds` until advanced.
    public init(nanoseconds: UInt64 = 0) {
        self.nanoseconds = Atomic(nanoseconds)
    }

    public func now() -> UInt64 {
        nanoseconds.load(ordering: .acquiring)
    }

    /// Moves the clock forward by `delta` nanoseconds. Traps if the reading would overflow.
    public func advance(by delta: UInt64) {
        var current = nanoseconds.load(ordering: .relaxed)
        while true {
            let (next, overflow) = current.addingReportingOverflow(delta)
            precondition(!overflow, "ManualClock advanced past UInt64.max nanoseconds")
            let (exchanged, original) = nanoseconds.compareExchange(
                expected: current, desired: next, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }

    /// Moves the clock forward by `duration` (truncated to whole nanoseconds), which must
    /// not be negative.
    public func advance(by duration: Duration) {
        let delta = duration.meshbedNanoseconds
        precondition(delta >= 0, "ManualClock cannot go backwards")
        advance(by: UInt64(delta))
    }
}
