import FoundationEssentials
import MeshContainer
import MeshCore
import MeshIO
import MeshNetwork
import MeshTLS
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
        // One supervisor per topology and state directory: the lock comes before anything is
        // touched. A detached supervisor was handed the lock by the `up --detach` that started it.
        let lock: StateLock
        if options.supervise, let handed = StateLock.inherited(name, in: store) {
            lock = handed
        } else {
            lock = try StateLock.acquire(name, in: store, stop: downCommand(name, options))
            // The owner is the supervisor: this process, or the one `detach` starts.
            if !options.detach { lock.recordOwner() }
        }
        if !options.supervise {
            // Leftovers of a supervisor that was killed (grandchildren outlive it): with the
            // lock held, whatever carries this topology's marker is one; so is its network.
            ProcessSweeper.sweep(carrying: [store.marker(of: name)], within: .seconds(2))
            sweepNetwork(of: try? store.read(name))
        }
        if let reason = options.runtime.unavailableReason { throw .badInput(reason) }
        if !options.runtime.isolated, options.mesh, let loss = topology.faults.first(where: { $0.kind == .loss }) {
            throw .badInput("faults: \(loss): kind loss drops packets, which only --runtime netns or container gives each instance (here they share this machine's loopback)")
        }
        if case .container = options.runtime, let custom = topology.services.keys.sorted().first(where: { topology.services[$0]?.app != nil }) {
            throw .badInput("services.\(custom).app: an app command runs a program of this machine, which meshbed's image does not hold; --runtime container runs echo apps only (apps of your own: not supported yet; use --runtime netns)")
        }
        let file = StateDirectory.absolute(options.file)
        if options.detach {
            // The supervisor keeps the lock; this process lets go of its copy when it returns.
            defer { lock.release() }
            try store.prepare(name, clearLogs: true)
            return try detach(options, name: name, file: file, store: store, lock: lock)
        }
        try store.prepare(name, clearLogs: !options.supervise)
        guard let executable = Posix.executablePath() else { throw .couldNotStart("cannot find the meshbed executable (/proc/self/exe)") }
        let ports: [Int]
        do {
            ports = try PortAllocator.allocate(LaunchPlan.portCount(for: topology, mesh: options.mesh, prometheus: options.prometheus != nil,
                                                                    netns: options.runtime == .netns,
                                                                    container: options.runtime.name == "container"))
        } catch {
            throw .couldNotStart("cannot allocate ports: \(error)")
        }
        let runID = newRunID()
        let secret = options.mesh && topology.mesh.mtls != .disabled ? try caSecret() : nil
        // Under netns: the bridge and a namespace per instance, made before anything starts
        // (the supervisor removes them after everything stopped).
        // Under containers: the image (built again when it holds another meshbed), then the
        // network and a pod per instance, likewise.
        var network: NetnsPlan?
        var containers: ContainerRun?
        let supervisorStartTime = Posix.startTime(of: Posix.processID()) ?? 0
        switch options.runtime {
        case .process:
            break
        case .netns:
            do {
                network = try NetnsNetwork.create(runID: runID, instances: topology.instances.map { ($0.id, $0.service) })
            } catch {
                throw .couldNotStart(error.message)
            }
        case .container(let kind):
            do {
                let engine = try ContainerEngine.find(kind)
                if let built = try ImageBuilder.ensure(engine: engine, binary: executable) {
                    Console.out("meshbed up: built \(built.tag) for this meshbed (\(built.files.count) files, \(built.bytes / 1_000_000) MB)")
                }
                let run = ContainerRun(engine: engine, image: ImageBuilder.defaultTag, tag: String(runID.prefix(8)))
                network = try ContainerNetwork.create(run, runID: runID, instances: topology.instances.map { ($0.id, $0.service) },
                                                      watch: Posix.supervisorWatch())
                containers = run
            } catch {
                throw .couldNotStart(error.message.hasPrefix("--runtime") ? error.message : "--runtime container: \(error.message)")
            }
        }
        if let network {
            // The control plane reads the plan to put partitions and loss into the namespaces.
            do {
                try JSONEncoder().encode(network).write(to: URL(fileURLWithPath: LaunchPlan.networkFile(store, name)))
            } catch {
                if let containers { ContainerNetwork.destroy(containers) } else { NetnsNetwork.destroy(network) }
                throw .couldNotStart("cannot write \(LaunchPlan.networkFile(store, name)): \(error)")
            }
        }
        var plan = LaunchPlan(topology: topology, file: file, mesh: options.mesh, executable: executable, stateDirectory: store,
                              runID: runID, supervisorPID: Posix.processID(), ports: ports,
                              environment: ProcessInfo.processInfo.environment, seed: options.seed,
                              caSecret: secret,
                              prometheus: options.mesh ? options.prometheus : nil, otlpEndpoint: options.otlpEndpoint,
                              network: network, ipExecutable: NetnsNetwork.ip ?? "ip", containers: containers,
                              supervisorStartTime: supervisorStartTime)
        plan.state.supervisorStartTime = supervisorStartTime
        let stop = options.supervise ? downCommand(name, options) : "Ctrl-C (or '\(downCommand(name, options))' from another shell)"
        // Listed in the per-user index for as long as this process supervises the topology.
        let index = TopologyIndex.standard()
        index.add(TopologyIndex.Entry(name: name, stateDirectory: store.root, supervisorPID: plan.state.supervisorPID,
                                      supervisorStartTime: plan.state.supervisorStartTime))
        defer { index.remove(name: name, stateDirectory: store.root, supervisorPID: plan.state.supervisorPID) }
        return Supervisor(plan: plan, store: store, readyTimeout: options.readyTimeout, stopHint: stop).run()
    }

    /// Starts `meshbed up FILE --supervise` in a new session (output in `logs/supervisor.log`)
    /// and waits for its state file to say ready (0) or failed (3). A failure is reported
    /// only once the supervisor has exited and everything it started is gone (`SupervisorExit`),
    /// or names what still runs.
    private static func detach(
        _ options: UpOptions, name: String, file: String, store: StateDirectory, lock: StateLock
    ) throws(OrchestratorError) -> Int32 {
        guard let executable = Posix.executablePath() else { throw .couldNotStart("cannot find the meshbed executable (/proc/self/exe)") }
        store.removeState(name)
        var arguments = ["up", file, "--state-dir", store.root, "--supervise", "--ready-timeout", options.readyTimeout.meshbedDescription]
        if !options.mesh { arguments.append("--no-mesh") }
        if let seed = options.seed { arguments += ["--seed", String(seed)] }
        if options.prometheus != nil { arguments.append("--prometheus") }
        if let endpoint = options.otlpEndpoint { arguments += ["--otlp-endpoint", endpoint] }
        arguments += options.runtime.arguments
        // The supervisor must outlive this process (it follows no supervisor of its own),
        // unless the caller asked to keep it tied to itself.
        // Nor may it carry the markers of a topology this process runs in (`down` of that one would take it along).
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MESHBED_") || $0.key == TopologyIndex.variable }
        if options.tiedToCaller { inherited["MESHBED_SUPERVISOR_PID"] = String(Posix.processID()) }
        let environment = inherited.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let log = store.logPath(of: name, process: "supervisor")
        // The supervisor gets this process's hold on the lock as its descriptor 3.
        let request = SpawnRequest(executable: executable, arguments: arguments, environment: environment, outputPath: log,
                                   newSession: true, passedDescriptor: lock.descriptor)
        let pid: Int32
        do {
            pid = try Posix.spawn(request)
        } catch {
            throw .couldNotStart("cannot start the supervisor: \(error)")
        }
        lock.recordOwner(pid: pid)
        // Four gates, the ports, the teardown after a failure: well within this.
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(options.readyTimeout * 4 + .seconds(15))
        // Before reporting a failure: the supervisor has exited and everything it started is
        // gone. This process still holds the lock, so whatever carries the topology's marker
        // once the supervisor is gone is a leftover of it.
        func stillRunning(reaped: Bool) -> String {
            let left = SupervisorExit.system.awaitEnd(
                ofSupervisor: pid, reaped: reaped, within: TopologyStopper.supervisorGrace,
                records: { (try? store.read(name)).flatMap { $0.supervisorPID == pid ? $0.processes : nil } ?? [] },
                sweep: { ProcessSweeper.sweep(carrying: [store.marker(of: name)], within: .seconds(2)) })
            return SupervisorExit.note(left)
        }
        while true {
            let exited = Posix.reap(pid)
            if let state = try? store.read(name), state.supervisorPID == pid {
                switch state.phase {
                case .ready:
                    if !options.quiet { Console.out(UpReport.ready(state, stop: downCommand(name, options))) }
                    return 0
                case .failed:
                    // Written after its teardown, but before it exits.
                    let left = stillRunning(reaped: exited != nil)
                    throw .couldNotStart((state.failure ?? "'\(name)' could not start; log: \(log)") + left)
                case .stopped:
                    let left = stillRunning(reaped: exited != nil)
                    throw .couldNotStart("'\(name)' was stopped before it was ready\(state.failure.map { " (\($0))" } ?? ""); log: \(log)\(left)")
                case .starting:
                    break
                }
            }
            if let exited {
                let left = stillRunning(reaped: true)
                throw .couldNotStart("the supervisor \(exited) before '\(name)' was ready\(Supervisor.logHint(log))\(left)")
            }
            if Posix.monotonicNanoseconds() >= deadline {
                Posix.sendSignal(ProcessSignal.terminate, to: pid)  // it tears down what it started
                let left = stillRunning(reaped: false)
                throw .couldNotStart("'\(name)' was not ready in time; log: \(log)\(left)")
            }
            if options.stopSignals.isEmpty {
                Posix.sleep(nanoseconds: 50_000_000)
            } else if let signal = Posix.waitForSignal(options.stopSignals, timeoutNanoseconds: 50_000_000) {
                Posix.sendSignal(ProcessSignal.terminate, to: pid)  // it tears down what it started
                let left = stillRunning(reaped: false)
                Posix.sendSignal(signal, to: Posix.processID())  // blocked: pending again, for the caller
                throw .couldNotStart("interrupted by \(ProcessSignal.name(of: signal)) before '\(name)' was ready; log: \(log)\(left)")
            }
        }
    }

    /// Removes the network of `state`'s run, if it had one (netns or containers) and its
    /// supervisor could not remove it (killed); returns what could not be removed.
    @discardableResult
    static func sweepNetwork(of state: MeshState?) -> [String] {
        guard let network = state?.network else { return [] }
        if let containers = state?.containers { return ContainerNetwork.sweep(containers.containerEngine, tag: containers.tag) }
        return NetnsNetwork.sweep(tag: network.tag)
    }

    /// Whether `state`'s supervisor still runs: a `meshbed up` with the recorded start time
    /// (not a process that got the pid again since).
    public static func isSupervising(_ state: MeshState) -> Bool {
        guard Posix.liveness(of: state.supervisorPID).isAlive, let arguments = Posix.commandLine(of: state.supervisorPID) else {
            return false
        }
        if let started = state.supervisorStartTime, Posix.startTime(of: state.supervisorPID) != started { return false }
        return arguments.dropFirst().first == "up"
    }

    /// `meshbed down NAME [--state-dir DIR]`, as the user would type it.
    static func downCommand(_ name: String, _ options: UpOptions) -> String {
        "meshbed down \(name)" + (options.stateDirectory.map { " --state-dir \($0)" } ?? "")
    }

    /// A new secret for the run's bootstrap tokens (see `LaunchPlan`).
    static func caSecret() throws(OrchestratorError) -> String {
        do {
            return try BootstrapToken.makeSecret()
        } catch {
            throw .couldNotStart("cannot make the certificate authority's secret: \(error)")
        }
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
