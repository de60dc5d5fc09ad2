import MeshConfig
import MeshCore

/// Waits until every live sidecar of a topology has applied a snapshot version (or a later
/// one), as the control plane's `GET /v1/instances` reports their acknowledgements.
///
/// The sidecars waited for are the instances the control plane counts healthy (heartbeat
/// fresh, app ready) and the ingress gateway: a sidecar that died or was paused stops
/// heartbeating, leaves that set within the heartbeat timeout and is not waited for; one
/// that rejected the version (it could not apply it) ends the wait with an error naming it.
///
/// The clock, the pause between polls and the poll itself are parameters, so the timing is
/// tested with a `ManualClock` and scripted answers.
public enum AcknowledgementWait {
    /// Where a version stands among the sidecars at one poll.
    public enum Progress: Sendable, Equatable {
        /// Every live sidecar applied it (or a later version); how many they are.
        case applied(sidecars: Int)
        /// These live sidecars (instance ids, sorted) have not applied it yet.
        case waiting(for: [String], of: Int)
        /// A sidecar rejected it (or a later version): its instance id and its reason.
        case rejected(instance: String, reason: String)
    }

    /// The pause after poll `count` (0-based), in nanoseconds: 2 ms for the first 50 ms,
    /// then 10 ms. A change usually lands within 10 ms: the short pauses keep the time
    /// reported within 2 ms of it (a poll costs the control plane well under a millisecond).
    public static func pause(afterPoll count: Int) -> UInt64 {
        count < 25 ? 2_000_000 : 10_000_000
    }

    /// Where `version` stands according to `statuses` (the body of `GET /v1/instances`).
    public static func progress(_ statuses: [InstanceStatus], version: Int) -> Progress {
        let live = statuses.filter(\.healthy)
        if let rejecting = live.first(where: { ($0.rejected?.version ?? -1) >= version && ($0.ackedVersion ?? 0) < version }) {
            return .rejected(instance: rejecting.instance, reason: rejecting.rejected?.error ?? "no reason given")
        }
        let waiting = live.filter { ($0.ackedVersion ?? 0) < version }.map(\.instance).sorted()
        return waiting.isEmpty ? .applied(sidecars: live.count) : .waiting(for: waiting, of: live.count)
    }

    /// Polls `fetch` (nil: the control plane did not answer) until every live sidecar
    /// applied `version`, a sidecar rejected it, or `timeout` nanoseconds passed on `clock`;
    /// `pause` waits between polls. Returns how many sidecars applied it, or an error (exit
    /// status 1) that names the sidecars still behind or the one that rejected it.
    public static func wait(
        version: Int, timeout: UInt64, clock: any MeshClock, pause: (UInt64) -> Void, fetch: () -> [InstanceStatus]?
    ) -> Result<Int, OrchestratorError> {
        let deadline = clock.now() &+ timeout
        var polls = 0
        var last: Progress?
        while true {
            if let statuses = fetch() {
                let progress = progress(statuses, version: version)
                switch progress {
                case .applied(let sidecars): return .success(sidecars)
                case .rejected(let instance, let reason):
                    return .failure(OrchestratorError(exitCode: 1, "\(instance) rejected version \(version): \(reason)"))
                case .waiting: last = progress
                }
            }
            let now = clock.now()
            guard now < deadline else { break }
            pause(min(Self.pause(afterPoll: polls), deadline - now))  // the last poll comes at the deadline
            polls += 1
        }
        let within = Duration.nanoseconds(Int64(min(timeout, UInt64(Int64.max)))).meshbedDescription
        guard case .waiting(let behind, let count) = last else {
            return .failure(OrchestratorError(exitCode: 1, "version \(version): the control plane did not report its sidecars within \(within)"))
        }
        let shown = behind.prefix(5).joined(separator: ", ") + (behind.count > 5 ? " and \(behind.count - 5) more" : "")
        return .failure(OrchestratorError(
            exitCode: 1, "version \(version) not applied within \(within) by \(behind.count) of \(count) sidecars: \(shown)"))
    }
}
