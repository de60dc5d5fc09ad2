import MeshContainer
import MeshNetwork

/// The state file of one topology, `STATE_DIR/NAME/state.json`: what its supervisor
/// started, where everything listens, and how far it got. The supervisor writes it (whole,
/// atomically) at every change; `up --detach`, `down` and `status` read it.
public struct MeshState: Codable, Sendable, Equatable {
    /// How far the topology got.
    public enum Phase: String, Codable, Sendable, Equatable {
        /// Processes are being started and gated.
        case starting
        /// Every process passed its readiness gate.
        case ready
        /// Some process did not become ready; everything was stopped (see `failure`).
        case failed
        /// Torn down on request (`down`, Ctrl-C, SIGTERM).
        case stopped
    }

    /// The topology's name.
    public var name: String
    /// The topology file, as an absolute path.
    public var file: String
    /// Unique per `up`; every process of the run carries it as `MESHBED_RUN_ID`, so `down`
    /// finds stragglers (even grandchildren) without trusting pids that may be reused.
    public var runID: String
    /// The process that started everything and tears it down.
    public var supervisorPID: Int32
    /// The supervisor's start time (`Posix.startTime`): with the pid, it names the process
    /// for good (nil in state files of older builds).
    public var supervisorStartTime: UInt64?
    /// How far it got.
    public var phase: Phase
    /// False with `up --no-mesh`: only the apps run (no control plane, sidecars or ingress).
    public var mesh: Bool
    /// The control plane's address, `127.0.0.1:P` (nil without the mesh).
    public var control: String?
    /// The control plane's pid once started.
    public var controlPID: Int32?
    /// The ingress gateway's address (nil without the mesh).
    public var ingress: String?
    /// The ingress gateway's admin address.
    public var ingressAdmin: String?
    /// The ingress gateway's pid once started.
    public var ingressPID: Int32?
    /// The Prometheus server `up --prometheus` started (`127.0.0.1:P`), if any.
    public var prometheus: String?
    /// Every instance, in the topology's order.
    public var instances: [InstanceState]
    /// Every process the supervisor starts, in start order, with its log and fate.
    public var processes: [ProcessRecord]
    /// Why the topology failed to start (phase `failed`).
    public var failure: String?
    /// The bridge and namespaces of `--runtime netns` (nil: every process on this machine's
    /// loopback, `--runtime process`).
    public var network: NetnsPlan?

    /// The engine, image and names of `--runtime container` (with `network`: the addresses
    /// and namespaces of its pods); nil for the other runtimes.
    public var containers: ContainerRun?

    /// `process`, `netns` or `container`.
    public var runtime: String { containers != nil ? "container" : network == nil ? "process" : "netns" }

    public init(
        name: String, file: String, runID: String, supervisorPID: Int32, phase: Phase = .starting, mesh: Bool = true,
        control: String? = nil, controlPID: Int32? = nil, ingress: String? = nil, ingressAdmin: String? = nil,
        ingressPID: Int32? = nil, instances: [InstanceState] = [], processes: [ProcessRecord] = [], failure: String? = nil
    ) {
        self.name = name
        self.file = file
        self.runID = runID
        self.supervisorPID = supervisorPID
        self.phase = phase
        self.mesh = mesh
        self.control = control
        self.controlPID = controlPID
        self.ingress = ingress
        self.ingressAdmin = ingressAdmin
        self.ingressPID = ingressPID
        self.instances = instances
        self.processes = processes
        self.failure = failure
    }

    /// Every sidecar's admin address: each instance's (with its instance, named by its id),
    /// then the ingress gateway's (named `ingress`).
    public var sidecarAdmins: [(name: String, instance: InstanceState?, admin: String)] {
        var admins = instances.compactMap { instance in instance.admin.map { (instance.id, Optional(instance), $0) } }
        if let ingressAdmin { admins.append(("ingress", nil, ingressAdmin)) }
        return admins
    }

    /// Every pid recorded: control plane, ingress, apps, sidecars (not the supervisor).
    public var childPIDs: [Int32] {
        var pids = processes.compactMap(\.pid)
        pids += [controlPID, ingressPID].compactMap { $0 }
        pids += instances.flatMap { [$0.pid, $0.sidecarPID].compactMap { $0 } }
        var seen: Set<Int32> = []
        return pids.filter { seen.insert($0).inserted }
    }

    /// The start time recorded for each child pid (`ProcessRecord.startTime`).
    public var startTimes: [Int32: UInt64] {
        var times: [Int32: UInt64] = [:]
        for process in processes {
            if let pid = process.pid, let time = process.startTime { times[pid] = time }
        }
        return times
    }
}
