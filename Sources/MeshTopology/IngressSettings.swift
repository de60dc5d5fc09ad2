import MeshYAML

/// The topology's `ingress:` section: where the ingress gateway listens.
public struct IngressSettings: Sendable, Equatable {
    /// `port`, 0–65535; 0 (the default) means any free port.
    public let port: Int

    /// Every default: any free port.
    public static let `default` = IngressSettings()

    public init(port: Int = 0) {
        self.port = port
    }

    /// Reads `ingress:`; an absent or empty section gives every default.
    static func read(_ node: YAMLNode, log: inout DiagnosticLog) -> IngressSettings? {
        guard let fields = MappingReader(node, key: "ingress", context: "in ingress", allowed: ["port"], log: &log) else { return nil }
        guard let value = fields["port"] else { return IngressSettings() }
        return ValueReader.integer(value, key: "port", in: 0...65535, expected: "an integer 0–65535", log: &log)
            .map { IngressSettings(port: $0) }
    }
}
