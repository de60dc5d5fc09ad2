import MeshYAML

/// Who may call one destination (`authorization: {SERVICE: {allow: [...]}}`): a destination
/// listed under `authorization` denies every caller not in `allow`. `ingress` names requests
/// that enter through the ingress gateway. Callers are identified by their mTLS
/// certificate, so a topology with `mesh.mtls: disabled` may not have `authorization`.
public struct AuthorizationRule: Sendable, Equatable {
    /// `allow`: the services (or `ingress`) allowed to call, in the order written; empty denies all.
    public let allow: [String]

    public init(allow: [String]) {
        self.allow = allow
    }

    /// Whether `caller` (a service name, or `ingress`) may call.
    public func allows(_ caller: String) -> Bool { allow.contains(caller) }

    /// Reads the rule for `destination`; `allow` is required.
    static func read(_ node: YAMLNode, destination: String, references: ServiceReferences, log: inout DiagnosticLog) -> AuthorizationRule? {
        let context = "in authorization for '\(destination)'"
        guard let fields = MappingReader(node, key: destination, context: context, allowed: ["allow"], log: &log),
              let value = fields.required("allow", log: &log),
              let entries = ValueReader.nameList(value, key: "allow", what: "service", log: &log)
        else { return nil }
        var valid = true
        for entry in entries where !references.checkService(entry.name, key: "allow", node: entry.node, allowIngress: true, log: &log) {
            valid = false
        }
        return valid ? AuthorizationRule(allow: entries.map(\.name)) : nil
    }
}
