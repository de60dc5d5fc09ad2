import MeshIO

/// How `up --detach` makes sure that the supervisor it started has ended, and everything that
/// supervisor started with it, before it reports that the topology could not start.
///
/// A supervisor writes `failed` (or `stopped`) into its state file after its teardown but
/// before it exits, so an `up` that returned on reading the file could leave the supervisor
/// still running for as long as the scheduler did not run it. Instead `up` reaps the
/// supervisor (its child) within a grace, SIGKILLs it past that (its children die with it:
/// `MESHBED_SUPERVISOR_PID`), waits for every recorded process to be gone and sweeps the
/// topology's marker for anything else. Whatever still runs at the end is returned, so that
/// the failure names it instead of hiding it.
///
/// What it asks of the kernel comes in as closures (`system`: the real ones), so that a test
/// can script the process table and the clock.
struct SupervisorExit {
    /// Reaps `pid`, a child of this process, if it has ended (nil while it runs).
    var reap: (Int32) -> ChildStatus?
    /// Whether the process `pid` that started at the given time (nil: whenever) still runs.
    /// Zombies have ended; a pid given to another process since does not run.
    var isRunning: (Int32, UInt64?) -> Bool
    /// Sends a signal (second) to a pid (first).
    var signal: (Int32, Int32) -> Void
    /// Monotonic time in nanoseconds.
    var now: () -> UInt64
    /// Sleeps this many nanoseconds.
    var sleep: (UInt64) -> Void

    /// The kernel's processes and the monotonic clock.
    static var system: SupervisorExit {
        SupervisorExit(
            reap: { Posix.reap($0) },
            isRunning: { pid, startTime in
                Posix.liveness(of: pid).isAlive && (startTime == nil || Posix.startTime(of: pid) == startTime)
            },
            signal: { pid, signal in Posix.sendSignal(signal, to: pid) },
            now: { Posix.monotonicNanoseconds() },
            sleep: { Posix.sleep(nanoseconds: $0) })
    }

    /// How long a process killed with SIGKILL may take to be gone.
    static let killGrace: Duration = .seconds(5)
    /// How often the waits look again.
    static let pollInterval: UInt64 = 10_000_000

    /// Waits until supervisor `pid` has ended (reaped here unless `reaped` says it was
    /// already), at most `grace`, then SIGKILL and up to `killGrace` more; then until none of
    /// the processes `records` lists (read once the supervisor has ended: its final state)
    /// runs, at most `killGrace`; then `sweep`s whatever else of the topology runs (its
    /// pids still running after it). Returns what still runs, as `the supervisor (pid 12)`,
    /// `app web-v1-0 (pid 13)` or `pid 14`; empty when everything is gone, as it should be.
    func awaitEnd(
        ofSupervisor pid: Int32, reaped: Bool, within grace: Duration, records: () -> [ProcessRecord], sweep: () -> [Int32]
    ) -> [String] {
        var ended = reaped || waitForReap(pid, within: grace)
        if !ended {
            signal(pid, ProcessSignal.kill)
            ended = waitForReap(pid, within: Self.killGrace)
        }
        let recorded = records().compactMap { record in record.pid.map { (pid: $0, record: record) } }.filter { $0.pid != pid }
        let deadline = now() + HTTPProbe.nanoseconds(Self.killGrace)
        var left = recorded.filter { isRunning($0.pid, $0.record.startTime) }
        while !left.isEmpty && now() < deadline {
            sleep(Self.pollInterval)
            left = left.filter { isRunning($0.pid, $0.record.startTime) }
        }
        let escaped = sweep().filter { found in found != pid && !left.contains { $0.pid == found } }
        return (ended ? [] : ["the supervisor (pid \(pid))"]) + left.map { Supervisor.describe($0.record) } + escaped.map { "pid \($0)" }
    }

    /// `; still running after the teardown: app web-v1-0 (pid 13)`, or "" when `left` is empty.
    static func note(_ left: [String]) -> String {
        left.isEmpty ? "" : "; still running after the teardown: " + left.joined(separator: ", ")
    }

    /// Reaps `pid` within `duration`; whether it has ended.
    private func waitForReap(_ pid: Int32, within duration: Duration) -> Bool {
        let deadline = now() + HTTPProbe.nanoseconds(duration)
        while true {
            if reap(pid) != nil { return true }
            if now() >= deadline { return false }
            sleep(Self.pollInterval)
        }
    }
}
