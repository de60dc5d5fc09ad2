// MeshCore: abstractions meshbed modules share, with no I/O.
//
// - `Duration(meshbed:)` / `Duration.meshbedDescription`: the `250ms`, `1.5s`, `24h`
//   duration syntax used on the command line and in reports.
// - `SeededRandom`: a deterministic, seedable random number generator (xoshiro256**).
// - `MeshClock`, `ManualClock`: monotonic nanosecond time that tests can drive by hand.
//
// MeshCore uses the Swift standard library (and `Synchronization`) only: no Foundation,
// no Glibc, no system calls beyond what the standard library's clocks make.
