import MeshNetwork

/// A topology run with `--runtime container`: which engine, which image, and the names of
/// everything the run makes (a bridge network, a pod per instance, a container per process),
/// each carrying the run's tag in its name and in the label `io.meshbed.run`, so that what a
/// killed supervisor left is found again and nothing else is ever touched. A value, kept in
/// the state file: the engine command lines are computed here (`ContainerNetwork` and the
/// launch plan run them).
///
/// Podman puts an instance's app and sidecar containers in a pod (its infra container holds
/// the network namespace, as Kubernetes' pause container does); Docker has no pods, so an
/// infra container of the same name holds it and the others join with `--network
/// container:NAME`. Every container shares the host's pid namespace (`--pid host`): its
/// meshbed process watches the supervisor's pid and dies with it (`Posix.watchSupervisor`).
public struct ContainerRun: Codable, Sendable, Equatable {
    /// `podman` or `docker`.
    public var engine: String
    /// The engine's executable.
    public var executable: String
    /// The image every container runs (`meshbed image build`).
    public var image: String
    /// The run's tag (the first eight hex digits of its run id).
    public var tag: String

    /// The label every object of a run carries, with the run's tag as its value.
    public static let label = "io.meshbed.run"
    /// The control plane's port on its own address (istiod's plaintext xDS port).
    public static let controlPort = 15010
    /// The ingress gateway's port on its own address (published on a host loopback port).
    public static let ingressPort = 8080

    public init(engine: ContainerEngine, image: String, tag: String) {
        self.engine = engine.kind.rawValue
        executable = engine.executable
        self.image = image
        self.tag = tag
    }

    /// Whether the engine has pods (Podman).
    public var pods: Bool { engine == ContainerEngine.Kind.podman.rawValue }

    /// The engine this run was made with.
    public var containerEngine: ContainerEngine {
        ContainerEngine(kind: ContainerEngine.Kind(rawValue: engine) ?? .podman, executable: executable)
    }

    /// The bridge network: `mbTAG`, as the netns runtime's bridge.
    public var network: String { NetnsPlan.prefix + tag }

    /// `--label io.meshbed.run=TAG`.
    var labelArguments: [String] { ["--label", "\(Self.label)=\(tag)"] }

    /// The container of process `name` (`reviews-v1-0.app`, `control`): `mb-TAG-reviews-v1-0-app`.
    public func container(_ name: String) -> String {
        "\(NetnsPlan.prefix)-\(tag)-" + String(name.map { $0 == "." ? "-" : $0 })
    }

    /// `network create`: the /24 of `plan`, its first address the host's.
    public func networkCreateArguments(_ plan: NetnsPlan) -> [String] {
        ["network", "create", "--subnet", "\(plan.subnet).0/24", "--gateway", plan.gateway] + labelArguments + [network]
    }

    /// What makes and starts `host`'s pod (Podman) or infra container (Docker), holding its
    /// network namespace at its address; its process is `meshbed infra`, watching `watch`.
    public func infraArguments(_ host: NetnsPlan.Host, watch: String) -> [[String]] {
        let command = ["/usr/bin/meshbed", "infra", "--supervisor", watch]
        if pods {
            return [["pod", "create", "--name", host.namespace, "--infra-name", host.namespace + "-infra", "--network", network,
                     "--ip", host.address, "--pid", "host", "--infra-image", image, "--infra-command", command.joined(separator: " ")]
                        + labelArguments,
                    ["pod", "start", host.namespace]]
        }
        return [["run", "-d", "--name", host.namespace, "--network", network, "--ip", host.address, "--pid", "host"] + labelArguments
                    + [image] + command.dropFirst()]
    }

    /// Where a container sits on the network.
    public enum Placement: Sendable {
        /// In an instance's pod (its namespace, named as the pod).
        case pod(String)
        /// On the network with an address of its own, with host loopback ports published
        /// (`127.0.0.1:HOST:CONTAINER`).
        case own(address: String, published: [(host: Int, container: Int)])
    }

    /// `run` of process `name` in the foreground (its output is the client's; removed when
    /// it ends): the environment variables `environment` passed from the client's own
    /// (values stay off the command line), `volumes` (`-v` specs, `mount(_:writable:)`),
    /// `capabilities` added; `arguments` are meshbed's.
    public func runArguments(
        _ name: String, placement: Placement, environment: [String], volumes: [String] = [],
        capabilities: [String] = [], arguments: [String]
    ) -> [String] {
        var run = ["run", "--rm", "--name", container(name), "--pid", "host"] + labelArguments
        switch placement {
        case .pod(let pod):
            run += pods ? ["--pod", pod] : ["--network", "container:\(pod)"]
        case .own(let address, let published):
            run += ["--network", network, "--ip", address]
            for port in published { run += ["-p", "127.0.0.1:\(port.host):\(port.container)"] }
        }
        for variable in environment { run += ["-e", variable] }
        for volume in volumes { run += ["-v", volume] }
        for capability in capabilities { run += ["--cap-add", capability] }
        return run + [image] + arguments
    }

    /// `path` of the host at the same path in the container.
    public static func mount(_ path: String, writable: Bool) -> String {
        "\(path):\(path):\(writable ? "rw" : "ro")"
    }

    /// The volume that lets a container enter the instances' namespaces by name (`ip netns
    /// exec`), following the names made after it started.
    public static let namespacesVolume = "/run/netns:/run/netns:rslave"
}
