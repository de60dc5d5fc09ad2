import MeshTopology
import MeshTestSupport
import MeshYAML
import Testing

/// The diagnostics of a builder document as `LINE:COLUMN: message`, in order.
func diagnostics(_ document: YNode) -> [String] {
    switch Topology.validate(document: document.node, file: "t.yaml") {
    case .success: return []
    case .failure(let errors): return errors.diagnostics.map(\.locatedMessage)
    }
}

/// The one diagnostic of a document, or a description of what came instead.
func diagnostic(_ document: YNode) -> String {
    let all = diagnostics(document)
    return all.count == 1 ? all[0] : "\(all.count) diagnostics: \(all)"
}

/// The topology of a document expected to be valid.
func topology(_ document: YNode, sourceLocation: SourceLocation = #_sourceLocation) throws -> Topology {
    switch Topology.validate(document: document.node, file: "t.yaml") {
    case .success(let topology): return topology
    case .failure(let errors):
        Issue.record("unexpected diagnostics:\n\(errors)", sourceLocation: sourceLocation)
        throw errors
    }
}

/// A valid topology with the given `services:` (and more top-level keys after it).
///
///     1 kind: Topology
///     2 name: shop
///     3 services:
///     4   ...
func shop(services: YNode, _ more: [(String, YNode)] = []) -> YNode {
    .map([("kind", "Topology"), ("name", "shop"), ("services", services)] + more)
}

/// Two services, `web` calling `api`, plus `db` with versions v1 (2 replicas) and v2.
///
///      1 kind: Topology
///      2 name: shop
///      3 services:
///      4   web:
///      5     calls:
///      6       - api
///      7   api:
///      8     calls:
///      9       - db
///     10   db:
///     11     versions:
///     12       v1:
///     13         replicas: 2
///     14       v2: {}
///     15 <more, from column 1>
func shopWithVersions(_ more: [(String, YNode)] = []) -> YNode {
    shop(services: [
        "web": ["calls": ["api"]],
        "api": ["calls": ["db"]],
        "db": ["versions": ["v1": ["replicas": 2], "v2": [:]]],
    ], more)
}
