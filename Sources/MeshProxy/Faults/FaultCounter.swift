import Synchronization

/// How often one fault matched a request and how often it acted, shared by every loop of
/// a sidecar and kept across snapshots for as long as the fault is in force (so a
/// `requests: "3-5"` trigger counts on through endpoint changes).
final class FaultCounter: Sendable {
    /// Requests in the fault's scope (destination, source, version, headers).
    let matched = Atomic<Int>(0)
    /// Requests it delayed or aborted.
    let injected = Atomic<Int>(0)

    init() {}
}
