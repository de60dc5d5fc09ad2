/// Every mistake found in a file, sorted by line and column (ties keep the order found).
public struct TopologyErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// The diagnostics, sorted by line, then column.
    public var diagnostics: [Diagnostic]

    /// Sorts `diagnostics` by line and column, keeping the given order among equal positions.
    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.enumerated().sorted { left, right in
            let (a, b) = (left.element, right.element)
            if a.line != b.line { return a.line < b.line }
            if a.column != b.column { return a.column < b.column }
            return left.offset < right.offset
        }.map(\.element)
    }

    /// One diagnostic per line, `FILE:LINE:COLUMN: message`.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
