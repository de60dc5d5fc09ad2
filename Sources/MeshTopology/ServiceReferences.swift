import MeshYAML

/// Checks names that refer to services and versions (routes, policies, authorization,
/// calls, faults) against the topology's services (internal). With no services to check
/// against, every name passes.
struct ServiceReferences {
    /// The caller name for requests that enter through the ingress gateway (reserved: no
    /// service may be called `ingress`).
    static let ingress = "ingress"

    let services: OrderedMap<Service>?
    /// "Did you mean" over the service names, and over them and `ingress` (each name looked up once).
    private let suggester: NameSuggester
    private let suggesterWithIngress: NameSuggester

    init(services: OrderedMap<Service>?) {
        self.services = services
        let names = services?.keys ?? []
        self.suggester = NameSuggester(names)
        self.suggesterWithIngress = NameSuggester(names + [Self.ingress])
    }

    /// Whether `name` names a service (or, with `allowIngress`, is `ingress`); logs
    /// `KEY: unknown service 'NAME' (did you mean 'X'?)` at `node` when it does not.
    @discardableResult
    func checkService(_ name: String, key: String, node: YAMLNode, allowIngress: Bool = false, log: inout DiagnosticLog) -> Bool {
        guard let services else { return true }
        if services.contains(name) || (allowIngress && name == Self.ingress) { return true }
        let hint = (allowIngress ? suggesterWithIngress : suggester).hint(for: name)
        log.error("\(key): unknown service '\(name)'\(hint)", at: node.mark)
        return false
    }

    /// Whether service `service` (already checked) has version `version`; logs
    /// `KEY: unknown version 'V' of service 'S' (versions: v1, v2)` at `node` when not.
    @discardableResult
    func checkVersion(_ version: String, of service: String, key: String, node: YAMLNode, log: inout DiagnosticLog) -> Bool {
        guard let known = services?[service] else { return true }
        if known.versions.contains(version) { return true }
        let list = known.versions.keys.joined(separator: ", ")
        log.error("\(key): unknown version '\(version)' of service '\(service)' (versions: \(list))", at: node.mark)
        return false
    }

    /// The service called `name`, when services are known and it is one of them.
    subscript(name: String) -> Service? { services?[name] }
}
