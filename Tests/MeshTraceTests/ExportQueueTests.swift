import MeshTrace
import Testing

/// The OTLP exporter's batching with time passed in by hand: a full batch goes at once, a
/// partial one after the interval, one request at a time, a full queue drops and counts.
@Suite struct ExportQueueTests {
    static func spans(_ count: Int, from first: Int = 1) -> [Span] {
        (first..<(first + count)).map { TraceFixtures.single($0) }
    }

    @Test func aPartialBatchWaitsForTheIntervalAFullOneGoesAtOnce() {
        var queue = ExportQueue(capacity: 10, batchSize: 4, interval: 1_000)
        queue.enqueue(Self.spans(3), now: 100)
        #expect(queue.nextBatch(now: 100) == nil && queue.nextDue == 1_100)
        #expect(queue.nextBatch(now: 1_099) == nil)
        #expect(queue.nextBatch(now: 1_100)?.map(\.path) == ["/1", "/2", "/3"])
        #expect(queue.inFlight == 3 && queue.nextDue == nil && queue.waiting == 0)
        queue.finished(success: true)
        #expect(queue.exported == 3 && queue.inFlight == nil)

        queue.enqueue(Self.spans(6, from: 4), now: 2_000)
        #expect(queue.nextDue == 2_000)
        #expect(queue.nextBatch(now: 2_000)?.count == 4)
        // One request at a time: the rest waits for the first to end.
        #expect(queue.nextBatch(now: 9_000) == nil)
        queue.finished(success: false)
        #expect(queue.failedSpans == 4 && queue.failedRequests == 1)
        // The rest had waited since 2,000: due at 3,000.
        #expect(queue.nextDue == 3_000 && queue.nextBatch(now: 2_500) == nil)
        #expect(queue.nextBatch(now: 3_000)?.map(\.path) == ["/8", "/9"])
    }

    @Test func aFullQueueDropsAndCounts() {
        var queue = ExportQueue(capacity: 5, batchSize: 5, interval: 1_000)
        #expect(queue.enqueue(Self.spans(3), now: 0) == 0)
        #expect(queue.enqueue(Self.spans(4, from: 4), now: 0) == 2)
        #expect(queue.waiting == 5 && queue.dropped == 2)
        #expect(queue.nextBatch(now: 0)?.map(\.path) == ["/1", "/2", "/3", "/4", "/5"])
        // In flight, the queue has room again.
        #expect(queue.enqueue(Self.spans(5, from: 10), now: 0) == 0 && queue.enqueue(Self.spans(1, from: 20), now: 0) == 1)
        #expect(queue.dropped == 3)
    }
}
