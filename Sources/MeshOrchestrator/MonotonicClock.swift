import MeshCore
import MeshIO

/// The real `MeshClock`: CLOCK_MONOTONIC, in nanoseconds.
struct MonotonicClock: MeshClock {
    func now() -> UInt64 { Posix.monotonicNanoseconds() }
}
