import MeshYAML

/// A route's `mirror: {version: V, percent: N}`: a copy of each request the route takes
/// (of `percent` of them) also goes to an instance of version `version` of the same
/// destination, fire and forget: its response is discarded and its failures never reach the
/// caller (Istio's `mirror` and `mirrorPercentage`). The version may be one the route's split
/// also sends to.
public struct Mirror: Sendable, Equatable {
    /// `version`: a version of the destination (required).
    public let version: String
    /// `percent`: the share (0–100) of the route's requests copied (default 100).
    public let percent: Double

    public init(version: String, percent: Double = 100) {
        self.version = version
        self.percent = percent
    }

    static let keys = ["version", "percent"]

    /// Reads `mirror:` of route `context` toward `destination`.
    static func read(
        _ node: YAMLNode, destination: String, context: String, references: ServiceReferences, log: inout DiagnosticLog
    ) -> Mirror? {
        guard let fields = MappingReader(node, key: "mirror", context: "in mirror \(context)", allowed: keys, log: &log) else {
            return nil
        }
        var valid = true
        var version: String?
        if let value = fields.required("version", log: &log) {
            if let name = ValueReader.string(value, key: "version", expected: "a version name", log: &log) {
                version = name
                valid = references.checkVersion(name, of: destination, key: "mirror", node: value, log: &log) && valid
            } else {
                valid = false
            }
        } else {
            valid = false
        }
        var percent = 100.0
        if let value = fields["percent"] {
            if let read = ValueReader.percent(value, key: "percent", log: &log) { percent = read } else { valid = false }
        }
        guard valid, let version else { return nil }
        return Mirror(version: version, percent: percent)
    }
}
