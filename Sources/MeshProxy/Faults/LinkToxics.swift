import MeshConfig
import MeshFaults
import MeshIO

/// The link faults of one snapshot (Toxiproxy's toxics: latency, bandwidth, reset,
/// blackhole, slowClose, slicer, limitData) and partitions that this sidecar applies, as `MeshFaults`
/// toxics per destination address: the sidecar puts a `ToxicStream` under TLS on every
/// connection it opens to such an address, and hands each live one the new list when a
/// snapshot changes it. Client side only: a fault `from` another service is left out.
final class LinkToxics: Sendable {
    /// The toxics for connections to each address (an instance's inbound port).
    let byAddress: [SocketAddress: [Toxic]]
    /// Addresses a partition cuts this sidecar off from: no new connection is opened to them
    /// (a connect failure), and the open ones carry no more bytes (a blackhole both ways).
    let partitioned: Set<SocketAddress>
    /// Callers a partition cuts off from this sidecar's own service: its inbound side drops
    /// their requests (the other half of enforcing a partition on both sides).
    let partitionedCallers: Set<String>
    /// A partition without `from` cuts every caller off from this sidecar's own service.
    let partitionsEveryCaller: Bool

    /// Whether this sidecar's inbound side drops requests from some caller.
    var partitionsCallers: Bool { partitionsEveryCaller || !partitionedCallers.isEmpty }

    /// Whether a request from `caller` (nil: not known) is dropped by a partition.
    func partitions(caller: String?) -> Bool {
        if partitionsEveryCaller { return true }
        guard let caller else { return false }
        return partitionedCallers.contains(caller)
    }

    /// Compiles the link faults of `configs` that `owner` applies, for the endpoints in
    /// `addresses` (service → inbound addresses); nil when there are none.
    init?(_ configs: [FaultConfig], owner: FaultSet.Owner, addresses: [String: [SocketAddress]]) throws(ConfigError) {
        var byAddress: [SocketAddress: [Toxic]] = [:]
        var partitioned: Set<SocketAddress> = [], partitionedCallers: Set<String> = []
        var partitionsEveryCaller = false
        for config in configs where config.kind == "partition" {
            let closeAfter = try config.timeout.map { text throws(ConfigError) in try Self.duration(text, "timeout", "fault \(config.id)") }
            // One way, `from` → `to` (no `from`: every caller); `between` arrives as from A,
            // to B plus `direction: both`.
            guard let to = config.to else { continue }
            let from = config.from
            let pairs: [(String?, String)] = if let from, config.direction == "both" { [(from, to), (to, from)] } else { [(from, to)] }
            for (caller, callee) in pairs {
                if caller == owner.service || (caller == nil && callee != owner.service) {
                    let cut = Toxic(name: "\(config.id)-\(callee)", kind: .blackhole(closeAfter: closeAfter), direction: .upstream)
                    for address in addresses[callee] ?? [] {
                        partitioned.insert(address)
                        byAddress[address, default: []] += [cut, Toxic(name: cut.name + "-back", kind: .blackhole(closeAfter: closeAfter), direction: .downstream)]
                    }
                }
                if callee == owner.service {
                    if let caller { partitionedCallers.insert(caller) } else { partitionsEveryCaller = true }
                }
            }
        }
        for config in configs {
            guard let toxics = try Self.toxics(config), let destination = config.to else { continue }
            guard config.from.map({ $0 == owner.service }) ?? true else { continue }
            for address in addresses[destination] ?? [] { byAddress[address, default: []] += toxics }
        }
        guard !byAddress.isEmpty || !partitionedCallers.isEmpty || partitionsEveryCaller else { return nil }
        self.byAddress = byAddress
        self.partitioned = partitioned
        self.partitionedCallers = partitionedCallers
        self.partitionsEveryCaller = partitionsEveryCaller
    }

    private static func duration(_ text: String?, _ field: String, _ label: String) throws(ConfigError) -> Duration {
        guard let text, let value = Duration(meshbed: text) else { throw ConfigError("\(label): \(field): expected a duration, got '\(text ?? "nothing")'") }
        return value
    }

    /// The toxics a link fault becomes (two for `direction: both`), nil for other kinds.
    static func toxics(_ config: FaultConfig) throws(ConfigError) -> [Toxic]? {
        let label = "fault \(config.id)"
        func duration(_ text: String?, _ field: String) throws(ConfigError) -> Duration {
            try Self.duration(text, field, label)
        }
        func fixedDelay() throws(ConfigError) -> Duration {
            guard let delay = config.delay, delay.distribution == "fixed" else { return .zero }
            return try duration(delay.value, "delay")
        }
        let kind: Toxic.Kind
        switch config.kind {
        case "latency": kind = .latency(latency: try duration(config.latency, "latency"), jitter: try config.jitter.map { text throws(ConfigError) in try duration(text, "jitter") } ?? .zero)
        case "bandwidth":
            guard let rate = config.rate else { throw ConfigError("\(label): missing field 'rate'") }
            kind = .bandwidth(bytesPerSecond: rate)
        case "reset": kind = .reset(afterBytes: config.after, after: try config.timeout.map { text throws(ConfigError) in try duration(text, "timeout") })
        case "blackhole": kind = .blackhole(closeAfter: try config.timeout.map { text throws(ConfigError) in try duration(text, "timeout") })
        case "slowClose": kind = .slowClose(delay: try fixedDelay())
        case "slicer":
            guard let average = config.averageSize else { throw ConfigError("\(label): missing field 'averageSize'") }
            kind = .slicer(averageSize: average, sizeVariation: config.sizeVariation ?? 0, delay: try fixedDelay())
        case "limitData":
            guard let bytes = config.bytes else { throw ConfigError("\(label): missing field 'bytes'") }
            kind = .limitData(bytes: bytes)
        default: return nil
        }
        let toxicity = config.toxicity ?? 1
        let directions: [Toxic.Direction]
        switch config.direction ?? "downstream" {
        case "upstream": directions = [.upstream]
        case "downstream": directions = [.downstream]
        case "both": directions = [.upstream, .downstream]
        case let other: throw ConfigError("\(label): direction: expected upstream, downstream or both, got '\(other)'")
        }
        let toxics = directions.map { direction in
            Toxic(name: directions.count == 1 ? config.id : "\(config.id)-\(direction.rawValue)", kind: kind, direction: direction, toxicity: toxicity)
        }
        do {
            try Toxic.validate(toxics)
        } catch {
            throw ConfigError("\(label): \(error)")
        }
        return toxics
    }
}
