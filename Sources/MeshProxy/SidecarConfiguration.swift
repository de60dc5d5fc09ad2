import MeshIO

/// Everything `meshbed proxy` is told on its command line.
public struct SidecarConfiguration: Sendable {
    /// Instance id (`reviews-v1-0`; `ingress` for the gateway).
    public var instance: String
    /// The service this sidecar belongs to (`ingress` for the gateway).
    public var service: String
    /// The version (subset) of that service.
    public var version: String
    /// The control plane's address.
    public var control: SocketAddress
    /// Peers' mTLS-side listener (nil for the gateway).
    public var inboundAddress: SocketAddress?
    /// The local app's listener for outgoing calls (nil for the gateway).
    public var outboundAddress: SocketAddress?
    /// The gateway's public listener (gateway only).
    public var gatewayAddress: SocketAddress?
    /// Admin port: /ready, /config.
    public var adminAddress: SocketAddress
    /// The local app (nil for the gateway).
    public var app: SocketAddress?
    /// The app's health-check path.
    public var appReadyPath: String = "/"
    /// Event-loop threads.
    public var threads: Int = 1
    /// Where the access log's lines go: a file descriptor (standard output, which `up`
    /// sends to the sidecar's log file), or nil to write them nowhere (tests in one process).
    public var accessLogDescriptor: Int32? = 1
    /// Seed for split draws.
    public var seed: UInt64 = 1
    /// This instance's bootstrap token (`MESHBED_BOOTSTRAP_TOKEN`): how it proves to the CA
    /// which instance it is, to get its certificate when the mesh uses mTLS.
    public var bootstrapToken: String?
    /// The route timeout of destinations whose policy sets none: how long an upstream may take
    /// to send its whole response, from the end of the request, in nanoseconds (0: no limit). After it: 504 with a JSON error (or, once the
    /// response has started, the downstream connection is cut), and the upstream connection
    /// is closed, never pooled.
    public var upstreamTimeout: UInt64 = SidecarConfiguration.defaultUpstreamTimeout
    /// How long an endpoint that refused or reset a connection is skipped (unless a new
    /// snapshot arrives first), in nanoseconds.
    public var ejectionTime: UInt64 = SidecarConfiguration.defaultEjectionTime

    /// How long a request body may make no progress before the caller gets 408 (nanoseconds; 0: no limit).
    public var bodyTimeout: UInt64 = SidecarConfiguration.defaultBodyTimeout

    /// Envoy's default route timeout: 15 s.
    public static let defaultUpstreamTimeout: UInt64 = 15_000_000_000
    /// 15 s, as the route timeout.
    public static let defaultBodyTimeout: UInt64 = 15_000_000_000
    /// 5 s: long enough for the control plane to remove a dead instance, short enough for
    /// a briefly unreachable one to come back on its own.
    public static let defaultEjectionTime: UInt64 = 5_000_000_000
    /// The most connections each proxying listener (outbound, inbound, gateway) keeps open at
    /// once (nil: `TCPServer.defaultConnectionLimit` shared between them, since each also
    /// needs an upstream connection); more are closed at once and counted.
    public var maxConnections: Int?
    /// The admin port's own connection limit (probes, `/config`): apart from the proxying
    /// listeners', so a flood there cannot keep readiness probes out.
    public static let adminConnectionLimit = 64

    public init(instance: String, service: String, version: String, control: SocketAddress, adminAddress: SocketAddress) {
        self.instance = instance
        self.service = service
        self.version = version
        self.control = control
        self.adminAddress = adminAddress
    }
}
