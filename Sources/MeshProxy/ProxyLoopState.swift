import MeshConfig
import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO

/// What the sidecar keeps per event loop, touched only on that loop's thread: its
/// upstream connections, its timers, its random stream for splits, round-robin positions,
/// its own copy of the routing table (refreshed when the shared version moves), passive
/// health, its filters and its counters.
///
/// Passive health: an endpoint that could not be reached (connection refused, connect
/// timeout, or its sidecar saying its app is unreachable) is marked failed (a slow answer
/// is not: one timeout is no sign the endpoint is gone) and skipped until the next snapshot
/// arrives or `ejectionTime` has passed, whichever comes first. When every endpoint of a
/// choice is marked, they are all tried as if none were.
final class ProxyLoopState: @unchecked Sendable {
    /// The instance id this sidecar serves (for decision records).
    let instance: String
    /// Where timers and the time come from: the loop, or a test's manual scheduler.
    let timers: any TimerScheduler
    /// Where upstream connections come from: the loop's pool, or a test's fakes.
    let connector: any UpstreamConnector
    /// The default route timeout (nanoseconds; 0: no limit), for destinations whose policy sets none.
    let upstreamTimeout: UInt64
    /// How long a request body may make no progress (nanoseconds; 0: no limit).
    let bodyTimeout: UInt64
    let counters = ProxyCounters()
    private let store: SnapshotStore
    private var table = RoutingTable.empty
    private var random: SeededRandom
    private var cursors: [String: Int] = [:]
    private let ejectionTime: UInt64
    /// Endpoints marked failed, with when the mark ends (`timers` time). Usually empty.
    private var failed: [(address: SocketAddress, until: UInt64)] = []
    private var pipelines: [String: [any ProxyFilter]] = [:]

    init(timers: any TimerScheduler, connector: any UpstreamConnector, store: SnapshotStore, seed: UInt64, instance: String = "",
         upstreamTimeout: UInt64 = SidecarConfiguration.defaultUpstreamTimeout,
         bodyTimeout: UInt64 = SidecarConfiguration.defaultBodyTimeout,
         ejectionTime: UInt64 = SidecarConfiguration.defaultEjectionTime) {
        self.timers = timers
        self.connector = connector
        self.store = store
        self.random = SeededRandom(seed: seed)
        self.instance = instance
        self.upstreamTimeout = upstreamTimeout
        self.bodyTimeout = bodyTimeout
        self.ejectionTime = ejectionTime
    }

    /// The state of a real loop: its timers, a keep-alive pool on it.
    convenience init(loop: EventLoop, store: SnapshotStore, seed: UInt64, instance: String = "",
                     upstreamTimeout: UInt64 = SidecarConfiguration.defaultUpstreamTimeout,
                     bodyTimeout: UInt64 = SidecarConfiguration.defaultBodyTimeout,
                     ejectionTime: UInt64 = SidecarConfiguration.defaultEjectionTime) {
        self.init(timers: loop, connector: PooledUpstreams(pool: HTTPConnectionPool(loop: loop)), store: store, seed: seed,
                  instance: instance, upstreamTimeout: upstreamTimeout, bodyTimeout: bodyTimeout, ejectionTime: ejectionTime)
    }

    /// The filters for `mode`, built once per mode (and app address) on this loop.
    func filters(for mode: ProxyMode) -> [any ProxyFilter] {
        let key: String = switch mode {
        case .outbound: "outbound"
        case .gateway: "gateway"
        case .inbound(let app): "inbound \(app)"
        }
        if let built = pipelines[key] { return built }
        let built = ProxyPipeline.filters(for: mode, state: self)
        pipelines[key] = built
        return built
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

    /// The backoff before retry number `retry` (1-based): full jitter over an exponential
    /// ceiling, 25 ms doubling up to 250 ms.
    func backoff(retry: Int) -> UInt64 {
        let base: UInt64 = 25_000_000, cap: UInt64 = 250_000_000
        let ceiling = min(cap, base << UInt64(min(max(retry - 1, 0), 16)))
        return random.next() % (ceiling + 1)
    }

    /// A draw from the loop's seeded stream: true `percent` times in 100 (0–100, to 0.01).
    func draw(percent: Double) -> Bool {
        guard percent < 100 else { return true }
        guard percent > 0 else { return false }
        return random.next() % 10_000 < UInt64(percent * 100)
    }

    /// Marks the endpoint at `address` failed (it could not be reached: see above).
    func markFailed(_ address: SocketAddress) {
        _ = routingTable  // a mark made against an older table would outlive its snapshot
        let until = timers.now &+ ejectionTime
        if let index = failed.firstIndex(where: { $0.address == address }) {
            failed[index].until = until
        } else {
            failed.append((address, until))
        }
    }

    /// Whether `address` is marked failed now (expired marks are dropped).
    func isFailed(_ address: SocketAddress) -> Bool {
        guard !failed.isEmpty else { return false }
        let now = timers.now
        failed.removeAll { $0.until <= now }
        return failed.contains { $0.address == address }
    }

    /// What routing decided for a request to `service`.
    struct RouteChoice {
        /// The index of the route that matched, nil when the destination has no routes.
        var route: Int?
        /// The version the route's split chose, nil when any version will do.
        var version: String?
        var policy: RoutePolicy
        /// The matched route's mirror, if it has one.
        var mirror: RoutingTable.CompiledMirror? = nil
    }

    /// The first route of `service` that matches `head`, and the split bucket it draws.
    func chooseRoute(service: String, head: HTTPRequestHead) -> Result<RouteChoice, RoutingFailure> {
        guard let destination = routingTable.destinations[service] else { return .failure(.unknownService) }
        if destination.routes.isEmpty { return .success(RouteChoice(route: nil, version: nil, policy: destination.policy)) }
        for (index, route) in destination.routes.enumerated() where matches(route, head) {
            guard let last = route.buckets.last else { return .failure(.noHealthyUpstream(version: nil)) }
            let draw = Int(random.next() % UInt64(last.upTo))
            let version = route.buckets.first { draw < $0.upTo }!.version
            return .success(RouteChoice(route: index, version: version, policy: destination.policy, mirror: route.mirror))
        }
        return .failure(.noRouteMatched)
    }

    /// Round robin over the endpoints of `service` (of `version`, when given): first those
    /// neither marked failed nor in `avoiding`, then those not in `avoiding`, then any.
    func pick(service: String, version: String?, avoiding: [SocketAddress]) -> RoutingTable.CompiledEndpoint? {
        guard let destination = routingTable.destinations[service] else { return nil }
        let endpoints: [RoutingTable.CompiledEndpoint]
        let key: String
        if let version {
            endpoints = destination.versions[version] ?? []
            key = service + "/" + version
        } else {
            endpoints = destination.all
            key = service
        }
        guard !endpoints.isEmpty else { return nil }
        let position = cursors[key, default: 0]
        if !failed.isEmpty || !avoiding.isEmpty {
            for pass in 0..<2 {
                for step in 0..<endpoints.count {
                    let candidate = endpoints[(position &+ step) % endpoints.count]
                    if avoiding.contains(candidate.address) { continue }
                    if pass == 0, isFailed(candidate.address) { continue }
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
