import MeshIO

/// `meshbed down`: stops a topology's supervisor (which tears down what it started), then
/// makes sure that no process of the topology is left.
///
/// Nothing in the state file is trusted blindly, since a pid that ended long ago may belong
/// to someone else by now and the file may be damaged:
/// - the supervisor is the process that holds the topology's lock (`StateLock`), whatever
///   the state file says;
/// - a recorded pid is signalled only if that process carries the run's id and the
///   topology's marker (`MESHBED_STATE=ROOT/NAME`) in its environment and started when the
///   state file says it did;
/// - then every process carrying the topology's marker is swept, which also finds
///   everything when the state file is empty, truncated or missing.
public enum TopologyStopper {
    /// How long the supervisor gets for its own teardown (3 s grace plus reaping) before SIGKILL.
    static let supervisorGrace: Duration = .seconds(15)

    /// Stops `name` (or the only topology) in `stateDirectory` (nil: the one the per-user
    /// index names, or `./.meshbed`); returns the exit status.
    /// `quiet`: no line on standard output when it worked (errors still go to standard error).
    public static func down(name: String?, stateDirectory: String?, quiet: Bool = false, index: TopologyIndex = .standard()) -> Int32 {
        do {
            let (store, name) = try StateDirectory.locate(name, stateDirectory: stateDirectory, index: index)
            return try stop(name, in: store, quiet: quiet, index: index)
        } catch {
            Console.error("meshbed: \(error.message)")
            return error.exitCode
        }
    }

    /// What `stop` found and did.
    public struct Outcome: Sendable, Equatable {
        /// The supervisors (lock holders) that were stopped.
        public var supervisors: [Int32] = []
        /// Other processes of the topology that were still running and were killed.
        public var others: [Int32] = []
        /// Why the state file could not be used, if it could not.
        public var unreadableState: String?
    }

    /// Stops topology `name` of `store`: the text for the user, and the exit status.
    static func stop(_ name: String, in store: StateDirectory, quiet: Bool, index: TopologyIndex) throws(OrchestratorError) -> Int32 {
        let outcome = try stop(name, in: store)
        index.remove(name: name, stateDirectory: store.root)
        guard !quiet else { return 0 }
        let found = (outcome.supervisors.map { "supervisor pid \($0)" } + outcome.others.map { "pid \($0)" }).joined(separator: ", ")
        if let unreadable = outcome.unreadableState {
            let what = found.isEmpty ? "no process of it was running" : "stopped what carried its marker: \(found)"
            Console.out("meshbed down: '\(name)': \(unreadable); \(what)")
        } else if !outcome.supervisors.isEmpty {
            Console.out("meshbed down: '\(name)' stopped")
        } else {
            Console.out("meshbed down: '\(name)' was not running; no process of it is left"
                        + (outcome.others.isEmpty ? "" : " (killed leftovers: \(found))"))
        }
        return 0
    }

    /// Stops everything of topology `name` in `store` (see the type's summary). Throws
    /// (exit 1) when some process survives SIGKILL.
    public static func stop(_ name: String, in store: StateDirectory) throws(OrchestratorError) -> Outcome {
        var outcome = Outcome()
        let state: MeshState?
        do {
            state = try store.read(name)
            if state == nil { outcome.unreadableState = "it has no state file" }
        } catch {
            state = nil
            outcome.unreadableState = error.message
        }
        let marker = store.marker(of: name)

        // The supervisor: whoever holds the lock and is a `meshbed up` (a losing `up` holds
        // the file open only for an instant before it gives up).
        let supervisors = StateLock.holders(name, in: store).filter { Posix.commandLine(of: $0)?.dropFirst().first == "up" }
        outcome.supervisors = supervisors
        for pid in supervisors { Posix.sendSignal(ProcessSignal.terminate, to: pid) }
        let stubborn = ProcessSweeper.waitUntilGone(supervisors, within: supervisorGrace)
        for pid in stubborn { Posix.sendSignal(ProcessSignal.kill, to: pid) }
        _ = ProcessSweeper.waitUntilGone(stubborn, within: .seconds(2))

        // Whatever the supervisor did (or could not do, if it was killed): no process of the
        // topology may survive. Recorded pids first, each only if it is provably ours.
        var killed: [Int32] = []
        if let state {
            let markers = ["MESHBED_RUN_ID=" + state.runID, marker]
            let startTimes = state.startTimes
            for pid in state.childPIDs where ProcessSweeper.isOurs(pid, carrying: markers, startTime: startTimes[pid]) {
                Posix.sendSignal(ProcessSignal.kill, toGroup: pid)
                Posix.sendSignal(ProcessSignal.kill, to: pid)
                killed.append(pid)
            }
        }
        let swept = ProcessSweeper.members(carrying: [marker])
        let survivors = ProcessSweeper.sweep(carrying: [marker], within: .seconds(5))
        outcome.others = Array(Set(killed + swept)).sorted()
        if !survivors.isEmpty {
            let pids = survivors.sorted().map(String.init).joined(separator: ", ")
            throw OrchestratorError(exitCode: 1, "'\(name)': processes \(pids) survived SIGKILL")
        }
        if var latest = try? store.read(name), latest.phase == .starting || latest.phase == .ready {
            latest.phase = .stopped  // its supervisor died without saying so
            try store.write(latest)
        }
        return outcome
    }
}
