import MeshConfig

/// The request-level faults of one snapshot that one sidecar applies, sorted for the
/// filters at compile time so that a request they do not match costs little: client-side
/// faults from another caller and server-side faults of another service or version are
/// left out here, and a destination's client-side faults are found by comparing names
/// (the few destinations with faults) instead of hashing one. Carried in the routing table
/// as one reference (nil when this sidecar applies none: one nil check per request).
final class FaultSet: Sendable {
    /// Whose faults these are: the sidecar's service (`ingress` for the gateway), its version
    /// and the seed its fault decisions derive from.
    struct Owner: Sendable, Equatable {
        var service = ""
        var version = ""
        var seed: UInt64 = 0
    }

    /// Client-side faults per destination (in the order faults were added), for requests
    /// from this sidecar's service.
    let client: [(destination: String, rules: [FaultRule])]
    /// Server-side faults of this sidecar's own service and version.
    let server: [FaultRule]
    /// Every rule above, for counters and `/stats`.
    let all: [FaultRule]
    /// Whether a server-side fault names its callers (`from`), so requests need theirs.
    let serverChecksCaller: Bool

    /// Compiles the request-level faults of `configs` that `owner` applies (other kinds are
    /// left to the stages that apply them); nil when there are none. Counters of faults
    /// still in force carry over from `previous`.
    init?(_ configs: [FaultConfig], owner: Owner, previous: FaultSet?) throws(ConfigError) {
        var client: [(destination: String, rules: [FaultRule])] = [], server: [FaultRule] = [], all: [FaultRule] = []
        for config in configs where config.kind == "delay" || config.kind == "abort" {
            let counter = previous?.all.first(where: { $0.id == config.id })?.counter ?? FaultCounter()
            let rule = try FaultRule(config, seed: owner.seed, counter: counter)
            if rule.serverSide {
                guard rule.destination == owner.service, rule.version.map({ $0 == owner.version }) ?? true else { continue }
                server.append(rule)
            } else {
                guard rule.source.map({ $0 == owner.service }) ?? true else { continue }
                if let index = client.firstIndex(where: { $0.destination == rule.destination }) {
                    client[index].rules.append(rule)
                } else {
                    client.append((rule.destination, [rule]))
                }
            }
            all.append(rule)
        }
        guard !all.isEmpty else { return nil }
        self.client = client
        self.server = server
        self.all = all
        serverChecksCaller = server.contains { $0.source != nil }
    }

    /// The client-side faults for requests to `destination`, if any.
    @inline(__always)
    func clientRules(for destination: String) -> [FaultRule]? {
        for entry in client where entry.destination == destination { return entry.rules }
        return nil
    }
}
