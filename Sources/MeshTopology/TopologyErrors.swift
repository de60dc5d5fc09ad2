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

    /// How many diagnostics `description` shows; the rest are counted in one last line.
    public static let shownLimit = 50

    /// One diagnostic per line, `FILE:LINE:COLUMN: message`: the first `shownLimit`, then
    /// `… and N more errors` when there are more.
    public var description: String {
        var lines = diagnostics.prefix(Self.shownLimit).map(\.description)
        if diagnostics.count > Self.shownLimit {
            let more = diagnostics.count - Self.shownLimit
            lines.append("… and \(more) more error\(more == 1 ? "" : "s") (the first \(Self.shownLimit) are shown)")
        }
        return lines.joined(separator: "\n")
    }
}
