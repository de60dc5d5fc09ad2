import MeshIO
import MeshNetwork

/// Makes and removes what a `--runtime container` run needs before its first process: the
/// bridge network on a free /24 (the netns runtime's choice, also clear of the engine's
/// other networks) and a pod (or infra container) per instance holding its network
/// namespace, started at once, each namespace then named `mb-TAG-INSTANCE` with `ip netns
/// attach` so the control plane loads packet filters into it as under netns. Removes them
/// by the run's label, also what a killed supervisor left. Needs root.
public enum ContainerNetwork {
    /// How long the engine gets for the whole network (pods start at once).
    static let timeout: UInt64 = 120

    /// The most instances a run holds: the /24 less the host's, the control plane's and
    /// the ingress gateway's addresses.
    public static let maxInstances = NetnsPlan.maxInstances - 2

    /// Why this machine cannot run `--runtime container`, or nil when it can (the engine is
    /// looked for when a topology starts).
    public static func unavailableReason() -> String? {
        if Posix.effectiveUserID() != 0 {
            return "containers on a bridge network of their own need root (rootful Podman or Docker); run as root or use --runtime process"
        }
        if NetnsNetwork.ip == nil { return "needs iproute2's 'ip' (apt-get install iproute2)" }
        return nil
    }

    /// Makes the network and every instance's namespace for run `run` (id `runID`), whose
    /// processes watch `watch` (`Posix.supervisorWatch`); on a failure removes what it made.
    public static func create(
        _ run: ContainerRun, runID: String, instances: [(id: String, service: String)], watch: String
    ) throws(ContainerError) -> NetnsPlan {
        if let reason = unavailableReason() { throw ContainerError("--runtime container: \(reason)") }
        guard instances.count <= maxInstances else {
            throw ContainerError("--runtime container: at most \(maxInstances) instances fit one network, the topology has \(instances.count)")
        }
        let engine = run.containerEngine
        // Under the netns runtime's lock: the subnet is taken once the bridge exists.
        let lock: Int32
        do {
            lock = try NetnsNetwork.takeLock()
        } catch {
            throw ContainerError("--runtime container: \(error.message)")
        }
        defer { Posix.close(lock) }
        let inUse: [String]
        do {
            inUse = try NetnsNetwork.usedNetworks() + engineSubnets(engine)
        } catch {
            throw ContainerError("--runtime container: \(error.message)")
        }
        guard let subnet = NetnsPlan.freeSubnet(runID: runID, inUse: inUse) else {
            throw ContainerError("--runtime container: every /24 from 10.200.0.0 to 10.255.255.0 overlaps an address, route or network of this machine")
        }
        var plan = NetnsPlan(runID: runID, instances: instances, subnet: subnet)
        plan.controlAddress = subnet + ".254"
        plan.ingressAddress = subnet + ".253"
        do {
            _ = try engine.run(run.networkCreateArguments(plan), timeout: timeout)
            for wave in 0..<(run.pods ? 2 : 1) {
                try engine.runAll(plan.hosts.map { run.infraArguments($0, watch: watch)[wave] }, timeout: timeout)
            }
            try attach(plan, run)
        } catch {
            destroy(run)
            throw ContainerError("--runtime container: could not make the network: \(error.message)")
        }
        return plan
    }

    /// Names each instance's namespace as `plan` does (`ip netns attach NAME PID`, the pid of
    /// its infra process).
    static func attach(_ plan: NetnsPlan, _ run: ContainerRun) throws(ContainerError) {
        let names = plan.hosts.map { run.pods ? $0.namespace + "-infra" : $0.namespace }
        let output = try run.containerEngine.run(["inspect", "--format", "{{.Name}} {{.State.Pid}}"] + names, timeout: timeout)
        var pids: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            pids[String(fields[0].drop { $0 == "/" })] = String(fields[1])
        }
        let script = zip(plan.hosts, names).map { host, name in "netns attach \(host.namespace) \(pids[name] ?? "0")" }
        do {
            _ = try NetnsNetwork.run(["-batch", "-"], input: Array((script.joined(separator: "\n") + "\n").utf8))
        } catch {
            throw ContainerError("cannot name the pods' network namespaces: \(error.message)")
        }
    }

    /// The subnets of the engine's networks, `A.B.C.D/N` (a network without a container has
    /// no bridge on the host yet, so `ip` does not show it).
    static func engineSubnets(_ engine: ContainerEngine) -> [String] {
        if engine.kind == .podman {
            let output = (try? engine.run(["network", "ls", "--format", "{{range .Subnets}}{{.Subnet}} {{end}}"], timeout: timeout)) ?? ""
            return output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        }
        guard let names = try? engine.run(["network", "ls", "--format", "{{.Name}}"], timeout: timeout) else { return [] }
        let list = names.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard !list.isEmpty else { return [] }
        // Docker's `network ls` has no subnets: they are in `network inspect`.
        let output = (try? engine.run(["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}"] + list, timeout: timeout)) ?? ""
        return output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// Removes everything of `run` there still is (containers, pods, the network, the
    /// namespace names); returns what could not be removed.
    @discardableResult
    public static func destroy(_ run: ContainerRun) -> [String] {
        sweep(run.containerEngine, tag: run.tag)
    }

    /// Removes every container of `run` in one engine command (each gets SIGTERM, and
    /// SIGKILL a second later): faster than each foreground client removing its own.
    public static func removeContainers(_ run: ContainerRun) {
        removeContainers(run.containerEngine, tag: run.tag)
    }

    static func removeContainers(_ engine: ContainerEngine, tag: String) {
        let containers = list(engine, ["ps", "-a", "-q"], tag: tag)
        if !containers.isEmpty {
            _ = try? engine.run(["rm", "-f"] + (engine.kind == .podman ? ["-t", "1"] : []) + containers, timeout: timeout)
        }
    }

    /// The lines `ENGINE ARGUMENTS --filter label=io.meshbed.run=TAG` prints.
    static func list(_ engine: ContainerEngine, _ arguments: [String], tag: String) -> [String] {
        let filter = ["--filter", "label=\(ContainerRun.label)=\(tag)"]
        return ((try? engine.run(arguments + filter, timeout: timeout)) ?? "").split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Removes every container, pod and network labelled with `tag`, and the namespace
    /// names carrying it; returns what could not be removed.
    @discardableResult
    public static func sweep(_ engine: ContainerEngine, tag: String) -> [String] {
        guard tag.count == 8, tag.allSatisfy(\.isHexDigit) else { return [] }
        func list(_ arguments: [String]) -> [String] { Self.list(engine, arguments, tag: tag) }
        removeContainers(engine, tag: tag)
        if engine.kind == .podman {
            let pods = list(["pod", "ls", "-q"])
            if !pods.isEmpty { _ = try? engine.run(["pod", "rm", "-f", "-t", "1"] + pods, timeout: timeout) }
        }
        let networks = list(["network", "ls", "-q"])
        if !networks.isEmpty { _ = try? engine.run(["network", "rm"] + (engine.kind == .podman ? ["-f"] : []) + networks, timeout: timeout) }
        let names = NetnsNetwork.sweep(tag: tag)
        let left = list(["ps", "-a", "--format", "{{.Names}}"]).map { "container \($0)" }
            + (engine.kind == .podman ? list(["pod", "ls", "--format", "{{.Name}}"]).map { "pod \($0)" } : [])
            + list(["network", "ls", "--format", "{{.Name}}"]).map { "network \($0)" }
        return left + names
    }
}

extension ContainerEngine {
    /// Runs every command at once (`ENGINE ARGUMENTS` each) and waits for them all; throws
    /// the first failure.
    func runAll(_ commands: [[String]], timeout seconds: UInt64) throws(ContainerError) {
        let results: [CommandResult]
        do {
            results = try Posix.runCommands(commands.map { (executable, $0) }, environment: Self.environment + passedEnvironment,
                                            timeoutNanoseconds: seconds * 1_000_000_000)
        } catch {
            throw ContainerError("cannot run \(kind.rawValue): \(error)")
        }
        for (command, result) in zip(commands, results) where !result.succeeded {
            throw ContainerError(result.failure("\(kind.rawValue) \(command.prefix(2).joined(separator: " "))"))
        }
    }
}
