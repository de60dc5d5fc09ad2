import MeshYAML

/// Collects the diagnostics of one file while it is read (readers take it `inout`; the scenario reader shares it).
public struct DiagnosticLog {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) {
        self.file = file
    }

    public var isEmpty: Bool { diagnostics.isEmpty }

    public mutating func error(_ message: String, at mark: YAMLMark) {
        diagnostics.append(Diagnostic(file: file, mark: mark, message: message))
    }

    /// The sorted collection for a failed result.
    public var errors: TopologyErrors { TopologyErrors(diagnostics) }
}
