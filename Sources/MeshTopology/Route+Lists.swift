import MeshYAML

extension Route {
    /// Reads a list of routes for `destination` (a service of `topology`) as the topology
    /// file's `routes:` reads one, with the same messages and checks: versions must be
    /// versions of `destination`, weights integers 0–100 that sum to 100. Used where routes
    /// are written outside a topology file (the scenario `route` step). Nil (with every
    /// mistake logged) unless every route is valid.
    public static func readList(_ node: YAMLNode, destination: String, in topology: Topology, log: inout DiagnosticLog) -> [Route]? {
        guard let items = ValueReader.list(node, key: "routes", expected: "a list of routes", log: &log) else { return nil }
        let references = ServiceReferences(services: topology.services)
        let routes = items.enumerated().compactMap { offset, item in
            read(item, destination: destination, index: offset + 1, references: references, log: &log)
        }
        return routes.count == items.count ? routes : nil
    }

    /// Reads a `split:` of `destination` (`key` is its key node, where a wrong sum is
    /// reported) as a route's split is read, in either form.
    public static func readSplit(
        _ node: YAMLNode, key: YAMLNode, destination: String, in topology: Topology, log: inout DiagnosticLog
    ) -> OrderedMap<Int>? {
        readSplit(node, key: key, destination: destination, references: ServiceReferences(services: topology.services), log: &log)
    }
}
