import MeshConfig
import MeshCore
import MeshHTTP
import MeshTopology

/// The versioned snapshots of one topology: the current `MeshSnapshot` and what it is made
/// of (healthy endpoints and the routes in force). A value with no I/O.
///
/// Version 1 has no endpoints (and the topology's faults). Every change of the healthy
/// endpoints, every live route replacement, mTLS mode, telemetry and fault change makes the
/// next version; nothing else does, so an unchanged mesh keeps its
/// version and held polls stay held.
///
/// A destination's `DestinationConfig` lists every version of the service (empty when none
/// of its instances is healthy), its routes (topology routes until replaced live, each with
/// its mirror), its `allow` list (nil when the topology has no authorization rule for it)
/// and its policy (nil when the topology has none for it, every field written out when it
/// has one). A topology route without a `split` ("every instance of the destination")
/// becomes a split over every version weighted by its replicas (largest remainder to 100),
/// so sidecars, which pick a version by weight and then an endpoint in turn, spread such
/// requests over all instances.
struct SnapshotStore {
    let topology: Topology
    /// Routes in force per destination.
    private(set) var routes: [String: [RouteConfig]]
    /// Healthy endpoints: service → version → endpoints sorted by id.
    private(set) var endpoints: [String: [String: [Endpoint]]] = [:]
    private(set) var current: MeshSnapshot
    /// Mutual TLS in force (the topology's, until changed live between strict and permissive).
    private(set) var mtls: MTLSConfig?
    /// The faults in force (`FaultBook.configs`).
    private(set) var faults: [FaultConfig]
    /// Access log and tracing in force (the topology's, until changed live).
    private(set) var telemetry: TelemetryConfig

    init(topology: Topology, faults: [FaultConfig] = []) {
        self.topology = topology
        self.faults = faults
        self.mtls = Self.mtls(of: topology)
        self.telemetry = topology.mesh.telemetry
        var routes: [String: [RouteConfig]] = [:]
        for (destination, list) in topology.routes {
            routes[destination] = list.map { Self.routeConfig($0, service: topology.services[destination]) }
        }
        self.routes = routes
        self.current = MeshSnapshot(version: 1, topology: topology.name, services: [:], mtls: Self.mtls(of: topology))
        self.current = build(version: 1)
    }

    /// The current version.
    var version: Int { current.version }

    /// Takes the healthy endpoints; makes a new version when they differ from the current
    /// ones. Returns whether it did.
    mutating func update(endpoints: [String: [String: [Endpoint]]]) -> Bool {
        guard endpoints != self.endpoints else { return false }
        self.endpoints = endpoints
        current = build(version: current.version + 1)
        return true
    }

    /// Moves the inbound mode between strict and permissive (always a new version), as an
    /// Istio PeerAuthentication change does; a topology with mTLS disabled cannot turn it on
    /// live (its sidecars have no certificates), so that is refused (409).
    mutating func setMTLS(mode: MTLSConfig.Mode) throws(ControlError) {
        guard let mtls else {
            throw ControlError(status: 409, "mtls: this topology runs with mtls 'disabled' (no certificates): the mode cannot change while it runs")
        }
        self.mtls = MTLSConfig(mode: mode, trustDomain: mtls.trustDomain)
        current = build(version: current.version + 1)
    }

    /// Replaces the access log and tracing settings in force (always a new version), as an
    /// Istio Telemetry resource change does.
    mutating func setTelemetry(_ telemetry: TelemetryConfig) {
        self.telemetry = telemetry
        current = build(version: current.version + 1)
    }

    /// Replaces the faults in force (always a new version).
    mutating func setFaults(_ faults: [FaultConfig]) {
        self.faults = faults
        current = build(version: current.version + 1)
    }

    /// Replaces the routes of `destination` (always a new version). Header names are
    /// lower-cased; each split must name versions of the destination with weights 0–100
    /// summing to 100, and a mirror a version of the destination with a percent 0–100.
    mutating func replaceRoutes(destination: String, routes: [RouteConfig]) throws(ControlError) {
        self.routes[destination] = try Self.validate(routes: routes, destination: destination, topology: topology)
        current = build(version: current.version + 1)
    }

    /// Telemetry settings as snapshots carry them (nil: every default).
    static func telemetryConfig(_ settings: TelemetryConfig) -> TelemetryConfig? {
        settings == .default ? nil : settings
    }

    /// The topology's mTLS settings as snapshots carry them (nil: disabled).
    static func mtls(of topology: Topology) -> MTLSConfig? {
        switch topology.mesh.mtls {
        case .strict: MTLSConfig(mode: .strict, trustDomain: topology.mesh.trustDomain)
        case .permissive: MTLSConfig(mode: .permissive, trustDomain: topology.mesh.trustDomain)
        case .disabled: nil
        }
    }

    /// A topology route of `service` as the protocol carries it (header names lower-case;
    /// no split: every version, weighted by replicas; the mirror as written).
    static func routeConfig(_ route: Route, service: Service?) -> RouteConfig {
        var headers: [String: String] = [:]
        for (name, value) in route.match.headers { headers[name.lowercased()] = value }
        var split: [String: Int] = [:]
        if let written = route.split {
            for (version, weight) in written { split[version] = weight }
        } else if let service {
            split = replicaSplit(service)
        }
        let mirror = route.mirror.map { MirrorConfig(version: $0.version, percent: $0.percent) }
        return RouteConfig(headers: headers, pathPrefix: route.match.pathPrefix, split: split, mirror: mirror)
    }

    /// A topology policy as the protocol carries it: every field, durations as meshbed text.
    static func policyConfig(_ policy: Policy) -> PolicyConfig {
        let retries = policy.retries.map { retries in
            PolicyConfig.Retries(
                attempts: retries.attempts, perTryTimeout: retries.perTryTimeout?.meshbedDescription,
                retryOn: retries.retryOn.map(retryCondition),
                retriableStatusCodes: retries.retriableStatusCodes, retryNonIdempotent: retries.retryNonIdempotent)
        }
        let circuitBreaker = policy.circuitBreaker.map { breaker in
            PolicyConfig.CircuitBreaker(
                consecutive5xxErrors: breaker.consecutive5xxErrors, consecutiveGatewayErrors: breaker.consecutiveGatewayErrors,
                interval: breaker.interval.meshbedDescription, baseEjectionTime: breaker.baseEjectionTime.meshbedDescription,
                maxEjectionPercent: breaker.maxEjectionPercent, minHealthPercent: breaker.minHealthPercent,
                maxConnections: breaker.maxConnections, maxPendingRequests: breaker.maxPendingRequests, maxRequests: breaker.maxRequests)
        }
        return PolicyConfig(
            timeout: policy.timeout?.meshbedDescription, connectTimeout: policy.connectTimeout.meshbedDescription,
            idleTimeout: policy.idleTimeout.meshbedDescription, retries: retries, circuitBreaker: circuitBreaker,
            loadBalancer: loadBalancer(policy.loadBalancer))
    }

    static func retryCondition(_ condition: RetryPolicy.Condition) -> PolicyConfig.RetryCondition {
        switch condition {
        case .serverError: .serverError
        case .gatewayError: .gatewayError
        case .connectFailure: .connectFailure
        case .reset: .reset
        case .retriable4xx: .retriable4xx
        case .retriableStatusCodes: .retriableStatusCodes
        }
    }

    static func loadBalancer(_ balancer: LoadBalancer) -> PolicyConfig.LoadBalancer {
        switch balancer {
        case .roundRobin: .roundRobin
        case .leastRequest: .leastRequest
        case .random: .random
        case .ewma: .ewma
        }
    }

    /// Weights per version proportional to replicas, summing to 100: each gets the floor of
    /// its share, and the points left go to the largest remainders (ties: version order).
    static func replicaSplit(_ service: Service) -> [String: Int] {
        let versions = service.versions.values
        let total = versions.reduce(0) { $0 + $1.replicas }
        guard total > 0 else { return [:] }
        var split: [String: Int] = [:]
        var remainders: [(version: String, remainder: Int, order: Int)] = []
        for (order, version) in versions.enumerated() {
            split[version.name] = version.replicas * 100 / total
            remainders.append((version.name, version.replicas * 100 % total, order))
        }
        var left = 100 - split.values.reduce(0, +)
        for entry in remainders.sorted(by: { ($0.remainder, -$0.order) > ($1.remainder, -$1.order) }) where left > 0 {
            split[entry.version]! += 1
            left -= 1
        }
        return split
    }

    /// Checks live routes for `destination` and normalizes them (lower-case header names).
    static func validate(routes: [RouteConfig], destination: String, topology: Topology) throws(ControlError) -> [RouteConfig] {
        guard let service = topology.services[destination] else {
            throw ControlError(status: 404, "unknown service '\(destination)'; services: \(topology.services.keys.joined(separator: ", "))")
        }
        var result: [RouteConfig] = []
        for (offset, route) in routes.enumerated() {
            let label = "route \(offset + 1) for '\(destination)'"
            var headers: [String: String] = [:]
            for (name, value) in route.headers {
                guard HTTPHeaders.isValidName(Array(name.utf8)) else {
                    throw .badRequest("\(label): headers: '\(name)' is not a valid header name")
                }
                guard HTTPHeaders.isValidValue(Array(value.utf8)) else {
                    throw .badRequest("\(label): headers: the value of '\(name)' is not a valid header value")
                }
                guard headers.updateValue(value, forKey: name.lowercased()) == nil else {
                    throw .badRequest("\(label): headers: '\(name)' is listed twice")
                }
            }
            if let prefix = route.pathPrefix, !prefix.hasPrefix("/") {
                throw .badRequest("\(label): pathPrefix: expected a path starting with '/', got '\(prefix)'")
            }
            for (version, weight) in route.split.sorted(by: { $0.key < $1.key }) {
                guard service.versions.contains(version) else {
                    let known = service.versions.keys.joined(separator: ", ")
                    throw .badRequest("\(label): split: unknown version '\(version)' of service '\(destination)' (versions: \(known))")
                }
                guard (0...100).contains(weight) else {
                    throw .badRequest("\(label): split: weight of '\(version)' must be 0–100, got \(weight)")
                }
            }
            let sum = route.split.values.reduce(0, +)
            if sum != 100 {
                throw .badRequest("\(label): split: weights sum to \(sum), expected 100")
            }
            if let mirror = route.mirror {
                guard service.versions.contains(mirror.version) else {
                    let known = service.versions.keys.joined(separator: ", ")
                    throw .badRequest("\(label): mirror: unknown version '\(mirror.version)' of service '\(destination)' (versions: \(known))")
                }
                guard mirror.percent >= 0, mirror.percent <= 100 else {
                    throw .badRequest("\(label): mirror: percent must be 0–100, got \(mirror.percent)")
                }
            }
            result.append(RouteConfig(headers: headers, pathPrefix: route.pathPrefix, split: route.split, mirror: route.mirror))
        }
        return result
    }

    private func build(version: Int) -> MeshSnapshot {
        var services: [String: DestinationConfig] = [:]
        for service in topology.services.values {
            var versions: [String: [Endpoint]] = [:]
            for name in service.versions.keys {
                versions[name] = endpoints[service.name]?[name] ?? []
            }
            services[service.name] = DestinationConfig(
                versions: versions, routes: routes[service.name] ?? [],
                allow: topology.authorization[service.name]?.rules.map { AllowConfig(from: $0.from, methods: $0.methods, paths: $0.paths) },
                policy: topology.policies[service.name].map(Self.policyConfig))
        }
        return MeshSnapshot(version: version, topology: topology.name, services: services, mtls: mtls, faults: faults.isEmpty ? nil : faults,
                            telemetry: Self.telemetryConfig(telemetry))
    }
}
