import MeshIO

/// Makes and removes the network of a `NetnsPlan` with iproute2's `ip` (a few batches, not
/// one command per link), and finds what a run left behind when its supervisor was killed.
/// Needs root: bridges and namespaces need CAP_NET_ADMIN and CAP_SYS_ADMIN.
public enum NetnsNetwork {
    /// Where `ip` is looked for (root's PATH may lack the sbin directories).
    public static let directories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    public static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
    /// Held while a subnet is chosen and its bridge made, so two topologies starting at
    /// once never pick the same one.
    static let lockPath = "/tmp/meshbed-netns.lock"
    public static let commandTimeout: UInt64 = 10_000_000_000

    /// Why this machine cannot run `--runtime netns`, or nil when it can.
    public static func unavailableReason() -> String? {
        if Posix.effectiveUserID() != 0 {
            return "network namespaces and bridges need root (CAP_NET_ADMIN); run as root or use --runtime process"
        }
        if ip == nil { return "needs iproute2's 'ip' (apt-get install iproute2)" }
        return nil
    }

    /// The `ip` executable.
    public static var ip: String? { Posix.findExecutable("ip", in: directories) }

    /// The command line that runs `arguments` inside `namespace`: `ip netns exec NAMESPACE …`.
    public static func exec(in namespace: String, _ arguments: [String]) -> [String] {
        ["netns", "exec", namespace] + arguments
    }

    /// Chooses a free /24 and makes the bridge, a namespace per instance and their veth
    /// pairs; on a failure removes what it made and throws.
    public static func create(runID: String, instances: [(id: String, service: String)]) throws(NetworkError) -> NetnsPlan {
        if let reason = unavailableReason() { throw NetworkError("--runtime netns: \(reason)") }
        guard instances.count <= NetnsPlan.maxInstances else {
            throw NetworkError("--runtime netns: at most \(NetnsPlan.maxInstances) instances fit one network, the topology has \(instances.count)")
        }
        let lock = try takeLock()
        defer { Posix.close(lock) }
        let inUse = try usedNetworks()
        guard let subnet = NetnsPlan.freeSubnet(runID: runID, inUse: inUse) else {
            throw NetworkError("--runtime netns: every /24 from 10.200.0.0 to 10.255.255.0 overlaps an address or route of this machine")
        }
        let plan = NetnsPlan(runID: runID, instances: instances, subnet: subnet)
        do {
            try batch(plan.createScript)
            for host in plan.hosts { try batch(plan.namespaceScript(host), namespace: host.namespace) }
        } catch {
            _ = destroy(plan)
            throw NetworkError("--runtime netns: could not make the network: \(error.message)")
        }
        return plan
    }

    /// Removes everything of `plan` there still is; returns what could not be removed.
    @discardableResult
    public static func destroy(_ plan: NetnsPlan) -> [String] {
        guard unavailableReason() == nil else { return [] }
        try? batch(plan.destroyScript, force: true)
        return sweep(tag: plan.tag)  // what the plan did not name, or could not remove
    }

    /// Removes every namespace and link carrying `tag` (a killed supervisor's, found from
    /// its state file); returns what could not be removed.
    @discardableResult
    public static func sweep(tag: String) -> [String] {
        guard unavailableReason() == nil, tag.count == 8 else { return [] }
        let (namespaces, links) = owned(tag: tag)
        guard !namespaces.isEmpty || !links.isEmpty else { return [] }
        // veth ends first (the bridge's and the pairs' inside a namespace go with them), then the rest.
        let veths = links.filter { $0 != NetnsPlan.prefix + tag }
        let bridges = links.filter { $0 == NetnsPlan.prefix + tag }
        let script = (veths.map { "link del \($0)" } + namespaces.map { "netns del \($0)" } + bridges.map { "link del \($0)" })
            .joined(separator: "\n") + "\n"
        try? batch(script, force: true)
        let (leftNamespaces, leftLinks) = owned(tag: tag)
        return leftNamespaces.map { "network namespace \($0)" } + leftLinks.map { "link \($0)" }
    }

    /// The namespaces and host links carrying `tag`.
    static func owned(tag: String) -> (namespaces: [String], links: [String]) {
        let namespaces = (try? run(["netns", "list"]))?.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.map(String.init)
        } ?? []
        let links = (try? run(["-o", "link", "show"]))?.split(separator: "\n").compactMap { line -> String? in
            // `12: mb1a2b3c4dv0@if2: <BROADCAST,...`
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            return String((fields[1].split(separator: "@").first ?? "").filter { $0 != ":" })
        } ?? []
        return (namespaces.filter { NetnsPlan.isOwned($0, tag: tag) }, links.filter { NetnsPlan.isOwned($0, tag: tag) })
    }

    /// The host's IPv4 addresses and routes, `A.B.C.D/N`.
    public static func usedNetworks() throws(NetworkError) -> [String] {
        do {
            let addresses = try run(["-4", "-o", "addr", "show"]).split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                guard let inet = fields.firstIndex(of: "inet"), inet + 1 < fields.count else { return nil }
                return String(fields[inet + 1])
            }
            let routes = try run(["-4", "route", "show", "table", "all"]).split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                var destination = fields.first.map(String.init)
                if let type = destination, ["local", "broadcast", "unicast", "multicast"].contains(type) {
                    destination = fields.dropFirst().first.map(String.init)
                }
                return destination == "default" ? nil : destination
            }
            return addresses + routes
        } catch {
            throw NetworkError("--runtime netns: cannot read this machine's addresses: \(error.message)")
        }
    }

    /// Takes the lock held while a subnet is chosen and its bridge made (10 s at most); close
    /// the descriptor to let go.
    public static func takeLock() throws(NetworkError) -> Int32 {
        let deadline = Posix.monotonicNanoseconds() + commandTimeout
        while true {
            do {
                if let fd = try Posix.lockExclusively(lockPath) { return fd }
            } catch {
                throw NetworkError("--runtime netns: cannot lock \(lockPath): \(error)")
            }
            if Posix.monotonicNanoseconds() >= deadline { throw NetworkError("--runtime netns: \(lockPath) stayed locked for 10 s") }
            Posix.sleep(nanoseconds: 5_000_000)
        }
    }

    /// Runs `ip -batch` on `script` (in `namespace` with `-n`); `force` goes on past errors.
    static func batch(_ script: String, namespace: String? = nil, force: Bool = false) throws(NetworkError) {
        var arguments = namespace.map { ["-n", $0] } ?? []
        if force { arguments.append("-force") }
        _ = try run(arguments + ["-batch", "-"], input: Array(script.utf8))
    }

    /// `ip ARGUMENTS`' output; throws its failure.
    public static func run(_ arguments: [String], input: [UInt8] = []) throws(NetworkError) -> String {
        guard let ip else { throw NetworkError("no 'ip' executable") }
        let result: CommandResult
        do {
            result = try Posix.runCommand(ip, arguments, environment: environment, input: input, timeoutNanoseconds: commandTimeout)
        } catch {
            throw NetworkError("cannot run ip: \(error)")
        }
        guard result.succeeded else { throw NetworkError(result.failure("ip " + arguments.joined(separator: " "))) }
        return result.output
    }
}
