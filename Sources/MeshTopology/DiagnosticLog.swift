import MeshYAML

/// Collects the diagnostics of one file while it is read (internal: readers take it `inout`).
struct DiagnosticLog {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    var isEmpty: Bool { diagnostics.isEmpty }

    mutating func error(_ message: String, at mark: YAMLMark) {
        diagnostics.append(Diagnostic(file: file, mark: mark, message: message))
    }

    /// The sorted collection for a failed result.
    var errors: TopologyErrors { TopologyErrors(diagnostics) }
}
