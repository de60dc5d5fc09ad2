import MeshContainer
import MeshIO
import MeshNetwork

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
/// - then, holding the topology's lock (so that a new `up` of it is never touched), every
///   process carrying the topology's marker is swept, which also finds everything when the
///   state file is empty, truncated or missing;
/// - a topology started by a build before the lock and the marker (no lock holder, no
///   supervisor start time in its state) is stopped through its recorded supervisor, if
///   that is still a running `meshbed up`, and swept by its run id.
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
        /// A new `meshbed up` of the topology that took its lock once the old supervisor was
        /// gone: its pid. That run was left alone (no sweep, its state file untouched).
        public var newRun: Int32?
    }

    /// How long `stop` tries to take the topology's lock once its supervisors are gone (a
    /// losing `up` may hold the lock file for an instant).
    static let lockPatience: Duration = .seconds(2)
    /// How long `stop` waits for a lock that something other than a `meshbed up` holds
    /// (another `down` sweeping the same topology).
    static let busyLockPatience: Duration = .seconds(15)

    /// Stops topology `name` of `store`: the text for the user, and the exit status.
    static func stop(_ name: String, in store: StateDirectory, quiet: Bool, index: TopologyIndex) throws(OrchestratorError) -> Int32 {
        let outcome = try stop(name, in: store, index: index)
        if let newRun = outcome.newRun {
            // The index entry is the new run's now.
            for pid in outcome.supervisors { index.remove(name: name, stateDirectory: store.root, supervisorPID: pid) }
            guard !quiet else { return 0 }
            let old = outcome.supervisors.isEmpty ? "" : "its supervisor (pid \(outcome.supervisors.map(String.init).joined(separator: ", "))) stopped; "
            Console.out("meshbed down: '\(name)': \(old)a new 'meshbed up' (pid \(newRun)) has started it again since; that run was left running")
            return 0
        }
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
    /// (exit 1) when some process survives SIGKILL, when the lock stays busy, or when the
    /// state file cannot be updated.
    ///
    /// Once the supervisors are gone, the sweep and the state update happen under the
    /// topology's lock, so a `meshbed up` that starts the topology again meanwhile is never
    /// swept nor marked stopped: if one holds the lock, only the old run's recorded pids
    /// are killed and `Outcome.newRun` names it. `supervisorsGone` runs (for tests) right
    /// after the supervisors are gone, before the lock is taken.
    public static func stop(
        _ name: String, in store: StateDirectory, index: TopologyIndex = .standard(), supervisorsGone: () -> Void = {}
    ) throws(OrchestratorError) -> Outcome {
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
        let holders = StateLock.holders(name, in: store)
        var supervisors = liveUps(holders)
        // A topology of an earlier build: no lock, no marker on its processes, no start
        // time of its supervisor; its recorded supervisor, if still a `meshbed up`, and its run id.
        // Not when a process of that run id carries a marker, nor for a supervisor the
        // index lists: those are this build's, of another topology (a damaged or forged state).
        var legacyRun: String?
        if holders.isEmpty, let state, state.supervisorStartTime == nil,
           !ProcessSweeper.members(carrying: ["MESHBED_RUN_ID=" + state.runID]).contains(where: { pid in
               Posix.environment(of: pid)?.contains(where: { $0.hasPrefix("MESHBED_STATE=") }) ?? false
           }) {
            legacyRun = state.runID
            if TopologyLauncher.isSupervising(state), !index.entries().contains(where: { $0.supervisorPID == state.supervisorPID }) {
                supervisors = [state.supervisorPID]
            }
        }
        outcome.supervisors = supervisors
        for pid in supervisors { Posix.sendSignal(ProcessSignal.terminate, to: pid) }
        let stubborn = ProcessSweeper.waitUntilGone(supervisors, within: supervisorGrace)
        for pid in stubborn { Posix.sendSignal(ProcessSignal.kill, to: pid) }
        _ = ProcessSweeper.waitUntilGone(stubborn, within: .seconds(2))
        supervisorsGone()

        // Whatever the supervisor did (or could not do, if it was killed): no process of the
        // run may survive. Recorded pids first, each only if it is provably ours (the old
        // run's id: never a new run's process).
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

        // The rest only under the lock: what carries the marker then is ours to sweep.
        let lock: Int32?
        switch takeLock(name, in: store, oldSupervisors: supervisors) {
        case .taken(let descriptor):
            lock = descriptor
        case .newRun(let pid):
            outcome.newRun = pid
            outcome.others = killed.sorted()
            let survivors = ProcessSweeper.waitUntilGone(killed, within: .seconds(5))
            if !survivors.isEmpty {
                let pids = survivors.sorted().map(String.init).joined(separator: ", ")
                throw OrchestratorError(exitCode: 1, "'\(name)': processes \(pids) survived SIGKILL")
            }
            return outcome
        case .busy(let holders):
            let pids = holders.map(String.init).joined(separator: ", ")
            throw OrchestratorError(exitCode: 1, "'\(name)': its lock \(store.lockFile(of: name)) stayed busy (held by pid \(pids)); try again")
        case .failed(let reason):
            throw OrchestratorError(exitCode: 1, "'\(name)': \(reason)")
        }
        defer { if let lock { Posix.close(lock) } }
        var swept = ProcessSweeper.members(carrying: [marker])
        var survivors = ProcessSweeper.sweep(carrying: [marker], within: .seconds(5))
        if let legacyRun {
            let run = ["MESHBED_RUN_ID=" + legacyRun]
            swept += ProcessSweeper.members(carrying: run)
            survivors += ProcessSweeper.sweep(carrying: run, within: .seconds(5))
        }
        outcome.others = Array(Set(killed + swept)).sorted()
        if !survivors.isEmpty {
            let pids = survivors.sorted().map(String.init).joined(separator: ", ")
            throw OrchestratorError(exitCode: 1, "'\(name)': processes \(pids) survived SIGKILL")
        }
        // The network of a netns or container run whose supervisor could not remove it (killed).
        let left = TopologyLauncher.sweepNetwork(of: state)
        if !left.isEmpty { throw OrchestratorError(exitCode: 1, "'\(name)': could not remove \(left.joined(separator: ", "))") }
        if var latest = try? store.read(name), latest.phase == .starting || latest.phase == .ready {
            latest.phase = .stopped  // its supervisor died without saying so
            do {
                try store.write(latest)
            } catch {
                throw OrchestratorError(exitCode: 1, "'\(name)': every process is stopped, but \(error.message)")
            }
        }
        return outcome
    }

    /// Those of `pids` that are a running `meshbed up`.
    static func liveUps(_ pids: [Int32]) -> [Int32] {
        pids.filter { Posix.commandLine(of: $0)?.dropFirst().first == "up" }
    }

    /// What became of `stop`'s attempt to take the lock.
    enum LockAttempt {
        /// Taken: the descriptor that holds it (nil: the topology's directory is gone, so
        /// there is no lock to take, nor anyone to take it).
        case taken(Int32?)
        /// The lock file cannot be opened.
        case failed(String)
        /// A new `meshbed up` (this pid) holds it.
        case newRun(Int32)
        /// Something else held it until the patience ran out.
        case busy([Int32])
    }

    /// Takes `name`'s lock, retrying for `lockPatience` (`busyLockPatience` while no new
    /// `meshbed up` holds it, e.g. another `down`). An old supervisor that still holds it
    /// (it survived SIGKILL) is no new run.
    static func takeLock(_ name: String, in store: StateDirectory, oldSupervisors: [Int32]) -> LockAttempt {
        let start = Posix.monotonicNanoseconds()
        while true {
            let descriptor: Int32?
            do {
                descriptor = try Posix.lockExclusively(store.lockFile(of: name))
            } catch {
                // No lock file can be made where the directory went away: nothing can hold it.
                if Posix.fileIdentity(store.directory(of: name)) == nil { return .taken(nil) }
                return .failed("cannot lock \(store.lockFile(of: name)): \(error)")
            }
            if let descriptor { return .taken(descriptor) }
            let waited = Posix.monotonicNanoseconds() - start
            let holders = StateLock.holders(name, in: store)
            let ups = liveUps(holders).filter { !oldSupervisors.contains($0) }
            if waited >= HTTPProbe.nanoseconds(ups.isEmpty ? busyLockPatience : lockPatience) {
                if let pid = ups.first { return .newRun(pid) }
                return .busy(holders)
            }
            Posix.sleep(nanoseconds: 20_000_000)
        }
    }
}
