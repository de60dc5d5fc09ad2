import FoundationEssentials
import MeshCore
import MeshIO

/// `meshbed status NAME`: a topology's overall state, supervisor, instances, addresses,
/// readiness and identities, as JSON (SPEC §5, plus `state`, `supervisorPID`, `runtime`,
/// `stateDir` and `problems`) or a table.
///
/// An instance is ready when its processes run (app, and sidecar with the mesh) and its
/// readiness probe answers: the sidecar's admin `/ready`, or the app itself with `--no-mesh`.
/// A running topology is `ready` when every process runs and every instance is ready, and
/// `degraded` otherwise, with a reason per problem: any dead process counts (control plane,
/// ingress, sidecar or app), with how it ended (`killed by SIGILL`, `exited with status 1`).
public struct StatusReport: Sendable, Equatable {
    /// One instance and whether it is ready now.
    public struct Entry: Sendable, Equatable {
        public var instance: InstanceState
        public var ready: Bool
        /// How its app ended, if it did.
        public var exit: String?
        /// When its sidecar's certificate expires (RFC 3339), with mTLS.
        public var certExpiry: String?
        /// Whether its app or sidecar is stopped (a `pause` fault).
        public var paused: Bool

        public init(instance: InstanceState, ready: Bool, exit: String? = nil, certExpiry: String? = nil, paused: Bool = false) {
            self.instance = instance
            self.ready = ready
            self.exit = exit
            self.certExpiry = certExpiry
            self.paused = paused
        }
    }

    /// Something that keeps a running topology from being ready.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The process (`reviews-v1-0.sidecar`, `control`) or, for an instance that is not
        /// ready though its processes run, the instance (`reviews-v1-0`).
        public var subject: String
        /// Its pid, if a process.
        public var pid: Int32?
        /// What is wrong: `killed by SIGILL`, `exited with status 1`, `is not running`, `not ready (...)`.
        public var reason: String
        /// How the sentence starts: `sidecar reviews-v1-0 (pid 12)`.
        public var label: String

        public init(subject: String, pid: Int32?, reason: String, label: String) {
            self.subject = subject
            self.pid = pid
            self.reason = reason
            self.label = label
        }

        /// `sidecar reviews-v1-0 (pid 12) killed by SIGILL`.
        public var description: String { "\(label) \(reason)" }
    }

    /// A topology's state as a whole.
    public enum Overall: String, Sendable, Equatable {
        /// Its supervisor is starting it.
        case starting
        /// Every process runs and every instance is ready.
        case ready
        /// It runs, but some process died or some instance is not ready (see `problems`).
        case degraded
        /// Its supervisor is gone (stopped on request, or killed).
        case stopped
        /// It could not start.
        case failed
    }

    /// The state the report was made from.
    public var state: MeshState
    /// Whether the supervisor runs.
    public var running: Bool
    /// The instances, in the topology's order.
    public var entries: [Entry]
    /// What keeps it from being ready (only while its supervisor runs).
    public var problems: [Problem]
    /// The state directory (`--state-dir`), if known.
    public var stateDirectory: String?
    /// The faults in force, as the control plane lists them.
    public var faults: [ActiveFault] = []

    /// A fault in force: its id and its flow form (`{kind: abort, to: ratings, status: 503}`).
    public struct ActiveFault: Sendable, Equatable {
        public var id: String
        public var spec: String

        public init(id: String, spec: String) {
            self.id = id
            self.spec = spec
        }
    }

    public init(state: MeshState, running: Bool, entries: [Entry], problems: [Problem] = [], stateDirectory: String? = nil) {
        self.state = state
        self.running = running
        self.entries = entries
        self.problems = problems
        self.stateDirectory = stateDirectory
    }

    /// The topology's state as a whole (see `Overall`).
    public var overall: Overall {
        guard running else { return state.phase == .failed ? .failed : .stopped }
        switch state.phase {
        case .starting: return .starting
        case .failed: return .failed
        case .stopped: return .stopped
        case .ready: return problems.isEmpty && entries.allSatisfy(\.ready) ? .ready : .degraded
        }
    }

    /// How many instances are ready.
    public var readyCount: Int { entries.filter(\.ready).count }

    /// Checks every process and instance of `state` now (alive and ours, probe answers).
    public static func probe(_ state: MeshState, stateDirectory: String? = nil) -> StatusReport {
        let startTimes = state.startTimes
        let runs = { (pid: Int32?) in
            pid.map { ProcessSweeper.isOurs($0, carrying: ["MESHBED_RUN_ID=" + state.runID], startTime: startTimes[$0]) } ?? false
        }
        let running = TopologyLauncher.isSupervising(state)
        let entries = state.instances.map { instance in
            let alive = runs(instance.pid) && (!state.mesh || runs(instance.sidecarPID))
            let ready = alive && instance.readinessProbe.check(timeout: .milliseconds(500))
            let exit = state.processes.first { $0.instance == instance.id && $0.role == .app }?.exit
            let expiry = alive && state.mesh ? instance.admin.flatMap(certificateExpiry(admin:)) : nil
            let paused = alive && [instance.pid, instance.sidecarPID].contains { $0.map(Posix.isStopped) ?? false }
            return Entry(instance: instance, ready: ready, exit: exit, certExpiry: expiry, paused: paused)
        }
        let problems = running ? assess(state, entries: entries, isRunning: { runs($0.pid) }) : []
        var report = StatusReport(state: state, running: running, entries: entries, problems: problems, stateDirectory: stateDirectory)
        if running, let control = state.control, let faults = try? LiveFaults.list(control: control) {
            report.faults = faults.map { ActiveFault(id: $0.id, spec: $0.spec ?? $0.kind) }
        }
        return report
    }

    /// The expiry of the certificate the sidecar at `admin` serves with (its `/certs`), if any.
    static func certificateExpiry(admin: String) -> String? {
        struct Certs: Decodable { var notAfter: String? }
        guard let (status, body) = HTTPProbe.get(address: admin, path: "/certs", timeout: .milliseconds(500)), status == 200 else { return nil }
        return (try? JSONDecoder().decode(Certs.self, from: Data(body)))?.notAfter
    }

    /// The problems of a topology whose supervisor runs: every started process that ended
    /// (with how, as its supervisor recorded it) or that `isRunning` finds gone, then every
    /// instance that is not ready though its processes run. Started processes only: while
    /// the topology starts, the ones to come are not problems.
    public static func assess(_ state: MeshState, entries: [Entry], isRunning: (ProcessRecord) -> Bool) -> [Problem] {
        var problems: [Problem] = []
        var troubled: Set<String> = []
        for process in state.processes where process.pid != nil {
            let reason: String
            if let exit = process.exit {
                reason = exit
            } else if !isRunning(process) {
                reason = "is not running"
            } else {
                continue
            }
            problems.append(Problem(subject: process.name, pid: process.pid, reason: reason, label: Supervisor.describe(process)))
            if let instance = process.instance { troubled.insert(instance) }
        }
        if state.phase == .ready {
            for entry in entries where !entry.ready && !troubled.contains(entry.instance.id) {
                problems.append(Problem(subject: entry.instance.id, pid: nil,
                                        reason: "is not ready (\(entry.instance.readinessProbe.description): no)",
                                        label: "instance \(entry.instance.id)"))
            }
        }
        return problems
    }

    /// Runs `status`: without `name`, the list of running topologies (`StatusList`); with
    /// it, that topology's report (found through the per-user index from any directory).
    public static func status(name: String?, json: Bool, stateDirectory: String?, index: TopologyIndex = .standard()) -> Int32 {
        guard let name else {
            let list = StatusList.gather(index: index, stateDirectory: stateDirectory)
            Console.out(json ? list.json : list.table)
            return 0
        }
        do throws(OrchestratorError) {
            let (store, name) = try StateDirectory.locate(name, stateDirectory: stateDirectory, index: index)
            guard let state = try store.read(name) else { throw .badInput("'\(name)' in \(store.root) has no state file (try 'meshbed down \(name)')") }
            let report = probe(state, stateDirectory: store.root)
            Console.out(json ? report.json : report.table)
            return 0
        } catch {
            Console.error("meshbed: \(error.message)")
            return error.exitCode
        }
    }

    /// The SPEC §5 object: `name`, `state`, `supervisorPID`, `runtime`, `stateDir`,
    /// `control`, `ingress`, `instances` (each with `id`, `service`, `version`, `pid`, `app`,
    /// `inbound`, `outbound`, `admin`, `ready`, `identity`, `certExpiry`, `paused`, and under
    /// `--runtime netns` `namespace`),
    /// `faults` (each with `id`, `spec`) and `problems` (each with `subject`, `pid`,
    /// `reason`, `text`); absent values are `null`.
    public var json: String {
        var out: [UInt8] = []
        JSONWriter.object(into: &out) { object in
            object.field("name", string: state.name)
            object.field("state", string: overall.rawValue)
            object.field("supervisorPID", integer: state.supervisorPID)
            object.field("runtime", string: state.runtime)
            Self.field(&object, "stateDir", stateDirectory)
            Self.field(&object, "control", state.control)
            Self.field(&object, "ingress", state.ingress)
            if let prometheus = state.prometheus { object.field("prometheus", string: prometheus) }
            object.field("instances", array: { array in
                for entry in entries {
                    array.element(object: { item in
                        let instance = entry.instance
                        item.field("id", string: instance.id)
                        item.field("service", string: instance.service)
                        item.field("version", string: instance.version)
                        if let pid = instance.pid { item.field("pid", integer: pid) } else { item.fieldNull("pid") }
                        item.field("app", string: instance.app)
                        Self.field(&item, "inbound", instance.inbound)
                        Self.field(&item, "outbound", instance.outbound)
                        Self.field(&item, "admin", instance.admin)
                        if let network = state.network { Self.field(&item, "namespace", network.host(of: instance.id)?.namespace) }
                        if let containers = state.containers {
                            Self.field(&item, "pod", state.network?.host(of: instance.id)?.namespace)
                            item.field("containers", array: { list in
                                for process in state.processes where process.instance == instance.id { list.element(string: containers.container(process.name)) }
                            })
                        }
                        item.field("ready", bool: entry.ready)
                        item.field("identity", string: instance.identity)
                        Self.field(&item, "certExpiry", entry.certExpiry)
                        item.field("paused", bool: entry.paused)
                    })
                }
            })
            object.field("faults", array: { array in
                for fault in faults {
                    array.element(object: { item in
                        item.field("id", string: fault.id)
                        item.field("spec", string: fault.spec)
                    })
                }
            })
            object.field("problems", array: { array in
                for problem in problems {
                    array.element(object: { item in
                        item.field("subject", string: problem.subject)
                        if let pid = problem.pid { item.field("pid", integer: pid) } else { item.fieldNull("pid") }
                        item.field("reason", string: problem.reason)
                        item.field("text", string: problem.description)
                    })
                }
            })
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A readable table: the topology's state, its problems and addresses, then a row per instance.
    public var table: String {
        let headline: String
        switch overall {
        case .stopped where state.phase == .starting || state.phase == .ready: headline = "stopped (supervisor gone)"
        case .failed where !running && state.phase != .failed: headline = "failed (supervisor gone)"
        default: headline = overall.rawValue
        }
        var lines = ["\(state.name): \(headline), supervisor pid \(state.supervisorPID), runtime \(state.runtime)"
            + (state.mesh ? "" : ", apps only (--no-mesh)")]
        if let failure = state.failure { lines.append("  failure: \(failure)") }
        for problem in problems { lines.append("  problem: \(problem)") }
        if let control = state.control { lines.append("  control  \(control)") }
        if let ingress = state.ingress { lines.append("  ingress  \(ingress)") }
        if let prometheus = state.prometheus { lines.append("  prometheus http://\(prometheus)") }
        if let network = state.network {
            if let containers = state.containers {
                lines.append("  network  \(containers.network) (\(containers.engine) network), \(network.subnet).0/24; image \(containers.image)")
            } else {
                lines.append("  network  bridge \(network.bridge), \(network.subnet).0/24")
            }
        }
        for fault in faults { lines.append("  fault    \(fault.id) \(fault.spec)") }
        var rows = [["INSTANCE", "PID", "APP", "INBOUND", "OUTBOUND", "ADMIN", "READY", "IDENTITY", "CERT EXPIRY"]
            + (state.network == nil ? [] : [state.containers == nil ? "NAMESPACE" : "POD"])]
        for entry in entries {
            let instance = entry.instance
            let ready = entry.ready ? "yes" : entry.paused ? "no (paused)" : entry.exit.map { "no (\($0))" } ?? "no"
            rows.append([instance.id, instance.pid.map(String.init) ?? "-", instance.app, instance.inbound ?? "-",
                         instance.outbound ?? "-", instance.admin ?? "-", ready, instance.identity, entry.certExpiry ?? "-"]
                        + (state.network.map { [$0.host(of: instance.id)?.namespace ?? "-"] } ?? []))
        }
        lines += Self.columns(rows)
        return lines.joined(separator: "\n")
    }

    /// `rows` as aligned columns (the last one unpadded).
    static func columns(_ rows: [[String]]) -> [String] {
        guard let first = rows.first else { return [] }
        let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padded(to: widths[$0.offset]) }
                .joined(separator: "  ")
        }
    }

    private static func field(_ object: inout JSONWriter, _ name: String, _ value: String?) {
        if let value { object.field(name, string: value) } else { object.fieldNull(name) }
    }
}
