import MeshIO

/// Makes sure processes are gone: waits for them with a deadline, and finds a topology's
/// processes by the markers in their environment (`MESHBED_RUN_ID`, `MESHBED_STATE`):
/// children, and grandchildren that left their process group, so none survives a teardown,
/// while a process that merely got a recorded pid again is never touched.
public enum ProcessSweeper {
    /// The processes (other than this one) whose environment carries `MESHBED_RUN_ID=runID`
    /// and that still run.
    /// With `carrying`, only those whose environment also holds that `NAME=value`.
    public static func members(ofRun runID: String, carrying: String? = nil) -> [Int32] {
        members(carrying: ["MESHBED_RUN_ID=" + runID] + (carrying.map { [$0] } ?? []))
    }

    /// The running processes (other than this one) whose environment holds every entry of
    /// `markers` (`NAME=value` each).
    public static func members(carrying markers: [String]) -> [Int32] {
        let me = Posix.processID()
        return Posix.processIDs().filter { pid in
            guard pid != me, let environment = Posix.environment(of: pid), markers.allSatisfy(environment.contains) else { return false }
            return Posix.liveness(of: pid).isAlive
        }
    }

    /// Whether `pid` still runs and belongs to run `runID` (a recorded pid may have been
    /// reused by an unrelated process since; that one is left alone).
    public static func belongs(_ pid: Int32, toRun runID: String) -> Bool {
        isOurs(pid, carrying: ["MESHBED_RUN_ID=" + runID])
    }

    /// Whether `pid` runs, carries every entry of `markers` in its environment and, when
    /// `startTime` is known, started then. A pid that ended and was given to another
    /// process fails the markers or the start time, so it is never signalled.
    public static func isOurs(_ pid: Int32, carrying markers: [String], startTime: UInt64? = nil) -> Bool {
        guard Posix.liveness(of: pid).isAlive, let environment = Posix.environment(of: pid),
              markers.allSatisfy(environment.contains)
        else { return false }
        return startTime == nil || Posix.startTime(of: pid) == startTime
    }

    /// SIGKILLs every member of run `runID` (and its process group) until none is left or
    /// `within` passes. Returns the pids still running at the end (none, normally).
    /// With `carrying`, only the members whose environment also holds that `NAME=value`.
    @discardableResult
    public static func sweep(run runID: String, carrying: String? = nil, within: Duration = .seconds(3)) -> [Int32] {
        sweep(carrying: ["MESHBED_RUN_ID=" + runID] + (carrying.map { [$0] } ?? []), within: within)
    }

    /// SIGKILLs every process whose environment holds all of `markers` (and its process
    /// group) until none is left or `within` passes. Returns the pids still running at the end.
    @discardableResult
    public static func sweep(carrying markers: [String], within: Duration = .seconds(3)) -> [Int32] {
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(within)
        while true {
            let left = members(carrying: markers)
            if left.isEmpty { return [] }
            for pid in left {
                Posix.sendSignal(ProcessSignal.kill, toGroup: pid)
                Posix.sendSignal(ProcessSignal.kill, to: pid)
            }
            if Posix.monotonicNanoseconds() >= deadline { return members(carrying: markers) }
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
