import MeshCore

/// One trace drawn for a terminal: its spans as a tree by parent (children by start time),
/// one line each, with a bar on the trace's time axis; a span's events on lines of their own
/// under it. Spans whose parent is not in the trace (it was not recorded, or not yet) are
/// shown at the top level, in start order, as roots are.
///
///     trace 0af7651916cd43dd8448eb211c80319c  3 spans  2.000 ms
///     ingress → reviews                    client  200  URX  2.000 ms  |========================================|
///       ingress → reviews (reviews-v1-0)   server  503  -    0.500 ms  |==========                              |
///       ingress → reviews (reviews-v1-1)   server  200  -    1.000 ms  |                    ==================== |
///         @ 0.600 ms  attempt 1 to reviews-v1-0: 503, retried (5xx)
///
/// A client span reads `service → peer` (the caller's side), a server span `peer → service
/// (instance)` (the callee's side, naming the instance that answered); status 0 is no response.
public enum TraceWaterfall {
    /// The bar's width in columns.
    public static let defaultWidth = 40

    /// The text of the trace made of `spans` (one trace's; empty gives a line saying so),
    /// ending in a newline.
    public static func render(_ spans: [Span], width: Int = defaultWidth) -> String {
        guard let first = spans.first else { return "no spans\n" }
        let ordered = SpanStore.ordered(spans)
        let start = ordered.map(\.startUnixNano).min()!
        let end = ordered.map(\.endUnixNano).max()!
        let total = max(end - start, 1)

        // The tree: children by parent, in start order; roots and orphans at the top.
        let ids = Set(ordered.map(\.spanId))
        var children: [String: [Span]] = [:]
        var top: [Span] = []
        for span in ordered {
            if let parent = span.parentSpanId, ids.contains(parent) {
                children[parent, default: []].append(span)
            } else {
                top.append(span)
            }
        }
        var rows: [(depth: Int, span: Span)] = []
        var shown = Set<String>()
        func visit(_ span: Span, depth: Int) {
            guard shown.insert(span.spanId).inserted else { return }
            rows.append((depth, span))
            for child in children[span.spanId] ?? [] { visit(child, depth: depth + 1) }
        }
        for span in top { visit(span, depth: 0) }
        // Spans in a cycle of parents (no root leads to them): at the top level too.
        for span in ordered where !shown.contains(span.spanId) { visit(span, depth: 0) }

        let labels = rows.map { String(repeating: "  ", count: $0.depth) + label($0.span) }
        let labelWidth = labels.map(\.count).max() ?? 0
        let statusWidth = rows.map { String($0.span.status).count }.max() ?? 1
        let flags = rows.map { DisplayText.escaped($0.span.flags) }
        let flagsWidth = flags.map(\.count).max() ?? 1
        let durationTexts = rows.map { milliseconds($0.span.durationNanos) + " ms" }
        let durationWidth = durationTexts.map(\.count).max() ?? 0

        var lines = ["trace \(first.traceId)  \(spans.count) span\(spans.count == 1 ? "" : "s")  \(milliseconds(end - start)) ms"]
        for (index, row) in rows.enumerated() {
            let span = row.span
            let columns = [
                pad(labels[index], labelWidth),
                pad(span.kind.rawValue, 6),
                padLeft(String(span.status), statusWidth),
                pad(flags[index], flagsWidth),
                padLeft(durationTexts[index], durationWidth),
                "|" + bar(from: span.startUnixNano - start, to: span.endUnixNano - start, total: total, width: width) + "|",
            ]
            lines.append(columns.joined(separator: "  "))
            let indent = String(repeating: "  ", count: row.depth + 1)
            for event in span.events {
                let at = event.timeUnixNano >= start ? milliseconds(event.timeUnixNano - start) : "-" + milliseconds(start - event.timeUnixNano)
                lines.append("\(indent)@ \(at) ms  \(DisplayText.escaped(event.name))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `service → peer` for a client span, `peer → service (instance)` for a server span.
    public static func label(_ span: Span) -> String {
        switch span.kind {
        case .client: return DisplayText.escaped("\(span.service) → \(span.peer)")
        case .server: return DisplayText.escaped("\(span.peer) → \(span.service) (\(span.instance))")
        }
    }

    /// Nanoseconds as milliseconds with three decimals (`12.345`), rounded down.
    public static func milliseconds(_ nanos: UInt64) -> String {
        let micros = nanos / 1_000
        let fraction = String(micros % 1_000)
        return "\(micros / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// `width` columns with `=` where [from, to] falls on [0, total]; at least one `=`.
    static func bar(from: UInt64, to: UInt64, total: UInt64, width: Int) -> String {
        let columns = UInt64(width)
        let first = min(Int(from * columns / total), width - 1)
        let last = max(min(Int((to * columns + total - 1) / total), width), first + 1)
        return String(repeating: " ", count: first) + String(repeating: "=", count: last - first)
            + String(repeating: " ", count: width - last)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
