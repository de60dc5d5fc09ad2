/// One instance in the state file: its processes and addresses (SPEC §5).
public struct InstanceState: Codable, Sendable, Equatable {
    /// `SERVICE-VERSION-INDEX`, e.g. `reviews-v1-0`.
    public var id: String
    public var service: String
    public var version: String
    /// 0-based index within the version.
    public var index: Int
    /// `spiffe://TRUST_DOMAIN/ns/TOPOLOGY/sa/SERVICE`.
    public var identity: String
    /// The app's pid (echo app or the user's program) once started.
    public var pid: Int32?
    /// The sidecar's pid once started (nil without the mesh).
    public var sidecarPID: Int32?
    /// The app's address, `127.0.0.1:P`.
    public var app: String
    /// The sidecar's inbound address (nil without the mesh).
    public var inbound: String?
    /// The sidecar's outbound address, where the app sends its calls (nil without the mesh).
    public var outbound: String?
    /// The sidecar's admin address (nil without the mesh).
    public var admin: String?
    /// Whether the app is the user's own program (`app:` in the topology) rather than the echo app.
    public var custom: Bool
    /// The HTTP path that answers once the app is up: `/` for the echo app, `app.ready` for
    /// the user's program (nil: the app is up once its port accepts connections).
    public var readyPath: String?

    public init(
        id: String, service: String, version: String, index: Int, identity: String, pid: Int32? = nil,
        sidecarPID: Int32? = nil, app: String, inbound: String? = nil, outbound: String? = nil, admin: String? = nil,
        custom: Bool = false, readyPath: String? = "/"
    ) {
        self.id = id
        self.service = service
        self.version = version
        self.index = index
        self.identity = identity
        self.pid = pid
        self.sidecarPID = sidecarPID
        self.app = app
        self.inbound = inbound
        self.outbound = outbound
        self.admin = admin
        self.custom = custom
        self.readyPath = readyPath
    }

    /// How to tell that the app is up: the echo app answers `GET /` with 200, the user's
    /// program answers its `ready` path with 2xx (or accepts connections when it has none).
    public var appProbe: ReadinessProbe {
        guard let readyPath else { return .tcp(address: app) }
        return .http(address: app, path: readyPath, accepts: custom ? 200...299 : 200...200)
    }

    /// How to tell that the instance is ready: its sidecar's admin `/ready` with the mesh
    /// (the sidecar checks its app), the app itself without.
    public var readinessProbe: ReadinessProbe {
        guard let admin else { return appProbe }
        return .http(address: admin, path: "/ready", accepts: 200...200)
    }
}
