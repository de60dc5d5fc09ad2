/// The batching of an OTLP exporter, as a value driven by its caller's clock: spans wait in
/// a bounded queue and go out in batches of at most `batchSize`, one batch in flight at a
/// time, as soon as a full batch waits or when the oldest waiting span has waited `interval`.
/// Spans that find the queue full are dropped and counted (a slow or absent collector never
/// holds up whoever feeds the queue); a batch that fails is counted and not retried.
///
///     var queue = ExportQueue()
///     queue.enqueue(spans, now: t)
///     if let batch = queue.nextBatch(now: t) { send(batch) }    // later: queue.finished(success:)
///     else if let due = queue.nextDue { wake up at due }
public struct ExportQueue: Sendable {
    /// Spans waiting at most; more are dropped.
    public let capacity: Int
    /// Spans per request at most.
    public let batchSize: Int
    /// How long (ns) a span waits for its batch to fill before it goes anyway.
    public let interval: UInt64

    private var pending: [Span] = []
    /// When the oldest waiting span came (nil: none waits).
    private var oldestSince: UInt64?
    /// Spans of the request in flight (nil: none is).
    public private(set) var inFlight: Int?
    /// Spans dropped because the queue was full.
    public private(set) var dropped = 0
    /// Spans the collector took (2xx) and spans of failed requests; requests that failed.
    public private(set) var exported = 0
    public private(set) var failedSpans = 0
    public private(set) var failedRequests = 0

    /// Defaults: 8,192 spans waiting, batches of 512, sent at least every second.
    public init(capacity: Int = 8_192, batchSize: Int = 512, interval: UInt64 = 1_000_000_000) {
        precondition(capacity >= batchSize && batchSize > 0, "ExportQueue: capacity must hold a batch")
        self.capacity = capacity
        self.batchSize = batchSize
        self.interval = interval
    }

    /// Spans waiting now.
    public var waiting: Int { pending.count }

    /// Queues what fits of `spans`; returns how many were dropped.
    @discardableResult
    public mutating func enqueue(_ spans: [Span], now: UInt64) -> Int {
        let room = max(0, capacity - pending.count)
        let taken = min(room, spans.count)
        if taken > 0 {
            if pending.isEmpty { oldestSince = now }
            pending.append(contentsOf: spans.prefix(taken))
        }
        dropped += spans.count - taken
        return spans.count - taken
    }

    /// The batch to send now (it is then in flight), or nil: one is in flight already, or
    /// nothing is due.
    public mutating func nextBatch(now: UInt64) -> [Span]? {
        guard inFlight == nil, let since = oldestSince else { return nil }
        guard pending.count >= batchSize || now >= since &+ interval else { return nil }
        let batch = Array(pending.prefix(batchSize))
        pending.removeFirst(batch.count)
        // The rest waited since before now: it goes when the next batch may.
        oldestSince = pending.isEmpty ? nil : since
        inFlight = batch.count
        return batch
    }

    /// When a batch falls due if nothing else happens (nil: nothing waits, or one is in flight).
    public var nextDue: UInt64? {
        guard inFlight == nil, let since = oldestSince else { return nil }
        return pending.count >= batchSize ? since : since &+ interval
    }

    /// The request in flight ended: taken (`success`) or not.
    public mutating func finished(success: Bool) {
        guard let count = inFlight else { return }
        inFlight = nil
        if success {
            exported += count
        } else {
            failedSpans += count
            failedRequests += 1
        }
    }
}
