import Foundation
import MeshCore
import MeshIO
import MeshTopology

/// `meshbed up`: validates the topology, refuses a second copy of a running one, and
/// either supervises it in this process (foreground, or as the detached supervisor) or
/// starts a detached supervisor and waits until it reports ready or failed.
public enum TopologyLauncher {
    /// Runs `up` and returns its exit status: 0 ready (foreground: stopped on request),
    /// 2 bad input, 3 could not start.
    public static func up(_ options: UpOptions) -> Int32 {
        if !options.detach {
            // Before anything can start a thread: every thread must block them, so that
            // sigtimedwait on this one sees them.
            Posix.blockSignals(Supervisor.handledSignals)
        }
        do {
            return try launch(options)
        } catch {
            Console.error("\(error.exitCode == 3 ? "meshbed up" : "meshbed"): \(error.message)")
            return error.exitCode
        }
    }

    private static func launch(_ options: UpOptions) throws(OrchestratorError) -> Int32 {
        let topology: Topology
        switch TopologyLoader.load(options.file) {
        case .success(let loaded): topology = loaded
        case .failure(let errors):
            Console.error(errors.description)
            return 2
        }
        let store = StateDirectory(options.stateDirectory ?? StateDirectory.defaultPath)
        let name = topology.name
        if let existing = try? store.read(name) {
            if isSupervising(existing), existing.supervisorPID != Posix.processID() {
                throw .badInput("topology '\(name)' is already running (supervisor pid \(existing.supervisorPID)); stop it with '\(downCommand(name, options))'")
            }
            if !options.supervise {
                ProcessSweeper.sweep(run: existing.runID, within: .seconds(2))  // leftovers of a supervisor that was killed
            }
        }
        let file = StateDirectory.absolute(options.file)
        if options.detach {
            try store.prepare(name, clearLogs: true)
            return try detach(options, name: name, file: file, store: store)
        }
        try store.prepare(name, clearLogs: !options.supervise)
        guard let executable = Posix.executablePath() else { throw .couldNotStart("cannot find the meshbed executable (/proc/self/exe)") }
        let ports: [Int]
        do {
            ports = try PortAllocator.allocate(LaunchPlan.portCount(for: topology, mesh: options.mesh))
        } catch {
            throw .couldNotStart("cannot allocate ports: \(error)")
        }
        let plan = LaunchPlan(topology: topology, file: file, mesh: options.mesh, executable: executable, stateDirectory: store,
                              runID: newRunID(), supervisorPID: Posix.processID(), ports: ports,
                              environment: ProcessInfo.processInfo.environment, seed: options.seed)
        let stop = options.supervise ? downCommand(name, options) : "Ctrl-C (or '\(downCommand(name, options))' from another shell)"
        return Supervisor(plan: plan, store: store, readyTimeout: options.readyTimeout, stopHint: stop).run()
    }

    /// Starts `meshbed up FILE --supervise` in a new session (output in `logs/supervisor.log`)
    /// and waits for its state file to say ready (0) or failed (3).
    private static func detach(_ options: UpOptions, name: String, file: String, store: StateDirectory) throws(OrchestratorError) -> Int32 {
        guard let executable = Posix.executablePath() else { throw .couldNotStart("cannot find the meshbed executable (/proc/self/exe)") }
        store.removeState(name)
        var arguments = ["up", file, "--state-dir", store.root, "--supervise", "--ready-timeout", options.readyTimeout.meshbedDescription]
        if !options.mesh { arguments.append("--no-mesh") }
        if let seed = options.seed { arguments += ["--seed", String(seed)] }
        // The supervisor must outlive this process (it follows no supervisor of its own),
        // unless the caller asked to keep it tied to itself.
        var inherited = ProcessInfo.processInfo.environment.filter { $0.key != "MESHBED_SUPERVISOR_PID" }
        if options.tiedToCaller { inherited["MESHBED_SUPERVISOR_PID"] = String(Posix.processID()) }
        let environment = inherited.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let log = store.logPath(of: name, process: "supervisor")
        let request = SpawnRequest(executable: executable, arguments: arguments, environment: environment, outputPath: log,
                                   newSession: true)
        let pid: Int32
        do {
            pid = try Posix.spawn(request)
        } catch {
            throw .couldNotStart("cannot start the supervisor: \(error)")
        }
        // Four gates, the ports, the teardown after a failure: well within this.
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(options.readyTimeout * 4 + .seconds(15))
        while true {
            let exited = Posix.reap(pid)
            if let state = try? store.read(name), state.supervisorPID == pid {
                switch state.phase {
                case .ready:
                    if !options.quiet { Console.out(UpReport.ready(state, stop: downCommand(name, options))) }
                    return 0
                case .failed:
                    throw .couldNotStart(state.failure ?? "'\(name)' could not start; log: \(log)")
                case .stopped:
                    throw .couldNotStart("'\(name)' was stopped before it was ready\(state.failure.map { " (\($0))" } ?? ""); log: \(log)")
                case .starting:
                    break
                }
            }
            if let exited {
                throw .couldNotStart("the supervisor \(exited) before '\(name)' was ready\(Supervisor.logHint(log))")
            }
            if Posix.monotonicNanoseconds() >= deadline {
                Posix.sendSignal(ProcessSignal.terminate, to: pid)  // it tears down what it started
                _ = ProcessSweeper.waitUntilGone([pid], within: .seconds(5))
                throw .couldNotStart("'\(name)' was not ready in time; log: \(log)")
            }
            if options.stopSignals.isEmpty {
                Posix.sleep(nanoseconds: 50_000_000)
            } else if let signal = Posix.waitForSignal(options.stopSignals, timeoutNanoseconds: 50_000_000) {
                Posix.sendSignal(ProcessSignal.terminate, to: pid)  // it tears down what it started
                _ = ProcessSweeper.waitUntilGone([pid], within: TopologyStopper.supervisorGrace)
                _ = Posix.reap(pid)
                Posix.sendSignal(signal, to: Posix.processID())  // blocked: pending again, for the caller
                throw .couldNotStart("interrupted by \(ProcessSignal.name(of: signal)) before '\(name)' was ready; log: \(log)")
            }
        }
    }

    /// Whether `state`'s supervisor still runs (and is a `meshbed up`, not a reused pid).
    public static func isSupervising(_ state: MeshState) -> Bool {
        guard Posix.liveness(of: state.supervisorPID).isAlive, let arguments = Posix.commandLine(of: state.supervisorPID) else {
            return false
        }
        return arguments.dropFirst().first == "up"
    }

    /// `meshbed down NAME [--state-dir DIR]`, as the user would type it.
    static func downCommand(_ name: String, _ options: UpOptions) -> String {
        "meshbed down \(name)" + (options.stateDirectory.map { " --state-dir \($0)" } ?? "")
    }

    /// 32 random hex digits.
    static func newRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
