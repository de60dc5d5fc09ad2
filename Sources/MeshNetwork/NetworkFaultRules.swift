import MeshConfig

/// The faults a `--runtime netns` network enforces with packet filters in the instances'
/// namespaces instead of in the sidecars: partitions (a packet-level cut of the mesh's
/// connections) and packet loss. A value: each namespace's whole `filter` table as
/// `iptables-restore` reads it, computed from the faults in force (`NetworkFaultFilter`
/// loads them).
///
/// - `partition` from A to B (`to: B`, `from: A`; `between: [A, B]` is both): in each of B's
///   namespaces, every TCP segment from A's addresses to the inbound port (15006) is
///   dropped, so A's new connections never open and A's open ones stall, while B's
///   connections to A (whose segments from A leave port 15006, not arrive at it) still work.
///   From the ingress: from its address (the bridge's, the host's, under netns). Without
///   `from`: from anyone.
/// - `loss` of `percent` to B (`from: A` optional): in each of B's namespaces, that share of
///   the packets arriving on `eth0` from A's addresses (without `from`: from every instance,
///   and the ingress's to the inbound port) is dropped at random, a lossy link into B as
///   netem's loss is on a link's way out (the kernel's draw: not replayed by a seed). The
///   control plane's and the admin port's packets are spared: they are the testbed's
///   management network, not the mesh's.
public enum NetworkFaultRules {
    /// Whether `fault` is enforced by the network rather than by the sidecars: loss, and a
    /// partition without `timeout` (one that closes the open connections is the sidecars':
    /// a packet filter closes nothing).
    public static func isNetworkFault(_ fault: FaultConfig) -> Bool {
        fault.kind == "loss" || (fault.kind == "partition" && fault.timeout == nil)
    }

    /// Each namespace of `plan` with its `filter` table for `faults` (a namespace with no
    /// fault gets an empty table, so clearing a fault is loading tables again).
    public static func tables(_ faults: [FaultConfig], plan: NetnsPlan) -> [String: String] {
        var rules: [String: [String]] = [:]
        for host in plan.hosts { rules[host.namespace] = [] }
        func sources(_ service: String?) -> [String?] {
            guard let service else { return [nil] }
            if service == "ingress" { return [plan.ingressSource] }
            return plan.hosts.filter { $0.service == service }.map(\.address)
        }
        for fault in faults where isNetworkFault(fault) {
            guard let to = fault.to else { continue }
            let comment = "-m comment --comment \"meshbed fault \(fault.id)\""
            switch fault.kind {
            case "partition":
                let pairs: [(String?, String)] = if let from = fault.from, fault.direction == "both" { [(from, to), (to, from)] } else { [(fault.from, to)] }
                for (caller, callee) in pairs {
                    for host in plan.hosts where host.service == callee {
                        for source in sources(caller) {
                            rules[host.namespace, default: []].append(
                                "-A INPUT -i eth0\(source.map { " -s \($0)/32" } ?? "") -p tcp --dport \(NetnsPlan.inboundPort) \(comment) -j DROP")
                        }
                    }
                }
            case "loss":
                let probability = Self.probability(fault.percent ?? 0)
                let random = "-m statistic --mode random --probability \(probability) \(comment) -j DROP"
                // The packets arriving from the peers' addresses, or from every peer; from the
                // host (the ingress), only those to the inbound port. The control plane's and the
                // admin port's are spared: the testbed's management network.
                var peers: [String]
                switch fault.from {
                case nil: peers = ["! -s \(plan.gateway)/32", "-s \(plan.gateway)/32 -p tcp --dport \(NetnsPlan.inboundPort)"]
                case "ingress": peers = ["-s \(plan.ingressSource)/32 -p tcp --dport \(NetnsPlan.inboundPort)"]
                case let service?: peers = plan.hosts.filter { $0.service == service }.map { "-s \($0.address)/32" }
                }
                // A control plane with an address of its own (containers) is spared first; the
                // ingress's own address is one of every peer's then.
                var spared: [String] = []
                if let control = plan.controlAddress, fault.from == nil {
                    spared = ["-A INPUT -i eth0 -s \(control)/32 \(comment) -j ACCEPT"]
                    peers.removeLast()
                }
                for host in plan.hosts where host.service == to {
                    rules[host.namespace, default: []] += spared + peers.map { "-A INPUT -i eth0 \($0) \(random)" }
                }
            default:
                continue
            }
        }
        return rules.mapValues { lines in
            (["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"] + lines + ["COMMIT"])
                .joined(separator: "\n") + "\n"
        }
    }

    /// `percent` as a probability with four decimals, `0.3000`.
    static func probability(_ percent: Double) -> String {
        let tenThousandths = Int((min(max(percent, 0), 100) * 100).rounded())
        let text = String(tenThousandths % 10000)
        return "\(tenThousandths / 10000).\(String(repeating: "0", count: 4 - text.count))\(text)"
    }
}
