import MeshConfig
import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO

/// What the sidecar keeps per event loop, touched only on that loop's thread: its
/// connection pool, its random stream for splits, round-robin positions, its own copy of
/// the routing table (refreshed when the shared version moves), and passive health.
///
/// Passive health: an endpoint that could not be reached (connection refused, a new
/// connection reset before any response, or its sidecar saying its app is unreachable) is
/// marked failed (a slow answer is not: one timeout is no sign the endpoint is gone) and round robin skips it until the
/// next snapshot arrives or `ejectionTime` has passed (on `clock`), whichever comes first.
/// When every endpoint of a choice is marked, they are all tried as if none were.
final class ProxyLoopState: @unchecked Sendable {
    let loop: EventLoop
    let pool: HTTPConnectionPool
    /// How long an upstream may take to answer (nanoseconds; 0: no limit).
    let upstreamTimeout: UInt64
    private let store: SnapshotStore
    private var table = RoutingTable.empty
    private var random: SeededRandom
    private var cursors: [String: Int] = [:]
    /// The time failed marks are stamped and aged with: an injected clock (tests), else the loop's.
    private let clock: (any MeshClock)?
    private var now: UInt64 { clock?.now() ?? loop.now }
    private let ejectionTime: UInt64
    /// Endpoints marked failed, with when the mark ends (`clock` time). Usually empty.
    private var failed: [(address: SocketAddress, until: UInt64)] = []

    init(loop: EventLoop, store: SnapshotStore, seed: UInt64, upstreamTimeout: UInt64 = SidecarConfiguration.defaultUpstreamTimeout,
         ejectionTime: UInt64 = SidecarConfiguration.defaultEjectionTime, clock: (any MeshClock)? = nil) {
        self.loop = loop
        self.store = store
        self.pool = HTTPConnectionPool(loop: loop)
        self.random = SeededRandom(seed: seed)
        self.upstreamTimeout = upstreamTimeout
        self.ejectionTime = ejectionTime
        self.clock = clock
    }

    /// The current routing table (one atomic load when nothing changed). A new snapshot
    /// clears the failed marks: it is the control plane's newer word on every endpoint.
    var routingTable: RoutingTable {
        if store.version != table.version {
            table = store.table
            failed.removeAll()
        }
        return table
    }

    /// Marks the endpoint at `address` failed (it could not be reached: see above).
    func markFailed(_ address: SocketAddress) {
        _ = routingTable  // a mark made against an older table would outlive its snapshot
        let until = now &+ ejectionTime
        if let index = failed.firstIndex(where: { $0.address == address }) {
            failed[index].until = until
        } else {
            failed.append((address, until))
        }
    }

    /// Whether `address` is marked failed now (expired marks are dropped).
    func isFailed(_ address: SocketAddress) -> Bool {
        guard !failed.isEmpty else { return false }
        failed.removeAll { $0.until <= now }
        return failed.contains { $0.address == address }
    }

    /// Another endpoint for a request whose endpoint failed before anything was sent to it:
    /// the next one of the same choice (the same version when a route picked one) that is
    /// not marked failed; nil when there is none.
    func alternative(to decision: RoutingDecision, service: String) -> RoutingTable.CompiledEndpoint? {
        guard let destination = routingTable.destinations[service] else { return nil }
        let endpoints: [RoutingTable.CompiledEndpoint]
        let key: String
        if let version = decision.version {
            endpoints = destination.versions[version] ?? []
            key = service + "/" + version
        } else {
            endpoints = destination.all
            key = service
        }
        guard let next = try? next(endpoints, key: key, version: decision.version),
              next.address != decision.endpoint.address, !isFailed(next.address) else { return nil }
        return next
    }

    /// Picks the endpoint for a request to `service`: first matching route, weighted
    /// version, then round robin among that version's healthy endpoints.
    func route(service: String, head: HTTPRequestHead) throws(RoutingFailure) -> RoutingDecision {
        guard let destination = routingTable.destinations[service] else { throw .unknownService }
        if destination.routes.isEmpty {
            return RoutingDecision(endpoint: try next(destination.all, key: service, version: nil), route: nil, version: nil)
        }
        for (index, route) in destination.routes.enumerated() where matches(route, head) {
            guard let last = route.buckets.last else { throw .noHealthyUpstream(version: nil) }
            let draw = Int(random.next() % UInt64(last.upTo))
            let version = route.buckets.first { draw < $0.upTo }!.version
            let endpoints = destination.versions[version] ?? []
            return RoutingDecision(endpoint: try next(endpoints, key: service + "/" + version, version: version), route: index, version: version)
        }
        throw .noRouteMatched
    }

    /// Round robin over `endpoints`, skipping those marked failed unless all are.
    private func next(_ endpoints: [RoutingTable.CompiledEndpoint], key: String, version: String?) throws(RoutingFailure) -> RoutingTable.CompiledEndpoint {
        guard !endpoints.isEmpty else { throw .noHealthyUpstream(version: version) }
        let position = cursors[key, default: 0]
        if !failed.isEmpty {
            for step in 0..<endpoints.count {
                let candidate = endpoints[(position &+ step) % endpoints.count]
                if !isFailed(candidate.address) {
                    cursors[key] = position &+ step &+ 1
                    return candidate
                }
            }
        }
        cursors[key] = position &+ 1
        return endpoints[position % endpoints.count]
    }

    private func matches(_ route: RoutingTable.CompiledRoute, _ head: HTTPRequestHead) -> Bool {
        if let prefix = route.pathPrefix, !head.path.starts(with: prefix) { return false }
        for header in route.headers {
            guard let index = head.headers.firstIndex(ofLowercased: header.name),
                  head.headers.value(at: index).elementsEqual(header.value) else { return false }
        }
        return true
    }
}

extension HTTPHeaders {
    /// The index of the first field named `name` (given lower-case), compared case-insensitively.
    func firstIndex(ofLowercased name: [UInt8]) -> Int? {
        for index in 0..<count {
            let field = self.name(at: index)
            guard field.count == name.count else { continue }
            if zip(field, name).allSatisfy({ ($0 | 0x20) == $1 || $0 == $1 }) { return index }
        }
        return nil
    }
}
