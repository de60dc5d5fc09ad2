import MeshConfig
import MeshCore
import MeshIO

/// A snapshot compiled for the data path: addresses parsed, header names as bytes,
/// split weights as cumulative thresholds, so choosing an endpoint allocates nothing.
public struct RoutingTable: Sendable {
    /// The snapshot version this table was built from (0: none yet).
    public let version: Int
    var destinations: [String: Destination]
    /// Mutual TLS between sidecars; nil: plaintext (and nothing to copy with the table).
    var security: Security?
    /// The request-level faults in force; nil when there are none.
    var faults: FaultSet?
    /// The link faults this sidecar applies to its upstream connections; nil when none.
    var links: LinkToxics?
    /// Whether finished requests are written to the access log (the topology's `mesh.accessLog`).
    var accessLog = true
    /// The share of new traces recorded, percent (the topology's `mesh.tracing.sampling`).
    var tracingSampling: Double = 100
    /// The most new traces a loop records per second (`mesh.tracing.maxTracesPerSecond`).
    var maxTracesPerSecond = 100

    /// What mTLS needs from a snapshot, in one reference (the table is copied often on the
    /// data path: one retain for all of it, none without mTLS).
    final class Security: Sendable {
        let mtls: MTLSConfig
        /// The topology's name: the SPIFFE namespace of every identity.
        let namespace: String
        /// Which service each endpoint address belongs to (what identity its sidecar must show).
        let serviceByAddress: [SocketAddress: String]

        init(mtls: MTLSConfig, namespace: String, serviceByAddress: [SocketAddress: String]) {
            self.mtls = mtls
            self.namespace = namespace
            self.serviceByAddress = serviceByAddress
        }
    }

    struct Destination: Sendable {
        /// Endpoints per version, in the snapshot's order.
        var versions: [String: [CompiledEndpoint]]
        /// Every endpoint of every version, for destinations without routes.
        var all: [CompiledEndpoint]
        var routes: [CompiledRoute]
        /// Who may call it (checked by its own inbound sidecars); nil: everyone.
        var allow: [CompiledAllow]?
        /// Timeouts and retries toward this destination.
        var policy: RoutePolicy = .default
        /// What every loop shares about it: retry budget, outlier detector, limits.
        var shared = DestinationShared()
    }

    /// One endpoint of a destination (a class: the picked endpoint travels with every request,
    /// and a reference is cheaper to hand around than its 128-byte address).
    final class CompiledEndpoint: Sendable {
        let id: String
        let version: String
        let address: SocketAddress

        init(id: String, version: String, address: SocketAddress) {
            self.id = id
            self.version = version
            self.address = address
        }
    }

    /// One authorization entry, its methods and paths as bytes to compare a request's with.
    struct CompiledAllow: Sendable {
        let from: String
        let methods: [[UInt8]]?
        /// (bytes, isPrefix) per allowed path.
        let paths: [(bytes: [UInt8], isPrefix: Bool)]?

        init(_ config: AllowConfig) {
            from = config.from
            methods = config.methods?.map { Array($0.utf8) }
            paths = config.paths?.map { path in
                path.hasSuffix("*") ? (Array(path.dropLast().utf8), true) : (Array(path.utf8), false)
            }
        }

        /// Whether a request from `caller` with `method` for `path` (no query) matches.
        func matches(caller: String, method: some Collection<UInt8>, path: some Collection<UInt8>) -> Bool {
            guard caller == from else { return false }
            if let methods, !methods.contains(where: { $0.elementsEqual(method) }) { return false }
            guard let paths else { return true }
            return paths.contains { pattern in
                pattern.isPrefix ? path.starts(with: pattern.bytes) : path.elementsEqual(pattern.bytes)
            }
        }
    }

    struct CompiledRoute: Sendable {
        /// (lower-case name, value) pairs that must all match.
        var headers: [(name: [UInt8], value: [UInt8])]
        var pathPrefix: [UInt8]?
        /// (version, cumulative weight) in a stable order; the last weight is 100.
        var buckets: [(version: String, upTo: Int)]
        /// Where copies of matching requests go, if anywhere.
        var mirror: CompiledMirror? = nil
    }

    /// A route's `mirror`: the version copies go to and the share of requests copied.
    struct CompiledMirror: Sendable, Equatable {
        var version: String
        /// 0–100.
        var percent: Double
    }

    /// The empty table: nothing is routable yet.
    public static let empty = RoutingTable(version: 0, destinations: [:])

    init(version: Int, destinations: [String: Destination]) {
        self.version = version
        self.destinations = destinations
    }

    /// Compiles `snapshot`; endpoints whose address does not parse are left out. A policy
    /// that does not resolve (a duration that does not parse) fails the whole snapshot.
    public init(_ snapshot: MeshSnapshot) throws(ConfigError) {
        try self.init(snapshot, previous: nil)
    }

    /// Compiles `snapshot`, carrying each destination's shared state (retry budget, outlier
    /// history, limit counts) and each fault's counts over from `previous`; the faults are
    /// those `faultOwner` (the sidecar) applies.
    init(_ snapshot: MeshSnapshot, previous: RoutingTable?, faultOwner: FaultSet.Owner = FaultSet.Owner()) throws(ConfigError) {
        var destinations: [String: Destination] = [:]
        for (name, config) in snapshot.services {
            var versions: [String: [CompiledEndpoint]] = [:]
            var all: [CompiledEndpoint] = []
            for version in config.versions.keys.sorted() {
                let endpoints = config.versions[version]!.compactMap { endpoint in
                    SocketAddress(endpoint.address).map { CompiledEndpoint(id: endpoint.id, version: version, address: $0) }
                }
                versions[version] = endpoints
                all.append(contentsOf: endpoints)
            }
            let routes = config.routes.map { route in
                var total = 0
                let buckets = route.split.keys.sorted().compactMap { version -> (String, Int)? in
                    let weight = route.split[version]!
                    guard weight > 0 else { return nil }
                    total += weight
                    return (version, total)
                }
                return CompiledRoute(
                    headers: route.headers.keys.sorted().map { (Array($0.lowercased().utf8), Array(route.headers[$0]!.utf8)) },
                    pathPrefix: route.pathPrefix.map { Array($0.utf8) },
                    buckets: buckets,
                    mirror: route.mirror.map { CompiledMirror(version: $0.version, percent: $0.percent) })
            }
            let policy = try config.policy.map { policy throws(ConfigError) in RoutePolicy(try policy.resolved()) } ?? .default
            let shared = DestinationShared.compile(endpoints: all.map(\.id), policy: policy, previous: previous?.destinations[name]?.shared)
            destinations[name] = Destination(versions: versions, all: all, routes: routes, allow: config.allow.map { $0.map(CompiledAllow.init) }, policy: policy,
                                             shared: shared)
        }
        self.init(version: snapshot.version, destinations: destinations)
        accessLog = (snapshot.telemetry ?? .default).accessLog
        tracingSampling = (snapshot.telemetry ?? .default).tracingSampling
        maxTracesPerSecond = (snapshot.telemetry ?? .default).maxTracesPerSecond
        if let mtls = snapshot.mtls {
            var services: [SocketAddress: String] = [:]
            for (name, destination) in destinations {
                for endpoint in destination.all { services[endpoint.address] = name }
            }
            security = Security(mtls: mtls, namespace: snapshot.topology, serviceByAddress: services)
        }
        if let faults = snapshot.faults {
            self.faults = try FaultSet(faults, owner: faultOwner, previous: previous?.faults)
            self.links = try LinkToxics(faults, owner: faultOwner, addresses: destinations.mapValues { $0.all.map(\.address) })
        }
    }

    /// Whether `service` is a destination in the mesh.
    public func contains(_ service: String) -> Bool { destinations[service] != nil }

    /// The ids of every endpoint of `service` this table routes to, in version order.
    public func endpointIDs(of service: String) -> [String] {
        destinations[service]?.all.map(\.id) ?? []
    }
}

/// Why a request could not be given an endpoint.
enum RoutingFailure: Error, Equatable {
    case unknownService
    case noRouteMatched
    case noHealthyUpstream(version: String?)
}
