import MeshYAML

/// A topology file (SPEC §3), parsed once and validated: the services and their versions,
/// mesh and ingress settings, routes, policies, authorization and the faults active from
/// the start. Only a valid file becomes a `Topology`; every mistake becomes a `Diagnostic`.
public struct Topology: Sendable, Equatable {
    /// `name`, `[a-z0-9-]+`, at most 63 characters (the SPIFFE namespace).
    public let name: String
    /// `mesh:` (defaults when absent).
    public let mesh: MeshSettings
    /// `ingress:` (defaults when absent).
    public let ingress: IngressSettings
    /// `services:`, in the order written; never empty in a loaded topology.
    public let services: OrderedMap<Service>
    /// `routes:` per destination service; each list is tried in order, first match wins.
    public let routes: OrderedMap<[Route]>
    /// `policies:` per destination service.
    public let policies: OrderedMap<Policy>
    /// `authorization:` per destination service.
    public let authorization: OrderedMap<AuthorizationRule>
    /// `faults:` active from the start, in order.
    public let faults: [FaultSpec]

    /// The value of `kind:` a topology file has.
    public static let kind = "Topology"
    /// The caller name of requests entering through the ingress gateway; no service may have it.
    public static let ingressCaller = ServiceReferences.ingress

    public init(
        name: String, mesh: MeshSettings = .default, ingress: IngressSettings = .default, services: OrderedMap<Service>,
        routes: OrderedMap<[Route]> = [:], policies: OrderedMap<Policy> = [:],
        authorization: OrderedMap<AuthorizationRule> = [:], faults: [FaultSpec] = []
    ) {
        self.name = name
        self.mesh = mesh
        self.ingress = ingress
        self.services = services
        self.routes = routes
        self.policies = policies
        self.authorization = authorization
        self.faults = faults
    }

    /// The largest topology or scenario file meshbed reads: 4 MiB (a topology of thousands
    /// of services is a few hundred KiB).
    public static let maximumFileSize = 4 * 1024 * 1024
    /// The one error for a larger file.
    public static let tooLargeMessage = "the file is larger than 4 MiB, the limit for topology and scenario files"

    /// Reads a topology file's text: one YAML document, validated, with the features that are
    /// not enforced yet refused (`UnsupportedFeatures`). Collects every mistake.
    public static func load(text: String, file: String) -> Result<Topology, TopologyErrors> {
        guard text.utf8.count <= maximumFileSize else {
            return .failure(TopologyErrors([Diagnostic(file: file, line: 1, column: 1, message: tooLargeMessage)]))
        }
        let documents: [YAMLNode]
        do throws(YAMLError) {
            documents = try YAMLParser.parse(text)
        } catch {
            return .failure(TopologyErrors([Diagnostic(file: file, mark: error.mark, message: error.message)]))
        }
        guard let document = documents.first, !(documents.count == 1 && document.isNull) else {
            let diagnostic = Diagnostic(file: file, line: 1, column: 1, message: "expected a topology, but the file is empty")
            return .failure(TopologyErrors([diagnostic]))
        }
        guard documents.count == 1 else {
            let message = "expected one YAML document, found \(documents.count)"
            return .failure(TopologyErrors([Diagnostic(file: file, mark: documents[1].mark, message: message)]))
        }
        var log = DiagnosticLog(file: file)
        let topology = TopologyValidator.read(document, log: &log)
        UnsupportedFeatures.check(document, log: &log)
        if let topology, log.isEmpty { return .success(topology) }
        return .failure(log.errors)
    }

    /// Validates a parsed document as a model: every section is read and checked, including
    /// those `load` refuses because they are not enforced yet (`UnsupportedFeatures`). Files
    /// are read with `load`. Collects every mistake, sorted by line and column.
    public static func validate(document: YAMLNode, file: String) -> Result<Topology, TopologyErrors> {
        var log = DiagnosticLog(file: file)
        let topology = TopologyValidator.read(document, log: &log)
        if let topology, log.isEmpty { return .success(topology) }
        return .failure(log.errors)
    }

    /// Every instance the orchestrator starts: services in order, then versions in order,
    /// then index, each with its id (`reviews-v1-0`) and identity.
    public var instances: [ServiceInstance] {
        services.values.flatMap { service in
            let identity = identity(of: service.name)
            return service.versions.values.flatMap { version in
                (0..<version.replicas).map {
                    ServiceInstance(service: service.name, version: version.name, index: $0, identity: identity)
                }
            }
        }
    }

    /// The instances of `service` (of one `version` when given), in `instances` order.
    public func instances(of service: String, version: String? = nil) -> [ServiceInstance] {
        instances.filter { $0.service == service && (version == nil || $0.version == version) }
    }

    /// The workload identity of `service`: `spiffe://TRUST_DOMAIN/ns/TOPOLOGY_NAME/sa/SERVICE`.
    public func identity(of service: String) -> String {
        ServiceInstance.identity(trustDomain: mesh.trustDomain, namespace: name, service: service)
    }
}
