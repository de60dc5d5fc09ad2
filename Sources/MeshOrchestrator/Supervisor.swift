import MeshContainer
import MeshCore
import MeshIO
import MeshNetwork

/// Runs a launch plan and watches over it: starts each stage, gates it on readiness with a
/// deadline, records every pid and exit in the state file, and on SIGINT/SIGTERM/SIGHUP
/// (or a failed gate) tears everything down so that no process survives. Once ready, it
/// restarts instances on request (SIGUSR1 and a file in the state directory: `RestartChannel`).
///
/// Everything happens on the calling thread, which must be the process's main thread and
/// must have blocked `Supervisor.handledSignals` before any other thread started: children ask the
/// kernel to SIGKILL them when their parent dies (`MESHBED_SUPERVISOR_PID`), and for the
/// kernel "parent" is the thread that spawned them.
public final class Supervisor {
    /// The signals that stop a supervisor; block them (`Posix.blockSignals`) before `run`.
    public static let signals = [ProcessSignal.interrupt, ProcessSignal.terminate, ProcessSignal.hangup]
    /// Every signal a supervisor takes with `Posix.waitForSignal`: the stop signals, SIGUSR1
    /// (requests are waiting, `RestartChannel`) and SIGCHLD (a child ended: reap it now).
    /// Block them all before `run`; children start with an empty signal mask all the same
    /// (`SpawnRequest`).
    public static let handledSignals = signals + [ProcessSignal.userDefined1, ProcessSignal.childEnded]
    /// How long telling the control plane that an instance is down may hold the supervisor.
    static let downNoticeTimeout: Duration = .milliseconds(500)
    /// How long a restarted process gets to go after SIGTERM before SIGKILL.
    static let restartGrace: Duration = .seconds(2)

    /// How a start ended.
    enum StartOutcome: Equatable {
        case ready
        case failed(String)
        case interrupted(Int32)
    }

    private var state: MeshState
    private let stages: [LaunchStage]
    private let store: StateDirectory
    private let readyTimeout: Duration
    private let stopHint: String
    /// Running children: pid → index in `state.processes`.
    private var running: [Int32: Int] = [:]
    /// Every pid started, in start order.
    private var started: [Int32] = []
    /// How to start each process again, by its name (`ProcessRecord.name`).
    private let specs: [String: ProcessSpec]
    /// Restarted processes not yet seen ready: index in `state.processes` → deadline.
    private var awaitingReady: [Int: UInt64] = [:]
    /// Pids being stopped for a restart (their end is expected, not reported as a crash).
    private var stopping: Set<Int32> = []

    /// A supervisor for `plan`, writing its state into `store`. Each stage gets
    /// `readyTimeout` to become ready; `stopHint` tells the user how to stop it.
    public init(plan: LaunchPlan, store: StateDirectory, readyTimeout: Duration, stopHint: String) {
        self.state = plan.state
        self.stages = plan.stages
        self.specs = Dictionary(plan.stages.flatMap(\.processes).map { ($0.record.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.store = store
        self.readyTimeout = readyTimeout
        self.stopHint = stopHint
    }

    /// Starts everything, waits for a stop signal, tears down. Returns the exit status:
    /// 0 after a requested stop, 3 when the topology could not start.
    public func run() -> Int32 {
        do {
            try store.write(state)
        } catch {
            Console.error("meshbed up: \(error)")
            removeNetwork()
            return 3
        }
        switch start() {
        case .ready:
            break
        case .failed(let message):
            let left = SupervisorExit.note(teardown())
            state.phase = .failed
            state.failure = message + left
            persist()
            Console.error("meshbed up: \(message)\(left)")
            return 3
        case .interrupted(let signal):
            let left = SupervisorExit.note(teardown())
            state.phase = .stopped
            state.failure = "interrupted by \(ProcessSignal.name(of: signal)) before it was ready\(left)"
            persist()
            Console.error("meshbed up: '\(state.name)' was interrupted by \(ProcessSignal.name(of: signal)) before it was ready; "
                          + (left.isEmpty ? "everything is stopped" : String(left.dropFirst(2))))
            return 3
        }
        state.phase = .ready
        persist()
        Console.out(UpReport.ready(state, stop: stopHint))

        let signal = monitor()
        Console.out("meshbed up: \(ProcessSignal.name(of: signal)): stopping '\(state.name)'")
        let left = teardown()
        state.phase = .stopped
        persist()
        if !left.isEmpty { Console.error("meshbed up: '\(state.name)'\(SupervisorExit.note(left))") }
        Console.out("meshbed up: '\(state.name)' stopped")
        return 0
    }

    // MARK: - Starting

    private func start() -> StartOutcome {
        for stage in stages where !stage.processes.isEmpty {
            var indices: [Int] = []
            for spec in stage.processes {
                guard let index = state.processes.firstIndex(where: { $0.name == spec.record.name }) else { continue }
                let pid: Int32
                do {
                    pid = try Posix.spawn(spec.request)
                } catch {
                    return .failed("could not start \(spec.record.name): \(error); log: \(spec.record.log)")
                }
                record(pid: pid, at: index)
                indices.append(index)
            }
            persist()
            let outcome = gate(stage, indices: indices)
            if outcome != .ready { return outcome }
        }
        return .ready
    }

    /// Notes `pid` as the process at `index` (and in the instance or address fields).
    private func record(pid: Int32, at index: Int) {
        running[pid] = index
        started.append(pid)
        state.processes[index].pid = pid
        state.processes[index].startTime = Posix.startTime(of: pid)
        let process = state.processes[index]
        switch process.role {
        case .control: state.controlPID = pid
        case .ingress: state.ingressPID = pid
        case .prometheus: break
        case .app, .sidecar:
            if let instance = state.instances.firstIndex(where: { $0.id == process.instance }) {
                if process.role == .app { state.instances[instance].pid = pid } else { state.instances[instance].sidecarPID = pid }
            }
        }
    }

    /// Waits until every process of `stage` passes its probe; fails fast when one exits.
    private func gate(_ stage: LaunchStage, indices: [Int]) -> StartOutcome {
        var pending = indices
        let probes = Dictionary(uniqueKeysWithValues: stage.processes.map { ($0.record.name, $0.probe) })
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(readyTimeout)
        while true {
            if let signal = Posix.waitForSignal(Self.signals, timeoutNanoseconds: 0) { return .interrupted(signal) }
            if reapChildren() { persist() }
            for index in pending {
                let process = state.processes[index]
                if let exit = process.exit {
                    return .failed("\(Self.describe(process)) \(exit) before it was ready\(Self.logHint(process.log))")
                }
            }
            pending.removeAll { index in
                guard let probe = probes[state.processes[index].name], probe.check(timeout: .seconds(1)) else { return false }
                state.processes[index].ready = true
                return true
            }
            if pending.isEmpty {
                persist()
                return .ready
            }
            if Posix.monotonicNanoseconds() >= deadline {
                let process = state.processes[pending[0]]
                let probe = probes[process.name].map { " (\($0.description): no)" } ?? ""
                let others = pending.count > 1 ? " and \(pending.count - 1) more of the \(stage.title)" : ""
                return .failed("\(Self.describe(process))\(others) not ready within \(readyTimeout.meshbedDescription)\(probe)\(Self.logHint(process.log))")
            }
            // Probes are cheap (a connect and a few bytes on this machine): ask again soon.
            if let signal = Posix.waitForSignal(Self.signals, timeoutNanoseconds: 25_000_000) { return .interrupted(signal) }
        }
    }

    // MARK: - Running

    /// Reaps children as they end (SIGCHLD; and every 150 ms in any case), recording crashes,
    /// which are not restarted on their own, and telling the control plane; serves restart
    /// requests (SIGUSR1) until a stop signal arrives.
    private func monitor() -> Int32 {
        while true {
            if let signal = Posix.waitForSignal(Self.handledSignals, timeoutNanoseconds: 150_000_000) {
                if signal == ProcessSignal.userDefined1 {
                    serveRequests()
                } else if signal != ProcessSignal.childEnded {
                    return signal
                }
            }
            if reapChildren(report: true) { persist() }
            if checkRestarted() { persist() }
        }
    }

    // MARK: - Restarting

    /// Serves every pending restart request and answers each.
    private func serveRequests() {
        for (id, request) in RestartChannel.pending(name: state.name, store: store) {
            let answer = restart(request.instances)
            persist()
            if let failure = answer.failure {
                Console.error("meshbed up: restart of \(request.instances.joined(separator: ", ")): \(failure)")
            }
            RestartChannel.acknowledge(id, answer, name: state.name, store: store)
        }
    }

    /// Stops the apps and sidecars of `ids` if they still run (SIGTERM to the process group,
    /// SIGKILL after `restartGrace`), then starts them again from their specs: same ports,
    /// arguments and environment. Their recorded exits are cleared and the new pids recorded.
    private func restart(_ ids: [String]) -> RestartChannel.Acknowledgement {
        let unknown = ids.filter { id in !state.instances.contains { $0.id == id } }
        if !unknown.isEmpty { return .init(restarted: [], failure: "no instance \(unknown.joined(separator: ", ")) in '\(state.name)'") }
        let indices = state.processes.indices.filter { index in
            let process = state.processes[index]
            return (process.role == .app || process.role == .sidecar) && process.instance.map(ids.contains) == true
        }
        // Stop what still runs; SIGCONT so that a paused process can act on SIGTERM.
        let live = indices.compactMap { index in state.processes[index].pid.flatMap { running[$0] == index ? $0 : nil } }
        stopping.formUnion(live)
        defer { stopping.subtract(live) }
        for pid in live {
            for signal in [ProcessSignal.terminate, ProcessSignal.resume] {
                Posix.sendSignal(signal, toGroup: pid)
                Posix.sendSignal(signal, to: pid)
            }
        }
        waitForChildren(live, within: Self.restartGrace)
        for pid in live where running[pid] != nil {
            Posix.sendSignal(ProcessSignal.kill, toGroup: pid)
            Posix.sendSignal(ProcessSignal.kill, to: pid)
        }
        waitForChildren(live, within: .seconds(1))
        if let stuck = live.first(where: { running[$0] != nil }), let index = running[stuck] {
            return .init(restarted: [], failure: "\(Self.describe(state.processes[index])) did not stop")
        }
        // Leftovers of an app killed without its group (grandchildren that hold its port).
        for id in ids { ProcessSweeper.sweep(run: state.runID, carrying: "MESHBED_INSTANCE=\(id)", within: .seconds(1)) }

        var restarted: [String] = []
        for index in indices {  // apps before sidecars: the launch order
            let name = state.processes[index].name
            guard let spec = specs[name] else {
                return .init(restarted: restarted, failure: "no launch spec for \(name)")
            }
            let previous = state.processes[index].pid
            let pid: Int32
            do {
                pid = try Posix.spawn(spec.request)
            } catch {
                return .init(restarted: restarted, failure: "could not start \(name) again: \(error); log: \(spec.record.log)")
            }
            state.processes[index].exit = nil
            state.processes[index].ready = false
            record(pid: pid, at: index)
            awaitingReady[index] = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(readyTimeout)
            Console.out("meshbed up: restarted \(Self.describe(state.processes[index]))\(previous.map { ", was pid \($0)" } ?? "")")
            if let instance = state.processes[index].instance, !restarted.contains(instance) { restarted.append(instance) }
        }
        return .init(restarted: restarted)
    }

    /// Marks restarted processes ready once their probe passes (or gives up on them after
    /// the ready timeout, or when they end). Returns whether any changed.
    private func checkRestarted() -> Bool {
        var changed = false
        for (index, deadline) in awaitingReady {
            let process = state.processes[index]
            if process.exit != nil {
                awaitingReady[index] = nil
            } else if let probe = specs[process.name]?.probe, probe.check(timeout: .milliseconds(200)) {
                state.processes[index].ready = true
                awaitingReady[index] = nil
                changed = true
            } else if Posix.monotonicNanoseconds() >= deadline {
                awaitingReady[index] = nil
                Console.out("meshbed up: restarted \(Self.describe(process)) not ready within \(readyTimeout.meshbedDescription)\(Self.logHint(process.log))")
            }
        }
        return changed
    }

    /// Reaps every ended child and records how it ended. Returns whether any did. With
    /// `report` (once running), an instance whose app or sidecar ended is reported to the
    /// control plane, which stops routing to it at once.
    @discardableResult
    private func reapChildren(report: Bool = false) -> Bool {
        var changed = false
        var down: [String] = []
        while let (pid, status) = Posix.reapAny() {
            guard let index = running.removeValue(forKey: pid) else { continue }
            state.processes[index].exit = status.description
            state.processes[index].ready = false
            changed = true
            let process = state.processes[index]
            if report, process.role == .app || process.role == .sidecar, let instance = process.instance, !down.contains(instance) {
                down.append(instance)
            }
            if report, !stopping.contains(pid) {
                Console.out("meshbed up: \(Self.describe(process)) \(status) (not restarted)\(Self.logHint(process.log))")
            }
        }
        for instance in down { noticeDown(instance) }
        return changed
    }

    /// Tells the control plane that `instance` is down (`POST /v1/instances/ID/down`), so
    /// that no sidecar keeps sending it requests; its sidecar's heartbeats bring it back
    /// once it runs again. Best effort: without an answer, heartbeat expiry still removes it.
    private func noticeDown(_ instance: String) {
        guard let control = state.control,
              let controlIndex = state.processes.firstIndex(where: { $0.role == .control }),
              state.processes[controlIndex].exit == nil
        else { return }
        let path = "/v1/instances/" + instance + "/down"
        if HTTPProbe.status(address: control, path: path, method: "POST", timeout: Self.downNoticeTimeout) != 200 {
            Console.error("meshbed up: could not tell the control plane that \(instance) is down; its heartbeats will time out")
        }
    }

    // MARK: - Stopping

    /// SIGTERM to every child's process group, up to 3 s for them to go, SIGKILL for the
    /// rest, then a sweep for anything else of this run (grandchildren that changed group),
    /// then the run's network namespaces and bridge (`--runtime netns`).
    /// Every child is reaped by the end, and no other process of the run still runs; what
    /// does all the same (a process stuck in the kernel) is returned, to be named, never
    /// passed over: `app web-v1-0 (pid 13)` or `pid 14`.
    private func teardown() -> [String] {
        // Containers go in one engine command (SIGTERM, then SIGKILL a second later); their
        // foreground clients then end on their own.
        if let containers = state.containers { ContainerNetwork.removeContainers(containers) }
        let live = started.reversed().filter { running[$0] != nil }
        for pid in live {
            Posix.sendSignal(ProcessSignal.terminate, toGroup: pid)
            Posix.sendSignal(ProcessSignal.terminate, to: pid)
        }
        waitForChildren(within: .seconds(3))
        for pid in running.keys {
            Posix.sendSignal(ProcessSignal.kill, toGroup: pid)
            Posix.sendSignal(ProcessSignal.kill, to: pid)
        }
        let escaped = ProcessSweeper.sweep(run: state.runID)
        waitForChildren(within: .seconds(2))
        let children = running.values.sorted().map { Self.describe(state.processes[$0]) }
        // Under netns, the namespaces and the bridge go once nothing runs in them; under
        // containers, the pods and the network.
        let network = removeNetwork()
        return children + escaped.filter { running[$0] == nil && Posix.liveness(of: $0).isAlive }.map { "pid \($0)" } + network
    }

    /// Removes the run's network (netns or containers); returns what could not be removed.
    @discardableResult
    private func removeNetwork() -> [String] {
        if let containers = state.containers { return ContainerNetwork.destroy(containers) }
        return state.network.map { NetnsNetwork.destroy($0) } ?? []
    }

    private func waitForChildren(within duration: Duration) {
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(duration)
        while !running.isEmpty && Posix.monotonicNanoseconds() < deadline {
            reapChildren()
            if !running.isEmpty { Posix.sleep(nanoseconds: 10_000_000) }
        }
    }

    /// Reaps (reporting other children's ends) until none of `pids` runs, at most `duration`.
    private func waitForChildren(_ pids: [Int32], within duration: Duration) {
        let deadline = Posix.monotonicNanoseconds() + HTTPProbe.nanoseconds(duration)
        while true {
            reapChildren(report: true)
            if !pids.contains(where: { running[$0] != nil }) || Posix.monotonicNanoseconds() >= deadline { return }
            Posix.sleep(nanoseconds: 10_000_000)
        }
    }

    private func persist() {
        do {
            try store.write(state)
        } catch {
            Console.error("meshbed up: \(error)")
        }
    }

    // MARK: - Messages

    /// `app reviews-v1-0 (pid 123)`, `control plane (pid 12)`.
    static func describe(_ process: ProcessRecord) -> String {
        let what: String
        switch process.role {
        case .control: what = "control plane"
        case .ingress: what = "ingress gateway"
        case .prometheus: what = "Prometheus"
        case .app: what = "app \(process.instance ?? process.name)"
        case .sidecar: what = "sidecar \(process.instance ?? process.name)"
        }
        return what + (process.pid.map { " (pid \($0))" } ?? "")
    }

    /// `; log: PATH (last line: ...)`.
    static func logHint(_ log: String) -> String {
        var hint = "; log: \(log)"
        if let bytes = Posix.readFile(log, limit: 1 << 20) {
            let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            if let last = lines.last(where: { !$0.allSatisfy(\.isWhitespace) }) {
                let text = last.count > 200 ? String(last.prefix(200)) + "..." : String(last)
                hint += " (last line: \(text))"
            }
        }
        return hint
    }
}
