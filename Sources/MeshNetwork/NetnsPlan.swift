/// The network of a topology run with `--runtime netns`: a Linux bridge on the host holding
/// the first address of a /24, and one network namespace per instance joined to it by a
/// veth pair (the host end enslaved to the bridge, `eth0` inside with the instance's own
/// address), as a Kubernetes node joins its pods. An instance's app and sidecar share its
/// namespace as a pod's containers share theirs.
///
/// Every name carries the run's tag (the first eight hex digits of its run id): the
/// namespaces `mb-TAG-INSTANCE`, the bridge `mbTAG`, the host ends `mbTAGvN`. So what a run
/// made is found again after its supervisor was killed, and nothing else is ever touched.
/// A value: the `ip` batch scripts that make and remove it are computed here and run by
/// `NetnsNetwork`.
public struct NetnsPlan: Codable, Sendable, Equatable {
    /// One instance's place on the network.
    public struct Host: Codable, Sendable, Equatable {
        public var instance: String
        /// The service the instance belongs to.
        public var service: String
        /// The network namespace (`ip netns` name).
        public var namespace: String
        /// The veth end on the host, enslaved to the bridge.
        public var veth: String
        /// The instance's address (on `eth0` in its namespace).
        public var address: String
    }

    /// The run's tag: the first eight hex digits of its run id.
    public var tag: String
    /// The bridge on the host.
    public var bridge: String
    /// The /24's first three octets, `10.213.7`.
    public var subnet: String
    public var hosts: [Host]
    /// The control plane's own address, when it runs on the network rather than on the host
    /// (`--runtime container`); nil under netns (the control plane is on the bridge's address).
    public var controlAddress: String?
    /// The ingress gateway's own address, likewise (nil: the host, the bridge's address).
    public var ingressAddress: String?

    /// The most instances a /24 holds beside the bridge's address.
    public static let maxInstances = 253
    /// The prefix of every name a run makes.
    public static let prefix = "mb"
    /// The /24s tried, from 10.200.0.0 to 10.255.255.0: well away from the 10.0–10.99 ranges
    /// cloud networks and container engines pick first.
    static let firstSecondOctet = 200

    /// The ports of every instance, on its own address (Istio's sidecar ports: 15000 admin,
    /// 15001 outbound, 15006 inbound).
    public static let appPort = 8080
    public static let inboundPort = 15006
    public static let outboundPort = 15001
    public static let adminPort = 15000

    /// The bridge's address: the first of the subnet, the instances' next hop to the host.
    public var gateway: String { subnet + ".1" }

    /// Where the ingress gateway's packets come from: its own address, or the host's.
    public var ingressSource: String { ingressAddress ?? gateway }

    /// The plan for `instances` (ids and services, in order) of run `runID` on `subnet`.
    public init(runID: String, instances: [(id: String, service: String)], subnet: String) {
        precondition(instances.count <= Self.maxInstances, "NetnsPlan: more instances than a /24 holds")
        let tag = String(runID.prefix(8))
        self.tag = tag
        bridge = Self.prefix + tag
        self.subnet = subnet
        hosts = instances.enumerated().map { index, instance in
            Host(instance: instance.id, service: instance.service, namespace: "\(Self.prefix)-\(tag)-\(instance.id)",
                 veth: "\(Self.prefix)\(tag)v\(index)", address: "\(subnet).\(index + 2)")
        }
    }

    /// The host of `instance`, if it has one.
    public func host(of instance: String) -> Host? { hosts.first { $0.instance == instance } }

    /// `ip -batch` lines that make the bridge, the namespaces and the veth pairs on the host.
    public var createScript: String {
        var lines = ["link add \(bridge) type bridge", "addr add \(gateway)/24 dev \(bridge)", "link set \(bridge) up"]
        for host in hosts {
            lines += ["netns add \(host.namespace)",
                      "link add \(host.veth) type veth peer name eth0 netns \(host.namespace)",
                      "link set \(host.veth) master \(bridge) up"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `ip -n NAMESPACE -batch` lines that give `host` its address inside its namespace.
    public func namespaceScript(_ host: Host) -> String {
        ["addr add \(host.address)/24 dev eth0", "link set eth0 up", "link set lo up", "route add default via \(gateway)"]
            .joined(separator: "\n") + "\n"
    }

    /// `ip -batch` lines that remove everything `createScript` made: the veth pairs first (a
    /// namespace's own links outlive `netns del` for a moment), then the namespaces and the bridge.
    public var destroyScript: String {
        (hosts.map { "link del \($0.veth)" } + hosts.map { "netns del \($0.namespace)" } + ["link del \(bridge)"])
            .joined(separator: "\n") + "\n"
    }

    /// Whether `name` (a namespace or a link) is one a run tagged `tag` makes.
    public static func isOwned(_ name: String, tag: String) -> Bool {
        name == prefix + tag || name.hasPrefix("\(prefix)-\(tag)-") || name.hasPrefix("\(prefix)\(tag)v")
    }

    /// The first /24 from the one `runID` points at (10.200.0.0–10.255.255.0, in turn) that
    /// overlaps none of `inUse` (the host's addresses and routes as `A.B.C.D/N`); nil when
    /// every one does.
    public static func freeSubnet(runID: String, inUse: [String]) -> String? {
        let taken = inUse.compactMap(Self.network)
        let count = (256 - firstSecondOctet) * 256
        var hash: UInt32 = 2_166_136_261
        for byte in runID.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        for step in 0..<count {
            let index = (Int(hash % UInt32(count)) + step) % count
            let base = UInt32(10) << 24 | UInt32(firstSecondOctet + index / 256) << 16 | UInt32(index % 256) << 8
            let overlaps = taken.contains { network, prefix in
                let shortest = min(prefix, 24)
                let mask: UInt32 = shortest == 0 ? 0 : ~UInt32(0) << (32 - shortest)
                return base & mask == network & mask
            }
            if !overlaps { return "10.\(firstSecondOctet + index / 256).\(index % 256)" }
        }
        return nil
    }

    /// `A.B.C.D/N` (or `A.B.C.D`, a /32) as a number and a prefix length; nil if it is not one.
    static func network(_ text: String) -> (UInt32, Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : 32
        guard let prefix, (0...32).contains(prefix) else { return nil }
        return (octets.reduce(0) { $0 << 8 | $1 }, prefix)
    }
}
