/// The control plane's bounded memory of spans, grouped by trace: the most recent traces
/// (by when their first span arrived), at most `maxTraces` of them holding at most
/// `maxSpans` spans in all; the oldest trace goes first to make room. A trace holds at most
/// `maxSpansPerTrace` spans; later ones are dropped (counted).
///
/// Appending is O(1) per span (a dictionary and a queue of trace ids); a query sorts only
/// what it returns. A value with no I/O and no clock: the control plane keeps one on its loop.
public struct SpanStore: Sendable {
    public let maxTraces: Int
    public let maxSpans: Int
    public let maxSpansPerTrace: Int

    private var traces: [String: [Span]] = [:]
    /// Trace ids, oldest first, from `head` on (the slots before it are spent).
    private var order: [String] = []
    private var head = 0
    /// Spans held now.
    public private(set) var spanCount = 0
    /// Spans taken in since the start.
    public private(set) var received = 0
    /// Spans not kept: their trace was full.
    public private(set) var dropped = 0
    /// Traces (and their spans) that made room for newer ones.
    public private(set) var evictedTraces = 0
    public private(set) var evictedSpans = 0

    public init(maxTraces: Int = 2_000, maxSpans: Int = 100_000, maxSpansPerTrace: Int = 1_000) {
        precondition(maxTraces > 0 && maxSpans > 0 && maxSpansPerTrace > 0 && maxSpansPerTrace <= maxSpans, "SpanStore: bad limits")
        self.maxTraces = maxTraces
        self.maxSpans = maxSpans
        self.maxSpansPerTrace = maxSpansPerTrace
    }

    /// Traces held now.
    public var traceCount: Int { traces.count }

    /// Takes `spans` in; returns how many were kept.
    @discardableResult
    public mutating func append(_ spans: [Span]) -> Int {
        var kept = 0
        for span in spans {
            received += 1
            if let count = traces[span.traceId]?.count {
                guard count < maxSpansPerTrace else {
                    dropped += 1
                    continue
                }
                traces[span.traceId]!.append(span)
            } else {
                traces[span.traceId] = [span]
                order.append(span.traceId)
            }
            spanCount += 1
            kept += 1
            while traces.count > maxTraces || spanCount > maxSpans { evictOldest() }
        }
        return kept
    }

    private mutating func evictOldest() {
        let id = order[head]
        head += 1
        if let spans = traces.removeValue(forKey: id) {
            spanCount -= spans.count
            evictedTraces += 1
            evictedSpans += spans.count
        }
        // Drop the spent slots once they are half the queue: amortized O(1).
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// The spans of trace `id` ordered by start (then by span id), or nil for an unknown trace.
    public func trace(_ id: String) -> [Span]? {
        traces[id].map(Self.ordered)
    }

    /// The summaries of the `limit` most recent traces, newest first.
    public func recent(limit: Int) -> [TraceSummary] {
        var summaries: [TraceSummary] = []
        var index = order.count - 1
        while index >= head && summaries.count < limit {
            if let spans = traces[order[index]] { summaries.append(TraceSummary(spans: spans)) }
            index -= 1
        }
        return summaries
    }

    /// Spans by start time, ties by span id (a stable order for output and tests).
    public static func ordered(_ spans: [Span]) -> [Span] {
        spans.sorted { ($0.startUnixNano, $0.spanId) < ($1.startUnixNano, $1.spanId) }
    }
}
