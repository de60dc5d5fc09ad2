import MeshIO

/// Makes sure processes are gone: waits for them with a deadline, and finds every process
/// of a run by the `MESHBED_RUN_ID` in its environment (children, and grandchildren that
/// left their process group), so none survives a teardown.
public enum ProcessSweeper {
    /// The processes (other than this one) whose environment carries `MESHBED_RUN_ID=runID`
    /// and that still run.
    /// With `carrying`, only those whose environment also holds that `NAME=value`.
    public static func members(ofRun runID: String, carrying: String? = nil) -> [Int32] {
        let marker = "MESHBED_RUN_ID=" + runID
        let me = Posix.processID()
        return Posix.processIDs().filter { pid in
            guard pid != me, let environment = Posix.environment(of: pid), environment.contains(marker) else { return false }
            return (carrying.map(environment.contains) ?? true) && Posix.liveness(of: pid).isAlive
        }
    }

    /// Whether `pid` still runs and belongs to run `runID` (a recorded pid may have been
    /// reused by an unrelated process since; that one is left alone).
    public static func belongs(_ pid: Int32, toRun runID: String) -> Bool {
        Posix.liveness(of: pid).isAlive && Posix.environment(of: pid)?.contains("MESHBED_RUN_ID=" + runID) == true
    }

    /// SIGKILLs every member of run `runID` (and its process group) until none is left or
    /// `within` passes. Returns the pids still running at the end (none, normally).
    /// With `carrying`, only the members whose environment also holds that `NAME=value`.
    @discardableResult
    public static func sweep(run runID: String, carrying: String? = nil, within: Duration = .seconds(3)) -> [Int32] {
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(within)
        while true {
            let left = members(ofRun: runID, carrying: carrying)
            if left.isEmpty { return [] }
            for pid in left {
                Posix.sendSignal(ProcessSignal.kill, toGroup: pid)
                Posix.sendSignal(ProcessSignal.kill, to: pid)
            }
            if Posix.monotonicNanoseconds() >= deadline { return members(ofRun: runID, carrying: carrying) }
            // Zombies do not count as members, so this never reaps: a supervisor collects
            // its own children's statuses.
            Posix.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Waits until none of `pids` runs (zombies count as ended), at most `within`.
    /// Returns those still running.
    public static func waitUntilGone(_ pids: [Int32], within: Duration) -> [Int32] {
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(within)
        while true {
            let left = pids.filter { Posix.liveness(of: $0).isAlive }
            if left.isEmpty || Posix.monotonicNanoseconds() >= deadline { return left }
            Posix.sleep(nanoseconds: 20_000_000)
        }
    }
}
