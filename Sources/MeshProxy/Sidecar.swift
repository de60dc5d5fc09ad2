import MeshHTTPIO
import MeshIO

/// A running sidecar (or the ingress gateway): its listeners, its per-loop state and
/// its control-plane client, assembled from a `SidecarConfiguration`.
///
///     app ──▶ outbound ──▶ route ──▶ peer's inbound ──▶ peer's app
///     client ──▶ gateway (Host = service) ──▶ route ──▶ instance's inbound
///     admin: /ready /config /stats /certs
public final class Sidecar: Sendable {
    private let group: EventLoopGroup
    private let servers: [HTTPServer]
    /// Each loop's access log and span log (written by its loop only).
    private let accessLogs: [(EventLoop, AccessLog)]
    private let spanLogs: [(EventLoop, SpanLog)]
    private let control: ControlClient
    private let store: SnapshotStore
    private let identity: WorkloadIdentity?
    /// The addresses actually bound, by role: outbound, inbound, gateway, admin.
    public let addresses: [String: SocketAddress]
    /// How many connections each listener keeps open at once, by the same roles.
    public let connectionLimits: [String: Int]
    /// The routing table it routes with now (what its admin `/config` shows).
    public var routingTable: RoutingTable { store.table }

    public init(_ configuration: SidecarConfiguration) throws(IOError) {
        let group = try EventLoopGroup(threads: configuration.threads)
        self.group = group
        let store = SnapshotStore(faultOwner: FaultSet.Owner(service: configuration.service, version: configuration.version, seed: configuration.seed))
        self.store = store
        let health = AppHealth(app: configuration.app, path: configuration.appReadyPath)
        let identity = ControlClient.workloadIdentity(configuration, on: group.loops[0])
        self.identity = identity
        var states: [ObjectIdentifier: ProxyLoopState] = [:]
        for (index, loop) in group.loops.enumerated() {
            states[ObjectIdentifier(loop)] = ProxyLoopState(
                loop: loop, store: store, seed: configuration.seed &+ UInt64(index), instance: configuration.instance,
                upstreamTimeout: configuration.upstreamTimeout, bodyTimeout: configuration.bodyTimeout,
                ejectionTime: configuration.ejectionTime)
        }
        let log = RejectionLog(instance: configuration.instance)
        var accessLogs: [(EventLoop, AccessLog)] = []
        var spanLogs: [(EventLoop, SpanLog)] = []
        for (loop, state) in group.loops.map({ ($0, states[ObjectIdentifier($0)]!) }) {
            state.service = configuration.service
            state.version = configuration.version
            let descriptor = configuration.accessLogDescriptor
            let accessLog = AccessLog(timers: loop, output: { bytes in if let descriptor { Posix.writeAll(descriptor, bytes) } })
            state.accessLog = accessLog
            accessLogs.append((loop, accessLog))
            let control = configuration.control
            let spanLog = SpanLog(service: configuration.service, version: configuration.version, instance: configuration.instance,
                                  counters: state.counters, timers: loop) { body, done in
                OneShotRequest.send("POST", "/v1/spans", body: body, to: control, on: loop, timeout: 5_000_000_000) { result in
                    done(result?.status == 202)
                }
            }
            state.spanLog = spanLog
            spanLogs.append((loop, spanLog))
            // On the loop that owns the pool, before any listener exists.
            loop.execute {
                (state.connector as? PooledUpstreams)?.pool.connect = MeshTransport.connector(identity: identity, state: state, log: log)
            }
        }
        self.accessLogs = accessLogs
        self.spanLogs = spanLogs
        let byLoop = states
        let counters = group.loops.map { states[ObjectIdentifier($0)]!.counters }
        let metrics = group.loops.map { states[ObjectIdentifier($0)]!.metrics }
        var started: [HTTPServer] = []
        // Every proxied connection holds an upstream one too: by default the proxying listeners
        // share half of the descriptors (`TCPServer.defaultConnectionLimit`) between them, and
        // the admin port has a small budget of its own, so a flood on one port can neither
        // starve upstream connects nor the readiness probes.
        let proxying = [configuration.outboundAddress, configuration.app == nil ? nil : configuration.inboundAddress,
                        configuration.gatewayAddress].compactMap { $0 }.count
        let perListener = configuration.maxConnections ?? max(16, TCPServer.defaultConnectionLimit / max(1, proxying))
        let serverConfiguration = HTTPServerConfiguration(maxConnections: perListener)
        let adminConfiguration = HTTPServerConfiguration(maxConnections: SidecarConfiguration.adminConnectionLimit)
        var bound: [String: SocketAddress] = [:]
        var limits: [String: Int] = [:]
        do {
            func listen(_ role: String, _ address: SocketAddress?, _ mode: ProxyMode,
                        _ configuration: HTTPServerConfiguration = serverConfiguration) throws(IOError) {
                guard let address else { return }
                let server = try HTTPServer(group: group, address: address, configuration: configuration) { loop in
                    ProxyExchange(mode: mode, state: byLoop[ObjectIdentifier(loop)]!)
                }
                started.append(server)
                bound[role] = server.address
                limits[role] = server.connectionLimit
            }
            try listen("outbound", configuration.outboundAddress, .outbound(source: configuration.service))
            if let app = configuration.app {
                var inbound = serverConfiguration
                inbound.streamWrapper = MeshTransport.inbound(identity: identity, states: byLoop, log: log)
                try listen("inbound", configuration.inboundAddress, .inbound(app: app), inbound)
            }
            try listen("gateway", configuration.gatewayAddress, .gateway)
            let admin = try HTTPServer(group: group, address: configuration.adminAddress, configuration: adminConfiguration) { _ in
                AdminHandler(store: store, health: health, instance: configuration.instance, counters: counters, metrics: metrics, identity: identity)
            }
            started.append(admin)
            bound["admin"] = admin.address
            limits["admin"] = admin.connectionLimit
        } catch {
            for server in started { server.shutdown(timeout: 0) }
            group.shutdown()
            throw error
        }
        self.servers = started
        self.addresses = bound
        self.connectionLimits = limits
        let controlLoop = group.loops[0]
        // Heartbeats advertise the inbound address actually bound (port 0 means any).
        var advertised = configuration
        advertised.inboundAddress = bound["inbound"]
        advertised.adminAddress = bound["admin"] ?? configuration.adminAddress
        let control = ControlClient(loop: controlLoop, configuration: advertised, store: store, health: health, identity: identity)
        self.control = control
        controlLoop.execute { control.start() }
    }

    /// Stops accepting, finishes in-flight requests, stops the loops.
    public func shutdown() {
        group.loops[0].execute { [control] in control.stop() }
        for server in servers { server.shutdown(timeout: 5_000_000_000) }
        // The access log's waiting lines, before the loops stop.
        for (loop, log) in accessLogs { loop.execute { log.flush() } }
        for (loop, log) in spanLogs { loop.execute { log.flush() } }
        group.shutdown()
    }
}
