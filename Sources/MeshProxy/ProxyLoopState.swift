import MeshConfig
import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshResilience

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
    /// The service this sidecar belongs to (whose authorization its inbound side enforces).
    var service = ""
    /// Its version (which server-side faults scoped to a version compare with).
    var version = ""
    /// Where timers and the time come from: the loop, or a test's manual scheduler.
    let timers: any TimerScheduler
    /// Where upstream connections come from: the loop's pool, or a test's fakes.
    let connector: any UpstreamConnector
    /// The default route timeout (nanoseconds; 0: no limit), for destinations whose policy sets none.
    let upstreamTimeout: UInt64
    /// How long a request body may make no progress (nanoseconds; 0: no limit).
    let bodyTimeout: UInt64
    let counters = ProxyCounters()
    /// Requests of this loop waiting for a connection from a full pool.
    let waiters: ConnectionWaiters
    private let store: SnapshotStore
    private var table = RoutingTable.empty
    private var random: SeededRandom
    /// Each destination's balancer on this loop, with the table version it was built for.
    private var balancers: [String: (version: Int, balancer: LoadBalancer)] = [:]
    private let retryBackoff = RetryBackoff()
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
        self.waiters = ConnectionWaiters(timers: timers)
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

    /// The backoff before retry number `retry` (1-based): full jitter under an exponential
    /// ceiling, 25 ms doubling up to 250 ms (`RetryBackoff`), from the loop's seeded stream.
    func backoff(retry: Int) -> UInt64 {
        retryBackoff.delay(forRetry: retry, using: &random)
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
        /// The destination's shared state (budget, outlier detector, limits).
        var shared: DestinationShared
    }

    /// The first route of `service` that matches `head`, and the split bucket it draws.
    func chooseRoute(service: String, head: HTTPRequestHead) -> Result<RouteChoice, RoutingFailure> {
        guard let destination = routingTable.destinations[service] else { return .failure(.unknownService) }
        if destination.routes.isEmpty { return .success(RouteChoice(route: nil, version: nil, policy: destination.policy, shared: destination.shared)) }
        for (index, route) in destination.routes.enumerated() where matches(route, head) {
            guard let last = route.buckets.last else { return .failure(.noHealthyUpstream(version: nil)) }
            let draw = Int(random.next() % UInt64(last.upTo))
            let version = route.buckets.first { draw < $0.upTo }!.version
            return .success(RouteChoice(route: index, version: version, policy: destination.policy, mirror: route.mirror, shared: destination.shared))
        }
        return .failure(.noRouteMatched)
    }

    /// The endpoint for an attempt of a request to `service` (of `version`, when given),
    /// chosen by the destination's balancer among the endpoints neither ejected by outlier
    /// detection nor marked unreachable, avoiding those in `avoiding` while another exists.
    /// When every endpoint of the version is ejected or marked, they are all tried as if
    /// none were. The index is the endpoint's place in the destination's `all`; the balancer
    /// and outlier detector are those of the same table (to be told how the attempt went: a
    /// newer table may number its endpoints differently).
    func pick(service: String, version: String?, avoiding: [SocketAddress])
        -> (index: Int, endpoint: RoutingTable.CompiledEndpoint, balancer: LoadBalancer, outlier: OutlierDetector?)?
    {
        let table = routingTable
        guard let destination = table.destinations[service], !destination.all.isEmpty else { return nil }
        let balancer = balancer(for: service, destination, version: table.version)
        let all = destination.all
        let now = timers.now
        let outlier = destination.shared.outlier
        func inVersion(_ index: Int) -> Bool { version == nil || all[index].version == version }
        func avoided(_ index: Int) -> Bool { !avoiding.isEmpty && avoiding.contains(all[index].address) }
        let healthy = balancer.pick(now: now, using: &random, eligible: { index in
            inVersion(index) && !(outlier?.isEjected(index, now: now) ?? false) && !isFailed(all[index].address)
        }, avoiding: avoided)
        guard let index = healthy ?? balancer.pick(now: now, using: &random, eligible: inVersion, avoiding: avoided) else { return nil }
        return (index, all[index], balancer, outlier)
    }

    /// The addresses of every endpoint of `service`.
    func addresses(of service: String) -> [SocketAddress] {
        routingTable.destinations[service]?.all.map(\.address) ?? []
    }

    /// The balancer of `service` on this loop (a new one when the table or the policy changed).
    func balancer(for service: String, _ destination: RoutingTable.Destination, version: Int) -> LoadBalancer {
        if let existing = balancers[service], existing.version == version { return existing.balancer }
        let balancer = LoadBalancer(kind: destination.policy.loadBalancer, endpointCount: destination.all.count, now: timers.now)
        balancers[service] = (version, balancer)
        return balancer
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
