import MeshYAML

/// Collects the diagnostics of one file while it is read (readers take it `inout`; the scenario reader shares it).
public struct DiagnosticLog {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []
    /// What is logged already: a node reached again (through an alias, which copies its
    /// anchored node with its marks) gives the same diagnostic at the same place, kept once.
    private var logged: Set<Diagnostic> = []

    public init(file: String) {
        self.file = file
    }

    public var isEmpty: Bool { diagnostics.isEmpty }

    /// Logs `message` at `mark`, once per place and message.
    public mutating func error(_ message: String, at mark: YAMLMark) {
        let diagnostic = Diagnostic(file: file, mark: mark, message: message)
        if logged.insert(diagnostic).inserted { diagnostics.append(diagnostic) }
    }

    /// The sorted collection for a failed result.
    public var errors: TopologyErrors { TopologyErrors(diagnostics) }
}
