import MeshYAML

/// One service of a topology: its versions (each with instances), the services its echo app
/// calls, or the user's own `app` that runs instead of the echo app.
///
/// A service without `versions` has one version, `v1`, with the service-level `replicas`
/// (and, as a meshbed extension, the service-level `behavior`); setting either of those
/// beside `versions` is an error. `behavior` configures the echo app, so a service with an
/// `app` may not have one. Its `calls` are still read: they declare its dependencies for the
/// cycle check and for readers, though meshbed makes no calls on its behalf.
public struct Service: Sendable, Equatable {
    /// The service name, `[a-z0-9-]+` (also its DNS-like `Host` and its SPIFFE `sa/` segment).
    public let name: String
    /// `calls` as written at the service level (versions may override it, see `ServiceVersion.calls`).
    public let calls: [String]
    /// The versions, in the order written; never empty.
    public let versions: OrderedMap<ServiceVersion>
    /// `app`: the user's program, or `nil` for the echo app.
    public let app: AppSpec?
    /// Whether the file declared `versions` (otherwise `versions` is the implicit `v1`).
    public let hasDeclaredVersions: Bool

    /// A service with declared versions (at least one).
    public init(name: String, calls: [String] = [], app: AppSpec? = nil, versions: OrderedMap<ServiceVersion>) {
        precondition(!versions.isEmpty, "Service: versions must not be empty")
        self.name = name
        self.calls = calls
        self.app = app
        self.versions = versions
        self.hasDeclaredVersions = true
    }

    /// A service without versions: one version `v1` with `replicas`, `behavior` and `calls`.
    public init(name: String, calls: [String] = [], app: AppSpec? = nil, replicas: Int = 1, behavior: Behavior = .none) {
        self.name = name
        self.calls = calls
        self.app = app
        let implicit = ServiceVersion(name: ServiceVersion.implicitName, replicas: replicas, behavior: behavior, calls: calls)
        self.versions = [ServiceVersion.implicitName: implicit]
        self.hasDeclaredVersions = false
    }

    /// Whether the echo app runs for this service.
    public var usesEchoApp: Bool { app == nil }

    /// Instances over all versions.
    public var instanceCount: Int { versions.values.reduce(0) { $0 + $1.replicas } }

    /// Every service some version calls, each once, in first-seen order.
    public var callees: [String] {
        var seen: Set<String> = []
        return versions.values.flatMap(\.calls).filter { seen.insert($0).inserted }
    }
}

extension Service {
    static let keys = ["calls", "versions", "replicas", "behavior", "app"]

    /// Where a service's references were written, for the checks that need the whole topology.
    struct Source {
        /// The service's key under `services:`.
        let nameNode: YAMLNode
        /// Service-level `calls` entries.
        var calls: [(name: String, node: YAMLNode)] = []
        /// Whether some version uses the service-level `calls` (does not override them).
        var callsUsed = true
        /// Per-version `calls` entries, in version order.
        var versionCalls: [(version: String, calls: [(name: String, node: YAMLNode)])] = []
        /// Each declared version's key under `versions:`.
        var versionNodes: [String: YAMLNode] = [:]

        init(nameNode: YAMLNode) {
            self.nameNode = nameNode
        }

        /// The calls that make up the call graph: service-level calls some version uses, then
        /// version overrides, each callee once (at its first entry).
        var edges: [(name: String, node: YAMLNode)] {
            var seen: Set<String> = []
            let all = (callsUsed ? calls : []) + versionCalls.flatMap(\.calls)
            return all.filter { seen.insert($0.name).inserted }
        }
    }

    /// Reads one entry of `services:`. Always returns a service (with defaults where the file
    /// is wrong) so later references to it resolve; the log says whether it was valid.
    static func read(name: String, nameNode: YAMLNode, node: YAMLNode, log: inout DiagnosticLog) -> (Service, Source) {
        var source = Source(nameNode: nameNode)
        let context = "in service '\(name)'"
        guard let fields = MappingReader(node, key: name, context: context, allowed: keys, log: &log) else {
            return (Service(name: name), source)
        }
        if let value = fields["calls"] {
            source.calls = ValueReader.nameList(value, key: "calls", what: "service", log: &log) ?? []
        }
        let calls = source.calls.map(\.name)
        let app = fields["app"].flatMap { AppSpec.read($0, service: name, log: &log) }
        let hasApp = fields["app"] != nil
        let appNote = "applies to the echo app only, and service '\(name)' runs its own app"
        if hasApp, let key = fields.keyNode("behavior") {
            log.error("behavior: \(appNote)", at: key.mark)
        }

        guard let versionsNode = fields["versions"] else {
            let replicas = fields["replicas"].flatMap { ServiceVersion.readReplicas($0, log: &log) } ?? 1
            let behaviorNode = hasApp ? nil : fields["behavior"]
            let behavior = behaviorNode.flatMap { Behavior.read($0, context: "of service '\(name)'", log: &log) } ?? .none
            return (Service(name: name, calls: calls, app: app, replicas: replicas, behavior: behavior), source)
        }

        for key in hasApp ? ["replicas"] : ["replicas", "behavior"] {
            if let keyNode = fields.keyNode(key) {
                log.error("\(key): set \(key) per version when service '\(name)' has versions", at: keyNode.mark)
            }
        }
        var versions = OrderedMap<ServiceVersion>()
        let entries = ValueReader.entries(versionsNode, key: "versions", expected: "a mapping of version names", log: &log)
        if entries?.isEmpty == true {
            log.error("versions: expected at least one version", at: versionsNode.mark)
        }
        source.callsUsed = false
        for (versionName, pair) in entries ?? [] {
            _ = ValueReader.name(pair.key, key: "version name", log: &log)
            if versionName == ServiceVersion.noVersion {
                log.error("version name: '\(versionName)' is reserved (scenario reports count responses without a version under it)", at: pair.key.mark)
            }
            source.versionNodes[versionName] = pair.key
            let versionContext = "in version '\(versionName)' of service '\(name)'"
            var version = ServiceVersion(name: versionName, calls: calls)
            if let versionFields = MappingReader(pair.value, key: versionName, context: versionContext, allowed: ServiceVersion.keys, log: &log) {
                let replicas = versionFields["replicas"].flatMap { ServiceVersion.readReplicas($0, log: &log) } ?? 1
                var behavior = Behavior.none
                if let behaviorNode = versionFields["behavior"] {
                    if hasApp, let key = versionFields.keyNode("behavior") {
                        log.error("behavior: \(appNote)", at: key.mark)
                    } else {
                        let owner = "of version '\(versionName)' of service '\(name)'"
                        behavior = Behavior.read(behaviorNode, context: owner, log: &log) ?? .none
                    }
                }
                var versionCalls = calls
                if let callsNode = versionFields["calls"] {
                    let entries = ValueReader.nameList(callsNode, key: "calls", what: "service", log: &log) ?? []
                    source.versionCalls.append((versionName, entries))
                    versionCalls = entries.map(\.name)
                } else {
                    source.callsUsed = true
                }
                version = ServiceVersion(name: versionName, replicas: replicas, behavior: behavior, calls: versionCalls)
            } else {
                source.callsUsed = true
            }
            versions.insert(version, for: versionName)
        }
        if versions.isEmpty {
            return (Service(name: name, calls: calls, app: app), source)
        }
        return (Service(name: name, calls: calls, app: app, versions: versions), source)
    }
}
