import MeshContainer
import MeshCore
import MeshIO
import MeshNetwork
import MeshTLS
import MeshTopology

/// Everything a supervisor starts for a topology, in order, with every port assigned:
/// the control plane, then the apps, then the sidecars, then the ingress gateway (only the
/// apps with `--no-mesh`), and the state file's first version.
///
/// Command lines (SPEC §5 and the component contracts):
///
///     meshbed control --topology FILE --port P [--ca-dir STATE/NAME/ca]     (--ca-dir with mTLS)
///                     [--otlp-endpoint URL]                                 (`up --otlp-endpoint`)
///     meshbed echo --port P --service S --version V --instance ID [--error-rate PCT] [--latency D]
///                  [--call A,B --outbound 127.0.0.1:PO] [--seed S] --threads 1   (calls only with the mesh)
///     meshbed exec-app --dir TOPOLOGY_DIR -- COMMAND...        ({port} substituted)
///     meshbed proxy --instance ID --service S --version V --control 127.0.0.1:P
///                   --inbound PI --outbound PO --admin PA --app PAPP --app-ready PATH [--seed S]
///     meshbed proxy --gateway --port PING --admin PA --control 127.0.0.1:P [--seed S]
///     meshbed exec-app --dir STATE/NAME/prometheus -- prometheus --config.file=.../prometheus.yml
///                --web.listen-address=127.0.0.1:P --storage.tsdb.path=.../data ...   (`up --prometheus`, last)
///
/// With `seed` (`up --seed N`, a scenario's `seed:`), each process's `--seed S` is
/// `seed(N, for: PROCESS_NAME)`, so splits and error draws replay exactly.
///
/// Every process gets `MESHBED_SUPERVISOR_PID` (it dies with its supervisor),
/// `MESHBED_RUN_ID` and `MESHBED_STATE` (the topology's state directory, `ROOT/NAME`: how
/// `down` tells the topology's processes from any other, `StateDirectory.marker`); apps also get `MESHBED_SERVICE`, `MESHBED_VERSION`, `MESHBED_INSTANCE`,
/// `MESHBED_PORT`, and with the mesh `MESHBED_OUTBOUND` and `http_proxy` (and `HTTP_PROXY`);
/// the user's own apps get their `app.env`.
///
/// Under `--runtime netns` (`network`) each app and sidecar runs as `ip netns exec
/// NAMESPACE …` on its instance's address. Under `--runtime container` (`containers`) every
/// process but Prometheus is `meshbed exec-app -- ENGINE run --rm … IMAGE ARGS…`
/// (`ContainerRun.runArguments`): apps and sidecars in their instance's pod, the control
/// plane and the ingress gateway on addresses of their own; the variables reach the
/// container by name (`-e NAME`), and its meshbed watches the supervisor
/// (`MESHBED_SUPERVISOR_WATCH=PID:START`) since its parent is the engine's monitor. There the
/// control plane and the apps start in one stage, the sidecars and the gateway in the next
/// (a container takes a while to start; neither needs the other).
///
/// With mTLS (`mesh.mtls` strict or permissive) and a `caSecret`, the control plane gets
/// `MESHBED_CA_SECRET` and `--ca-dir` (where the topology's root is kept, unless `mesh.ca`
/// pins one), and each sidecar and the ingress gateway gets `MESHBED_BOOTSTRAP_TOKEN`, its own
/// token (`BootstrapToken`): environments are readable by the same user only, command lines
/// by everyone.
public struct LaunchPlan: Sendable, Equatable {
    /// The state file as the supervisor first writes it (phase `starting`, no pids yet).
    public var state: MeshState
    /// The stages, in start order.
    public var stages: [LaunchStage]

    /// The echo app's health check (answered 200 at once whatever its behavior), which
    /// readiness probes and the sidecar's app health use for echo apps.
    public static let echoHealthPath = "/healthz"

    /// The loopback address of `port`.
    public static func loopback(_ port: Int) -> String { "127.0.0.1:\(port)" }

    /// How many free ports `init` needs for `topology` (with `netns`, none per instance:
    /// each has an address of its own and the fixed ports of `NetnsPlan`; with `container`,
    /// the control plane and the ingress gateway too, less the ingress's published port).
    public static func portCount(for topology: Topology, mesh: Bool, prometheus: Bool = false, netns: Bool = false,
                                 container: Bool = false) -> Int {
        let instances = netns || container ? 0 : topology.instances.count
        guard mesh else { return instances }
        return (container ? 0 : 2) + (topology.ingress.port == 0 ? 1 : 0) + 4 * instances + (prometheus ? 1 : 0)
    }

    /// The plan for `topology` read from `file` (absolute). `ports` holds `portCount`
    /// distinct free ports; `environment` is the supervisor's own (children inherit it,
    /// less any stale `MESHBED_*`).
    public init(
        topology: Topology, file: String, mesh: Bool, executable: String, stateDirectory: StateDirectory,
        runID: String, supervisorPID: Int32, ports: [Int], environment: [String: String], seed: UInt64? = nil,
        caSecret: String? = nil, prometheus: String? = nil, otlpEndpoint: String? = nil, network: NetnsPlan? = nil,
        ipExecutable: String = "ip", containers: ContainerRun? = nil, supervisorStartTime: UInt64 = 0
    ) {
        let prometheus = mesh ? prometheus : nil
        precondition(containers == nil || network != nil, "LaunchPlan: containers need their network")
        precondition(ports.count == Self.portCount(for: topology, mesh: mesh, prometheus: prometheus != nil,
                                                   netns: network != nil && containers == nil, container: containers != nil),
                     "LaunchPlan: wrong number of ports")
        var nextPort = ports.makeIterator()
        func take() -> Int { nextPort.next()! }
        let name = topology.name
        let directory = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let inherited = environment.filter { !$0.key.hasPrefix("MESHBED_") }
        let common = [("MESHBED_SUPERVISOR_PID", String(supervisorPID)), ("MESHBED_RUN_ID", runID),
                      ("MESHBED_STATE", stateDirectory.directory(of: name))]
        /// `instance`'s network namespace (`--runtime netns`), where its processes run.
        func namespace(_ instance: String?) -> String? { instance.flatMap { network?.host(of: $0)?.namespace } }
        /// How a process runs in its container (`--runtime container`).
        struct Boxing {
            var placement: ContainerRun.Placement
            var volumes: [String] = []
            var capabilities: [String] = []
        }
        func spec(_ processName: String, _ role: ProcessRecord.Role, instance: String? = nil, executable program: String = executable,
                  arguments: [String], env extra: [(String, String)] = [], box: Boxing? = nil, probe: ReadinessProbe) -> ProcessSpec {
            let log = stateDirectory.logPath(of: name, process: processName)
            var extra = extra
            var program = program
            var arguments = arguments
            if let containers, let box {
                // `ENGINE run … IMAGE ARGUMENTS` in the foreground, through exec-app (which dies with the
                // supervisor); its meshbed watches the supervisor instead (`MESHBED_SUPERVISOR_WATCH`).
                extra.append((Posix.supervisorWatchVariable, "\(supervisorPID):\(supervisorStartTime)"))
                let passed = ["MESHBED_RUN_ID", "MESHBED_STATE"] + extra.map(\.0)
                arguments = ["exec-app", "--", containers.executable]
                    + containers.runArguments(processName, placement: box.placement, environment: passed, volumes: box.volumes,
                                              capabilities: box.capabilities, arguments: arguments)
                program = executable
            } else if let namespace = namespace(instance) {
                // In its instance's namespace: `ip netns exec NAMESPACE PROGRAM …` (ip execs it: the same pid).
                arguments = NetnsNetwork.exec(in: namespace, [program] + arguments)
                program = ipExecutable
            }
            let overridden = Set(extra.map(\.0))
            let base = inherited.filter { !overridden.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let request = SpawnRequest(executable: program, arguments: arguments,
                                       environment: base + (common + extra).map { "\($0.0)=\($0.1)" }, outputPath: log)
            return ProcessSpec(record: ProcessRecord(name: processName, role: role, instance: instance, log: log),
                               request: request, probe: probe)
        }

        /// The bootstrap token of `instance` (mTLS only).
        let mtls = mesh && topology.mesh.mtls != .disabled ? caSecret : nil
        func token(_ instance: String) -> [(String, String)] {
            guard let mtls else { return [] }
            return [("MESHBED_BOOTSTRAP_TOKEN", (try? BootstrapToken.token(secret: mtls, instance: instance)) ?? "")]
        }

        var control: String?
        var ingress: String?
        var ingressAdmin: String?
        if mesh {
            if containers != nil, let network, let controlAddress = network.controlAddress, let ingressAddress = network.ingressAddress {
                // Containers with addresses of their own; the ingress published on a host loopback port.
                control = "\(controlAddress):\(ContainerRun.controlPort)"
                ingressAdmin = "\(ingressAddress):\(NetnsPlan.adminPort)"
            } else {
                // Under netns the control plane listens on the bridge's address, where every namespace reaches it.
                control = network.map { "\($0.gateway):\(take())" } ?? Self.loopback(take())
                ingressAdmin = Self.loopback(take())
            }
            ingress = Self.loopback(topology.ingress.port == 0 ? take() : topology.ingress.port)
        }
        /// An instance's processes share its pod.
        let podBox = { (instance: String) in network?.host(of: instance).map { Boxing(placement: .pod($0.namespace)) } }

        var instances: [InstanceState] = []
        var apps: [ProcessSpec] = []
        var sidecars: [ProcessSpec] = []
        for instance in topology.instances {
            guard let service = topology.services[instance.service], let version = service.versions[instance.version] else { continue }
            // Its own address and the fixed ports under netns; loopback and free ports otherwise.
            let host = network?.host(of: instance.id)
            func address(_ port: Int) -> String { host.map { "\($0.address):\(port)" } ?? Self.loopback(port) }
            let appPort = host == nil ? take() : NetnsPlan.appPort
            var state = InstanceState(id: instance.id, service: instance.service, version: instance.version, index: instance.index,
                                      identity: instance.identity, app: address(appPort), custom: service.app != nil,
                                      readyPath: service.app.map(\.ready) ?? Self.echoHealthPath)
            if mesh {
                state.inbound = address(host == nil ? take() : NetnsPlan.inboundPort)
                state.outbound = address(host == nil ? take() : NetnsPlan.outboundPort)
                state.admin = address(host == nil ? take() : NetnsPlan.adminPort)
            }
            var env: [(String, String)] = [
                ("MESHBED_SERVICE", instance.service), ("MESHBED_VERSION", instance.version),
                ("MESHBED_INSTANCE", instance.id), ("MESHBED_PORT", String(appPort)),
            ]
            if let outbound = state.outbound {
                env += [("MESHBED_OUTBOUND", outbound), ("http_proxy", "http://\(outbound)"), ("HTTP_PROXY", "http://\(outbound)")]
            }
            let appName = "\(instance.id).app"
            if let app = service.app {
                env += app.environment(port: appPort).map { ($0.key, $0.value) }
                let arguments = ["exec-app", "--dir", directory.isEmpty ? "/" : directory, "--"] + app.arguments(port: appPort)
                apps.append(spec(appName, .app, instance: instance.id, arguments: arguments, env: env, probe: state.appProbe))
            } else {
                var arguments = ["echo", "--port", String(appPort), "--service", instance.service, "--version", instance.version,
                                 "--instance", instance.id]
                if version.behavior.errorRate > 0 { arguments += ["--error-rate", Self.number(version.behavior.errorRate)] }
                if version.behavior.latency > .zero { arguments += ["--latency", version.behavior.latency.meshbedDescription] }
                if let outbound = state.outbound {
                    // Without the mesh there is no sidecar to call through: the calls are left out.
                    if !version.calls.isEmpty { arguments += ["--call", version.calls.joined(separator: ",")] }
                    arguments += ["--outbound", outbound]
                }
                if let seed { arguments += ["--seed", String(Self.seed(seed, for: appName))] }
                if let host { arguments += ["--bind", host.address] }
                arguments += ["--threads", "1"]
                apps.append(spec(appName, .app, instance: instance.id, arguments: arguments, env: env, box: podBox(instance.id),
                                 probe: state.appProbe))
            }
            if mesh, let control, let inbound = state.inbound, let outbound = state.outbound, let admin = state.admin {
                let arguments = ["proxy", "--instance", instance.id, "--service", instance.service, "--version", instance.version,
                                 "--control", control, "--inbound", Self.port(inbound), "--outbound", Self.port(outbound),
                                 "--admin", Self.port(admin), "--app", String(appPort), "--app-ready", state.readyPath ?? "/"]
                    + (seed.map { ["--seed", String(Self.seed($0, for: "\(instance.id).sidecar"))] } ?? [])
                    + (host.map { ["--bind", $0.address] } ?? [])
                // In a container, also named by its instance (as apps are), for process faults and restarts.
                let named = containers == nil ? [] : [("MESHBED_INSTANCE", instance.id)]
                sidecars.append(spec("\(instance.id).sidecar", .sidecar, instance: instance.id, arguments: arguments,
                                     env: token(instance.id) + named, box: podBox(instance.id),
                                     probe: .http(address: admin, path: "/ready", accepts: 200...200)))
            }
            instances.append(state)
        }

        var stages: [LaunchStage] = []
        var controlStage: [ProcessSpec] = []
        if let control {
            var arguments = ["control", "--topology", file, "--port", Self.port(control)]
            if let network {
                arguments += ["--bind", network.controlAddress ?? network.gateway, "--netns", Self.networkFile(stateDirectory, name)]
            }
            var env: [(String, String)] = []
            if let mtls {
                arguments += ["--ca-dir", stateDirectory.directory(of: name) + "/ca"]
                env.append(("MESHBED_CA_SECRET", mtls))
            }
            if let otlpEndpoint { arguments += ["--otlp-endpoint", otlpEndpoint] }
            // Its own container: the topology's directory read-only, the state directory (the CA,
            // the network plan), and what putting packet filters into the pods' namespaces takes.
            let box = network?.controlAddress.map { address in
                Boxing(placement: .own(address: address, published: []),
                       volumes: [ContainerRun.mount(directory.isEmpty ? "/" : directory, writable: false),
                                 ContainerRun.mount(stateDirectory.directory(of: name), writable: true), ContainerRun.namespacesVolume],
                       capabilities: ["NET_ADMIN", "SYS_ADMIN"])
            }
            let controlSpec = spec("control", .control, arguments: arguments, env: env, box: box,
                                   probe: .http(address: control, path: "/v1/instances", accepts: 200...200))
            controlStage = [controlSpec]
        }
        if containers != nil, !controlStage.isEmpty {
            // A container takes a while to start: the apps, which need no control plane, start beside it.
            stages.append(LaunchStage(title: "control plane and apps", processes: controlStage + apps))
        } else {
            if !controlStage.isEmpty { stages.append(LaunchStage(title: "control plane", processes: controlStage)) }
            stages.append(LaunchStage(title: "apps", processes: apps))
        }
        if mesh, let control, let ingress, let ingressAdmin {
            // In a container: on its own address, its port published on the host's loopback.
            let box = network?.ingressAddress.map { address in
                Boxing(placement: .own(address: address, published: [(Int(Self.port(ingress)) ?? 0, ContainerRun.ingressPort)]))
            }
            let port = box == nil ? Self.port(ingress) : String(ContainerRun.ingressPort)
            let arguments = ["proxy", "--gateway", "--port", port, "--admin", Self.port(ingressAdmin), "--control", control]
                + (seed.map { ["--seed", String(Self.seed($0, for: "ingress"))] } ?? [])
                + (network?.ingressAddress.map { ["--bind", $0] } ?? [])
            let gateway = spec("ingress", .ingress, arguments: arguments, env: token(Topology.ingressCaller), box: box,
                               probe: .http(address: ingressAdmin, path: "/ready", accepts: 200...200))
            if containers != nil {
                // It needs only the control plane: it starts beside the sidecars.
                stages.append(LaunchStage(title: "sidecars and ingress gateway", processes: sidecars + [gateway]))
            } else {
                stages.append(LaunchStage(title: "sidecars", processes: sidecars))
                stages.append(LaunchStage(title: "ingress gateway", processes: [gateway]))
            }
        }
        var prometheusAddress: String?
        if let prometheus {
            let address = Self.loopback(take())
            prometheusAddress = address
            let directory = stateDirectory.prometheusDirectory(of: name)
            let arguments = ["--config.file=\(directory)/prometheus.yml", "--web.listen-address=\(address)",
                             "--storage.tsdb.path=\(directory)/data", "--storage.tsdb.retention.time=1d", "--log.level=warn"]
            stages.append(LaunchStage(title: "prometheus", processes: [
                // Through exec-app, which asks for SIGKILL when the supervisor dies and then execs it.
                spec("prometheus", .prometheus, arguments: ["exec-app", "--dir", directory, "--", prometheus] + arguments,
                     probe: .http(address: address, path: "/-/ready", accepts: 200...200)),
            ]))
        }
        self.stages = stages
        self.state = MeshState(name: name, file: file, runID: runID, supervisorPID: supervisorPID, mesh: mesh,
                               control: control, ingress: ingress, ingressAdmin: ingressAdmin, instances: instances,
                               processes: stages.flatMap { $0.processes.map(\.record) })
        self.state.prometheus = prometheusAddress
        self.state.network = network
        self.state.containers = containers
    }

    /// Where `up --runtime netns` writes the network plan the control plane reads (`--netns`).
    public static func networkFile(_ stateDirectory: StateDirectory, _ name: String) -> String {
        stateDirectory.directory(of: name) + "/network.json"
    }

    /// The seed of process `name` in a run seeded with `seed`: FNV-1a of the name, mixed
    /// with the seed (the same for every run with that seed, different per process).
    public static func seed(_ seed: UInt64, for name: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        var mixed = seed ^ hash
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// The port of `127.0.0.1:P`.
    static func port(_ address: String) -> String {
        String(address.split(separator: ":").last ?? "")
    }

    /// `20`, `12.5`: a percentage as the echo app's `--error-rate` reads it.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
