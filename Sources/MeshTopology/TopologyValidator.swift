import MeshYAML

/// Reads a whole topology document: each section through its type's reader, then the
/// checks that need every service (references, call cycles, instance ids) (internal).
enum TopologyValidator {
    static let keys = ["kind", "name", "mesh", "ingress", "services", "routes", "policies", "authorization", "faults"]

    static func read(_ document: YAMLNode, log: inout DiagnosticLog) -> Topology? {
        guard document.pairs != nil else {
            ValueReader.fail("topology", expected: "a mapping that starts with 'kind: Topology'", node: document, log: &log)
            return nil
        }
        // Another kind of file (a scenario, say): one error, not one per unknown key.
        if let kindNode = document.value(for: "kind") {
            guard kindNode.scalarText == Topology.kind, !kindNode.isNull else {
                ValueReader.fail("kind", expected: "'\(Topology.kind)'", node: kindNode, log: &log)
                return nil
            }
        } else {
            log.error("missing key 'kind' at top level", at: document.mark)
        }
        guard let fields = MappingReader(document, key: "topology", context: "at top level", allowed: keys, log: &log) else {
            return nil
        }

        let name = fields.required("name", log: &log).flatMap { ValueReader.name($0, key: "name", log: &log) }
        let mesh = fields["mesh"].map { MeshSettings.read($0, log: &log) } ?? .default
        let ingress = fields["ingress"].map { IngressSettings.read($0, log: &log) } ?? .default

        let (services, sources) = readServices(fields.required("services", log: &log), log: &log)
        let references = ServiceReferences(services: services)
        checkCalls(sources, references: references, log: &log)
        checkInstanceIDs(services, sources: sources, log: &log)

        let routes = fields["routes"].flatMap { readRoutes($0, references: references, log: &log) } ?? [:]
        let policies = fields["policies"].flatMap { readPolicies($0, references: references, log: &log) } ?? [:]
        var authorization = OrderedMap<AuthorizationRule>()
        if let node = fields["authorization"] {
            authorization = readAuthorization(node, references: references, log: &log) ?? [:]
            if mesh?.mtls == .disabled, node.pairs?.isEmpty == false, let key = fields.keyNode("authorization") {
                log.error("authorization: needs mTLS to identify callers, but mesh.mtls is 'disabled'", at: key.mark)
            }
        }
        var faults: [FaultSpec] = []
        if let node = fields["faults"], let items = ValueReader.list(node, key: "faults", expected: "a list of faults", log: &log) {
            for item in items {
                // `faults:` holds faults active from the start; a one-off event cannot be one.
                if let kindNode = item.value(for: "kind"), let kind = kindNode.scalarText.flatMap(FaultKind.init(rawValue:)), !kind.isLasting {
                    log.error("kind: a \(kind.rawValue) fault happens once and cannot be active from the start", at: kindNode.mark)
                }
                if let fault = FaultSpec.read(item, references: references, log: &log) {
                    faults.append(fault)
                }
            }
        }

        guard let name, let mesh, let ingress, !services.isEmpty else { return nil }
        return Topology(
            name: name, mesh: mesh, ingress: ingress, services: services, routes: routes, policies: policies,
            authorization: authorization, faults: faults)
    }

    /// `services:`: every entry becomes a service (with defaults where it is wrong) so that
    /// references to it resolve without follow-on errors.
    static func readServices(_ node: YAMLNode?, log: inout DiagnosticLog) -> (OrderedMap<Service>, [Service.Source]) {
        guard let node, let entries = ValueReader.entries(node, key: "services", expected: "a mapping of service names", log: &log) else {
            return ([:], [])
        }
        if entries.isEmpty {
            log.error("services: expected at least one service", at: node.mark)
        }
        var services = OrderedMap<Service>()
        var sources: [Service.Source] = []
        for (name, pair) in entries {
            if name == ServiceReferences.ingress {
                log.error("service name: 'ingress' is reserved for the ingress gateway", at: pair.key.mark)
            } else {
                _ = ValueReader.name(pair.key, key: "service name", log: &log)
            }
            let (service, source) = Service.read(name: name, nameNode: pair.key, node: pair.value, log: &log)
            services.insert(service, for: name)
            sources.append(source)
        }
        return (services, sources)
    }

    /// Every `calls` entry must name a service; the known ones form the call graph, which
    /// must have no cycle.
    static func checkCalls(_ sources: [Service.Source], references: ServiceReferences, log: inout DiagnosticLog) {
        var edges: [(service: String, calls: [(name: String, node: YAMLNode)])] = []
        for source in sources {
            let written = source.calls + source.versionCalls.flatMap(\.calls)
            var unknown: Set<String> = []
            for call in written where !references.checkService(call.name, key: "calls", node: call.node, log: &log) {
                unknown.insert(call.name)
            }
            edges.append((source.nameNode.scalarText ?? "", source.edges.filter { !unknown.contains($0.name) }))
        }
        CallGraph(edges: edges).reportCycles(log: &log)
    }

    /// Instance ids (`SERVICE-VERSION-INDEX`) must be unique: names with `-` can collide
    /// (`a` version `v1-0` and `a-v1` version `0`).
    static func checkInstanceIDs(_ services: OrderedMap<Service>, sources: [Service.Source], log: inout DiagnosticLog) {
        var owners: [String: String] = [:]
        for (service, source) in zip(services.values, sources) {
            for version in service.versions.values {
                let owner = "service '\(service.name)' version '\(version.name)'"
                for index in 0..<version.replicas {
                    let id = ServiceInstance.id(service: service.name, version: version.name, index: index)
                    if let other = owners[id] {
                        let node = source.versionNodes[version.name] ?? source.nameNode
                        log.error("instance id '\(id)' of \(owner) is also an instance id of \(other); rename one", at: node.mark)
                        break
                    }
                    owners[id] = owner
                }
            }
        }
    }

    /// `routes:` destination to a list of routes.
    static func readRoutes(_ node: YAMLNode, references: ServiceReferences, log: inout DiagnosticLog) -> OrderedMap<[Route]>? {
        guard let entries = ValueReader.entries(node, key: "routes", expected: "a mapping of services to lists of routes", log: &log) else {
            return nil
        }
        var routes = OrderedMap<[Route]>()
        for (destination, pair) in entries {
            references.checkService(destination, key: "routes", node: pair.key, log: &log)
            guard let items = ValueReader.list(pair.value, key: destination, expected: "a list of routes", log: &log) else { continue }
            let read = items.enumerated().compactMap { offset, item in
                Route.read(item, destination: destination, index: offset + 1, references: references, log: &log)
            }
            routes.insert(read, for: destination)
        }
        return routes
    }

    /// `policies:` destination to a policy.
    static func readPolicies(_ node: YAMLNode, references: ServiceReferences, log: inout DiagnosticLog) -> OrderedMap<Policy>? {
        guard let entries = ValueReader.entries(node, key: "policies", expected: "a mapping of services to policies", log: &log) else {
            return nil
        }
        var policies = OrderedMap<Policy>()
        for (destination, pair) in entries {
            references.checkService(destination, key: "policies", node: pair.key, log: &log)
            if let policy = Policy.read(pair.value, destination: destination, log: &log) {
                policies.insert(policy, for: destination)
            }
        }
        return policies
    }

    /// `authorization:` destination to a rule.
    static func readAuthorization(_ node: YAMLNode, references: ServiceReferences, log: inout DiagnosticLog) -> OrderedMap<AuthorizationRule>? {
        guard let entries = ValueReader.entries(node, key: "authorization", expected: "a mapping of services to rules", log: &log) else {
            return nil
        }
        var rules = OrderedMap<AuthorizationRule>()
        for (destination, pair) in entries {
            references.checkService(destination, key: "authorization", node: pair.key, log: &log)
            if let rule = AuthorizationRule.read(pair.value, destination: destination, references: references, log: &log) {
                rules.insert(rule, for: destination)
            }
        }
        return rules
    }
}
