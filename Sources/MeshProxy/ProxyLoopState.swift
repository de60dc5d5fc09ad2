import MeshConfig
import MeshCore
import MeshHTTP
import MeshHTTPIO
import MeshIO
import MeshResilience
import MeshFaults
import MeshTLSIO

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
    /// The requests this loop finished, by label set (the admin port's `/metrics`).
    let metrics = RequestMetrics()
    /// One line per finished request in the sidecar's log; nil: none (tests). Written to
    /// only while the current table says so (`accessLogOn`).
    var accessLog: AccessLog?
    /// The access log while the current table keeps one (`mesh.accessLog`), else nil.
    var activeAccessLog: AccessLog? {
        refreshTable()
        return accessLogOn ? accessLog : nil
    }
    private var accessLogOn = true
    /// This loop's finished spans, sent to the control plane; nil: none (tests).
    var spanLog: SpanLog?
    /// The share of new traces recorded, percent (the topology's `mesh.tracing.sampling`).
    private var sampling: Double = 100
    /// New traces this loop may still record now (a token bucket of `maxTracesPerSecond`),
    /// and when it was last refilled (`timers` time).
    private var traceTokens: Double = 100
    private var tokensRefilledAt: UInt64 = 0

    /// Whether a trace this loop starts is recorded: `mesh.tracing.sampling` percent of the
    /// time (from the seeded stream), and no more than `maxTracesPerSecond` a second.
    func sampleNewTrace() -> Bool {
        refreshTable()
        guard draw(percent: sampling) else { return false }
        let rate = Double(table.maxTracesPerSecond)
        let now = timers.now
        let elapsed = now > tokensRefilledAt ? now - tokensRefilledAt : 0
        traceTokens = min(rate, traceTokens + Double(elapsed) * rate / 1e9)
        tokensRefilledAt = max(tokensRefilledAt, now)
        guard traceTokens >= 1 else { return false }
        traceTokens -= 1
        return true
    }

    /// Trace and span ids: random (never the seeded stream: ids must differ between runs and
    /// sidecars, and drawing them must not move the seeded decisions).
    private var ids = SeededRandom(seed: UInt64.random(in: 1...UInt64.max))

    /// A new span id (never 0).
    func newSpanID() -> UInt64 {
        var id = ids.next()
        while id == 0 { id = ids.next() }
        return id
    }

    /// Requests of this loop waiting for a connection from a full pool.
    let waiters: ConnectionWaiters
    private let store: SnapshotStore
    private var table = RoutingTable.empty
    private var random: SeededRandom
    /// Each destination looked up on this loop, with its balancer, for the table version it came from.
    private var resolved: [String: Resolved] = [:]
    /// The last of them: most of a loop's requests go where the one before went, and then a
    /// name comparison finds it, not a hash of the name per lookup (routing, then each attempt).
    private var lastResolved: Resolved?

    /// A destination of one table version and this loop's balancer for it, held by reference:
    /// routing and picking read its fields in place instead of copying the destination (a
    /// struct of reference-counted fields) out of the table's dictionary for every lookup.
    final class Resolved {
        let service: String
        let version: Int
        let destination: RoutingTable.Destination
        let balancer: LoadBalancer
        /// The client-side faults this sidecar applies to requests to it; nil: none.
        let faults: [FaultRule]?

        init(service: String, version: Int, destination: RoutingTable.Destination, balancer: LoadBalancer, faults: [FaultRule]? = nil) {
            self.service = service
            self.version = version
            self.destination = destination
            self.balancer = balancer
            self.faults = faults
        }
    }
    private let retryBackoff = RetryBackoff()
    private let ejectionTime: UInt64
    /// Endpoints marked failed, with when the mark ends (`timers` time). Usually empty.
    private var failed: [(address: SocketAddress, until: UInt64)] = []
    private var pipelines: [String: FilterChain] = [:]

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
    func filters(for mode: ProxyMode) -> FilterChain {
        let key: String = switch mode {
        case .outbound: "outbound"
        case .gateway: "gateway"
        case .inbound(let app): "inbound \(app)"
        }
        if let built = pipelines[key] { return built }
        let built = FilterChain(ProxyPipeline.filters(for: mode, state: self))
        pipelines[key] = built
        return built
    }

    /// The current routing table (one atomic load when nothing changed). A new snapshot
    /// clears the failed marks: it is the control plane's newer word on every endpoint.
    var routingTable: RoutingTable {
        refreshTable()
        return table
    }

    /// Takes the store's table when its version moved (see `routingTable`).
    private func refreshTable() {
        if store.version != table.version {
            table = store.table
            accessLogOn = table.accessLog
            sampling = table.tracingSampling
            failed.removeAll()
            serverFaultSet = table.faults.flatMap { $0.server.isEmpty ? nil : $0 }
            if table.links !== links { linksChanged(to: table.links) }
        }
    }

    // MARK: link faults

    /// The link faults in force for this sidecar's upstream connections.
    private(set) var links: LinkToxics?

    /// The link faults of the current table (one version compare when nothing changed).
    var currentLinks: LinkToxics? {
        refreshTable()
        return links
    }
    /// The fault stages of this loop's live upstream connections, by address.
    private var toxicStreams: [(address: SocketAddress, stream: WeakToxicStream)] = []
    /// Connections opened on this loop under fault stages (each one's seed differs).
    private var toxicConnections: UInt64 = 0
    /// When `toxicStreams` is next pruned of ended connections (twice the live ones, at least 64).
    private var pruneToxicStreamsAt = 64

    /// A weak reference to a connection's fault stage (the connection owns it).
    struct WeakToxicStream {
        weak var stream: ToxicStream?
    }

    /// The stream to run a new upstream connection to `address` on: `tcp` itself, or a
    /// `ToxicStream` over it when link faults apply to `address` (registered for updates).
    func stream(over tcp: TCPConnection, to address: SocketAddress) throws(IOError) -> any ByteStream {
        refreshTable()
        guard let toxics = links?.byAddress[address] else { return tcp }
        toxicConnections &+= 1
        do {
            // Its own seed (not the loop's stream, which splits draw from): the sidecar's, and the count.
            let seed = store.faultOwner.seed &+ toxicConnections &* 0x9E37_79B9_7F4A_7C15
            let stream = try ToxicStream(lower: tcp, role: .client, toxics: toxics, seed: seed, scheduler: timers, totals: counters.toxics)
            if toxicStreams.count >= pruneToxicStreamsAt {
                // Connections a fault keeps closing (reset, limitData) must not pile up here.
                toxicStreams.removeAll { $0.stream.stream == nil || $0.stream.stream!.isClosed }
                pruneToxicStreamsAt = max(64, 2 * toxicStreams.count)
            }
            toxicStreams.append((address, WeakToxicStream(stream: stream)))
            return stream
        } catch {
            throw IOError.protocolFailure("link fault: \(error)")
        }
    }

    /// Whether a pooled connection must not be used again: link faults apply to its address
    /// now but it was opened without fault stages (it finishes what it carries, then closes).
    func shouldRetire(_ connection: HTTPClientConnection) -> Bool {
        guard let links, links.byAddress[connection.address] != nil else { return false }
        let stream = connection.byteStream
        return !(stream is ToxicStream || (stream as? TLSStream)?.lower is ToxicStream)
    }

    /// A new snapshot's link faults: every live fault stage takes its address's new list (or
    /// none); stages whose connection is gone are forgotten.
    private func linksChanged(to new: LinkToxics?) {
        links = new
        // The pool asks about retiring connections only while link faults are in force
        // (a pool without them pays nothing per checkout and checkin).
        (connector as? PooledUpstreams)?.retire = new == nil ? nil : { [unowned self] connection in self.shouldRetire(connection) }
        toxicStreams.removeAll { $0.stream.stream == nil || $0.stream.stream!.isClosed }
        for entry in toxicStreams {
            try? entry.stream.stream?.update(new?.byAddress[entry.address] ?? [])
        }
    }

    /// The table's faults when it has server-side ones (this sidecar's inbound applies them).
    private var serverFaultSet: FaultSet?

    /// The server-side faults of the current table, nil when there are none (one version
    /// compare per request, no table copy).
    var serverFaults: FaultSet? {
        refreshTable()
        return serverFaultSet
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
        /// The matched route's mirror, if it has one.
        var mirror: RoutingTable.CompiledMirror? = nil
        /// The destination (its policy and shared state: budget, outlier detector, limits).
        var resolved: Resolved
    }

    /// The first route of `service` that matches `head`, and the split bucket it draws.
    func chooseRoute(service: String, head: HTTPRequestHead) -> Result<RouteChoice, RoutingFailure> {
        guard let resolved = resolve(service) else { return .failure(.unknownService) }
        let routes = resolved.destination.routes
        if routes.isEmpty { return .success(RouteChoice(route: nil, version: nil, resolved: resolved)) }
        for (index, route) in routes.enumerated() where matches(route, head) {
            guard let last = route.buckets.last else { return .failure(.noHealthyUpstream(version: nil)) }
            let draw = Int(random.next() % UInt64(last.upTo))
            let version = route.buckets.first { draw < $0.upTo }!.version
            return .success(RouteChoice(route: index, version: version, mirror: route.mirror, resolved: resolved))
        }
        return .failure(.noRouteMatched)
    }

    /// `service` in the current table with this loop's balancer for it, nil when the table has no such destination.
    func resolve(_ service: String) -> Resolved? {
        refreshTable()
        let version = table.version
        if let last = lastResolved, last.version == version, last.service == service { return last }
        guard let destination = table.destinations[service] else { return nil }
        let found = resolved(service, destination, version: version)
        lastResolved = found
        return found
    }

    /// The entry for `service`'s `destination` of table `version`: the one made before for
    /// that version, else a new one with a new balancer (the table or the policy changed).
    private func resolved(_ service: String, _ destination: RoutingTable.Destination, version: Int) -> Resolved {
        if let existing = resolved[service], existing.version == version { return existing }
        let balancer = LoadBalancer(kind: destination.policy.loadBalancer, endpointCount: destination.all.count, now: timers.now)
        let entry = Resolved(service: service, version: version, destination: destination, balancer: balancer,
                             faults: table.faults?.clientRules(for: service))
        resolved[service] = entry
        return entry
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
        guard let resolved = resolve(service), !resolved.destination.all.isEmpty else { return nil }
        let balancer = resolved.balancer
        let all = resolved.destination.all
        let now = timers.now
        let outlier = resolved.destination.shared.outlier
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
        resolve(service)?.destination.all.map(\.address) ?? []
    }

    /// The balancer of `service` on this loop (a new one when the table or the policy changed).
    func balancer(for service: String, _ destination: RoutingTable.Destination, version: Int) -> LoadBalancer {
        resolved(service, destination, version: version).balancer
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
