import MeshTopology

/// A scenario's topology while the scenario is validated: the topology (its members read
/// through), with one "did you mean" suggester over its service names (and one over them
/// and `ingress`), so that thousands of unknown names do not each scan every service.
@dynamicMemberLookup
final class CheckedTopology {
    let topology: Topology
    /// Over the service names.
    let serviceSuggester: NameSuggester
    /// Over the service names and `ingress` (`from:`).
    let callerSuggester: NameSuggester

    init(_ topology: Topology) {
        self.topology = topology
        serviceSuggester = NameSuggester(topology.services.keys)
        callerSuggester = NameSuggester(topology.services.keys + ["ingress"])
    }

    subscript<Value>(dynamicMember keyPath: KeyPath<Topology, Value>) -> Value {
        topology[keyPath: keyPath]
    }
}
