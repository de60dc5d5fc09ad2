import MeshCore
import MeshIO

/// `meshbed status`: a topology's instances, addresses, readiness and identities, as the
/// SPEC §5 JSON or a table. An instance is ready when its processes run (app, and sidecar
/// with the mesh) and its readiness probe answers: the sidecar's admin `/ready`, or the app
/// itself with `--no-mesh`.
public struct StatusReport: Sendable, Equatable {
    /// One instance and whether it is ready now.
    public struct Entry: Sendable, Equatable {
        public var instance: InstanceState
        public var ready: Bool
        /// How its app ended, if it did.
        public var exit: String?

        public init(instance: InstanceState, ready: Bool, exit: String? = nil) {
            self.instance = instance
            self.ready = ready
            self.exit = exit
        }
    }

    /// The state the report was made from.
    public var state: MeshState
    /// Whether the supervisor runs.
    public var running: Bool
    /// The instances, in the topology's order.
    public var entries: [Entry]

    public init(state: MeshState, running: Bool, entries: [Entry]) {
        self.state = state
        self.running = running
        self.entries = entries
    }

    /// Checks every instance of `state` now (processes alive, probe answers).
    public static func probe(_ state: MeshState) -> StatusReport {
        let entries = state.instances.map { instance in
            let runs = { (pid: Int32?) in pid.map { ProcessSweeper.belongs($0, toRun: state.runID) } ?? false }
            let alive = runs(instance.pid) && (!state.mesh || runs(instance.sidecarPID))
            let ready = alive && instance.readinessProbe.check(timeout: .milliseconds(500))
            let exit = state.processes.first { $0.instance == instance.id && $0.role == .app }?.exit
            return Entry(instance: instance, ready: ready, exit: exit)
        }
        return StatusReport(state: state, running: TopologyLauncher.isSupervising(state), entries: entries)
    }

    /// Runs `status` for `name` (or the only topology) and prints the JSON or the table.
    public static func status(name: String?, json: Bool, stateDirectory: String?) -> Int32 {
        do throws(OrchestratorError) {
            let store = StateDirectory(stateDirectory ?? StateDirectory.defaultPath)
            let name = try store.resolve(name, isRunning: TopologyLauncher.isSupervising)
            guard let state = try store.read(name) else { throw .badInput("no topology '\(name)' in \(store.root)") }
            let report = probe(state)
            Console.out(json ? report.json : report.table)
            return 0
        } catch {
            Console.error("meshbed: \(error.message)")
            return error.exitCode
        }
    }

    /// The SPEC §5 object: `name`, `control`, `ingress`, `instances` (each with `id`,
    /// `service`, `version`, `pid`, `app`, `inbound`, `outbound`, `admin`, `ready`,
    /// `identity`, `certExpiry`); absent values are `null`.
    public var json: String {
        var out: [UInt8] = []
        JSONWriter.object(into: &out) { object in
            object.field("name", string: state.name)
            Self.field(&object, "control", state.control)
            Self.field(&object, "ingress", state.ingress)
            object.field("instances") { array in
                for entry in entries {
                    array.element { item in
                        let instance = entry.instance
                        item.field("id", string: instance.id)
                        item.field("service", string: instance.service)
                        item.field("version", string: instance.version)
                        if let pid = instance.pid { item.field("pid", integer: pid) } else { item.fieldNull("pid") }
                        item.field("app", string: instance.app)
                        Self.field(&item, "inbound", instance.inbound)
                        Self.field(&item, "outbound", instance.outbound)
                        Self.field(&item, "admin", instance.admin)
                        item.field("ready", bool: entry.ready)
                        item.field("identity", string: instance.identity)
                        item.fieldNull("certExpiry")  // workload certificates arrive with mTLS
                    }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A readable table: the topology's phase and addresses, then a row per instance.
    public var table: String {
        let phase = running ? state.phase.rawValue : "\(state.phase == .starting || state.phase == .ready ? "stopped" : state.phase.rawValue) (supervisor gone)"
        var lines = ["\(state.name): \(phase), supervisor pid \(state.supervisorPID)\(state.mesh ? "" : ", apps only (--no-mesh)")"]
        if let failure = state.failure { lines.append("  failure: \(failure)") }
        if let control = state.control { lines.append("  control  \(control)") }
        if let ingress = state.ingress { lines.append("  ingress  \(ingress)") }
        var rows = [["INSTANCE", "PID", "APP", "INBOUND", "OUTBOUND", "ADMIN", "READY", "IDENTITY"]]
        for entry in entries {
            let instance = entry.instance
            let ready = entry.ready ? "yes" : entry.exit.map { "no (\($0))" } ?? "no"
            rows.append([instance.id, instance.pid.map(String.init) ?? "-", instance.app, instance.inbound ?? "-",
                         instance.outbound ?? "-", instance.admin ?? "-", ready, instance.identity])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padded(to: widths[$0.offset]) }
            lines.append(cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    private static func field(_ object: inout JSONWriter, _ name: String, _ value: String?) {
        if let value { object.field(name, string: value) } else { object.fieldNull(name) }
    }
}
