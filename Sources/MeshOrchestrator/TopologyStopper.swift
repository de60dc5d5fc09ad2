import MeshIO

/// `meshbed down`: stops a topology's supervisor (which tears down what it started), then
/// makes sure that every process it recorded, and anything else of its run, is gone.
public enum TopologyStopper {
    /// How long the supervisor gets for its own teardown (3 s grace plus reaping) before SIGKILL.
    static let supervisorGrace: Duration = .seconds(15)

    /// Stops `name` (or the only topology) in `stateDirectory`; returns the exit status.
    /// `quiet`: no line on standard output when it worked (errors still go to standard error).
    public static func down(name: String?, stateDirectory: String?, quiet: Bool = false) -> Int32 {
        do {
            return try stop(name: name, store: StateDirectory(stateDirectory ?? StateDirectory.defaultPath), quiet: quiet)
        } catch {
            Console.error("meshbed: \(error.message)")
            return error.exitCode
        }
    }

    private static func stop(name: String?, store: StateDirectory, quiet: Bool) throws(OrchestratorError) -> Int32 {
        let name = try store.resolve(name, isRunning: TopologyLauncher.isSupervising)
        guard let state = try store.read(name) else { throw .badInput("no topology '\(name)' in \(store.root)") }
        let wasRunning = TopologyLauncher.isSupervising(state)
        if wasRunning {
            Posix.sendSignal(ProcessSignal.terminate, to: state.supervisorPID)
            if !ProcessSweeper.waitUntilGone([state.supervisorPID], within: supervisorGrace).isEmpty {
                Posix.sendSignal(ProcessSignal.kill, to: state.supervisorPID)
                _ = ProcessSweeper.waitUntilGone([state.supervisorPID], within: .seconds(2))
            }
        }
        // Whatever the supervisor did (or could not do, if it was killed): no process of
        // this run may survive. Recorded pids are checked against the run's marker first,
        // since a pid that ended long ago may belong to someone else by now.
        for pid in state.childPIDs where ProcessSweeper.belongs(pid, toRun: state.runID) {
            Posix.sendSignal(ProcessSignal.kill, toGroup: pid)
            Posix.sendSignal(ProcessSignal.kill, to: pid)
        }
        let survivors = ProcessSweeper.sweep(run: state.runID, within: .seconds(5))
            + state.childPIDs.filter { ProcessSweeper.belongs($0, toRun: state.runID) }
        if !survivors.isEmpty {
            let pids = Set(survivors).sorted().map(String.init).joined(separator: ", ")
            throw OrchestratorError(exitCode: 1, "'\(name)': processes \(pids) survived SIGKILL")
        }
        if var latest = try? store.read(name), latest.phase == .starting || latest.phase == .ready {
            latest.phase = .stopped  // its supervisor died without saying so
            try store.write(latest)
        }
        if !quiet { Console.out(wasRunning ? "meshbed down: '\(name)' stopped" : "meshbed down: '\(name)' was not running; no process of it is left") }
        return 0
    }
}
