// MeshConfig: what the control plane sends to sidecars and how they talk, as plain
// Codable values shared by both sides (and the orchestrator). No I/O.
//
// The protocol, all JSON over HTTP/1.1 on the control plane's port:
//
//   POST /v1/heartbeat   body Heartbeat          sidecar → control, every second;
//                                                 the first one registers the instance
//   GET  /v1/snapshot?instance=ID&after=N        long poll: 200 with a MeshSnapshot whose
//                                                 version > N, or 204 after ~20 s with none
//   POST /v1/ack         body Ack                 the sidecar applied (or rejected) a version
//   GET  /v1/instances                            [InstanceStatus], for status and tests
//   GET  /v1/snapshot/current                     the latest MeshSnapshot
//   GET  /v1/faults, POST /v1/faults (a fault, as the topology writes it, in JSON),
//   DELETE /v1/faults[/ID]                        the faults in force (every sidecar gets
//                                                 them with the next snapshot)
//   POST /v1/instances/ID/down                    the instance's app or sidecar ended (the
//                                                 supervisor saw it): unroutable at once
//
// An instance whose heartbeat is older than 3 s (or which reports ready: false) leaves
// every snapshot's endpoint lists; that bumps the version, so sidecars route around it.
// An instance marked down leaves them at once and stays out until its sidecar shows it
// noticed: a heartbeat with ready: false, or one from a new sidecar process (another
// `incarnation`), after which heartbeats decide again.

/// Everything a sidecar needs to route, at one version. A destination's policy and a
/// route's mirror are optional fields, so snapshots without them decode as before.
public struct MeshSnapshot: Codable, Sendable, Equatable {
    /// Increases with every change; sidecars acknowledge it.
    public var version: Int
    /// The topology's name.
    public var topology: String
    /// Per destination service: endpoints, routes, policy, who may call it.
    public var services: [String: DestinationConfig]
    /// How sidecars secure traffic between them; nil when mTLS is disabled.
    public var mtls: MTLSConfig?
    /// The faults in force, in the order they were added; nil or empty when none.
    public var faults: [FaultConfig]?
    /// What sidecars report besides metrics; nil: every default.
    public var telemetry: TelemetryConfig?

    public init(version: Int, topology: String, services: [String: DestinationConfig], mtls: MTLSConfig? = nil, faults: [FaultConfig]? = nil,
                telemetry: TelemetryConfig? = nil) {
        self.version = version
        self.topology = topology
        self.services = services
        self.mtls = mtls
        self.faults = faults
        self.telemetry = telemetry
    }
}

/// How to reach one destination service.
public struct DestinationConfig: Codable, Sendable, Equatable {
    /// Healthy endpoints per version (subset), in a stable order.
    public var versions: [String: [Endpoint]]
    /// Routes in order; the first match wins. Empty: spread over every endpoint of every version.
    public var routes: [RouteConfig]
    /// Callers allowed (service names, or `ingress`, each optionally only for some methods
    /// and paths); nil means everyone.
    public var allow: [AllowConfig]?
    /// How callers treat the destination (timeouts, retries, circuit breaking, load
    /// balancing); nil for a destination without a policy (`ResolvedPolicy.defaults`).
    public var policy: PolicyConfig?

    public init(versions: [String: [Endpoint]], routes: [RouteConfig] = [], allow: [AllowConfig]? = nil, policy: PolicyConfig? = nil) {
        self.versions = versions
        self.routes = routes
        self.allow = allow
        self.policy = policy
    }
}

/// One instance that serves a destination: where its sidecar's inbound port listens.
public struct Endpoint: Codable, Sendable, Equatable {
    /// Instance id, e.g. `reviews-v1-0`.
    public var id: String
    /// The instance's sidecar inbound address, `127.0.0.1:P`.
    public var address: String

    public init(id: String, address: String) {
        self.id = id
        self.address = address
    }
}

/// A route rule: a match, a split of traffic over versions and an optional mirror.
public struct RouteConfig: Codable, Sendable, Equatable {
    /// Request headers that must be present with exactly these values (names lower-case).
    public var headers: [String: String]
    /// A path prefix the request must start with, if any.
    public var pathPrefix: String?
    /// Weights per version, summing to 100.
    public var split: [String: Int]
    /// Where copies of the route's requests go, if anywhere.
    public var mirror: MirrorConfig?

    public init(headers: [String: String] = [:], pathPrefix: String? = nil, split: [String: Int], mirror: MirrorConfig? = nil) {
        self.headers = headers
        self.pathPrefix = pathPrefix
        self.split = split
        self.mirror = mirror
    }
}

/// A sidecar's periodic report; the first one registers it.
public struct Heartbeat: Codable, Sendable, Equatable {
    public var instance: String
    public var service: String
    public var version: String
    /// The sidecar's inbound address.
    public var inbound: String
    /// Whether the local app answers its health check.
    public var ready: Bool
    /// Tells one sidecar process from the next for the same instance (any string fixed for
    /// the life of the process); optional.
    public var incarnation: String?
    /// The sidecar's admin address (`/metrics`, for the control plane's aggregate view); optional.
    public var admin: String?

    public init(instance: String, service: String, version: String, inbound: String, ready: Bool, incarnation: String? = nil,
                admin: String? = nil) {
        self.instance = instance
        self.service = service
        self.version = version
        self.inbound = inbound
        self.ready = ready
        self.incarnation = incarnation
        self.admin = admin
    }
}

/// A sidecar's answer to a snapshot: applied, or rejected with the reason.
public struct Ack: Codable, Sendable, Equatable {
    public var instance: String
    public var version: Int
    /// nil when applied.
    public var error: String?

    public init(instance: String, version: Int, error: String? = nil) {
        self.instance = instance
        self.version = version
        self.error = error
    }
}

/// What the control plane knows about one instance.
public struct InstanceStatus: Codable, Sendable, Equatable {
    public var instance: String
    public var service: String
    public var version: String
    public var inbound: String
    /// Heartbeat fresh and app ready.
    public var healthy: Bool
    /// Milliseconds since the last heartbeat.
    public var lastSeenMillis: Int
    /// The last snapshot version it acknowledged (applied), if any.
    public var ackedVersion: Int?
    /// The last rejection, if the latest answer was one.
    public var rejected: Ack?

    public init(instance: String, service: String, version: String, inbound: String, healthy: Bool,
                lastSeenMillis: Int, ackedVersion: Int?, rejected: Ack?) {
        self.instance = instance
        self.service = service
        self.version = version
        self.inbound = inbound
        self.healthy = healthy
        self.lastSeenMillis = lastSeenMillis
        self.ackedVersion = ackedVersion
        self.rejected = rejected
    }
}
