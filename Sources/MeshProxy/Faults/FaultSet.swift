import MeshConfig

/// The request-level faults of one snapshot, by destination and side, for the filters to
/// look up in one step. Carried in the routing table as one reference (nil when no fault
/// is in force, so a mesh without faults pays one nil check per request).
final class FaultSet: Sendable {
    /// Faults the caller's sidecar applies, per destination, in the order they were added.
    let client: [String: [FaultRule]]
    /// Faults the destination's inbound sidecar applies, per destination.
    let server: [String: [FaultRule]]
    /// Every rule, for counters and `/stats`.
    let all: [FaultRule]

    /// Compiles the request-level faults of `configs` (other kinds are left to the stages
    /// that apply them); counters of faults still in force carry over from `previous`.
    init?(_ configs: [FaultConfig], seed: UInt64, previous: FaultSet?) throws(ConfigError) {
        var client: [String: [FaultRule]] = [:], server: [String: [FaultRule]] = [:], all: [FaultRule] = []
        for config in configs where config.kind == "delay" || config.kind == "abort" {
            let counter = previous?.all.first(where: { $0.id == config.id })?.counter ?? FaultCounter()
            let rule = try FaultRule(config, seed: seed, counter: counter)
            if rule.serverSide { server[rule.destination, default: []].append(rule) } else { client[rule.destination, default: []].append(rule) }
            all.append(rule)
        }
        guard !all.isEmpty else { return nil }
        self.client = client
        self.server = server
        self.all = all
    }
}
