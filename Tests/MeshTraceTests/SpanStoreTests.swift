import MeshTrace
import Testing

/// The control plane's memory of spans: grouped by trace, bounded in traces, spans and
/// spans per trace, the oldest trace evicted first, summaries newest first.
@Suite struct SpanStoreTests {
    @Test func groupsByTraceAndSummarizesFromTheRoot() {
        var store = SpanStore()
        #expect(store.append(TraceFixtures.spans) == 5)
        #expect(store.traceCount == 1 && store.spanCount == 5 && store.received == 5 && store.dropped == 0)
        let trace = store.trace(TraceFixtures.traceId)
        #expect(trace?.map(\.spanId) == ["a000000000000001", "b000000000000001", "c000000000000001", "d000000000000001", "d000000000000002"])
        #expect(store.trace("1af7651916cd43dd8448eb211c80319c") == nil)
        #expect(store.recent(limit: 10) == [TraceSummary(
            traceId: TraceFixtures.traceId, service: "ingress", peer: "productpage", method: "GET", path: "/productpage?u=1",
            status: 200, spans: 5, startUnixNano: TraceFixtures.at(0), durationNanos: 10_000_000)])
    }

    @Test func aTraceWithoutItsRootIsSummarizedFromItsEarliestOrphan() {
        var store = SpanStore()
        store.append([TraceFixtures.reviewsOK, TraceFixtures.reviewsFailed, TraceFixtures.toReviews])
        let summary = store.recent(limit: 1).first
        #expect(summary?.service == "productpage" && summary?.peer == "reviews" && summary?.spans == 3)
        #expect(summary?.startUnixNano == TraceFixtures.at(1) && summary?.durationNanos == 8_000_000)
    }

    @Test func evictsTheOldestTraceFirstWhenTracesAreTooMany() {
        var store = SpanStore(maxTraces: 3, maxSpans: 100, maxSpansPerTrace: 10)
        for n in 1...5 { store.append([TraceFixtures.single(n)]) }
        #expect(store.traceCount == 3 && store.evictedTraces == 2 && store.evictedSpans == 2)
        #expect(store.recent(limit: 10).map(\.path) == ["/5", "/4", "/3"])
        #expect(store.recent(limit: 2).map(\.path) == ["/5", "/4"])
        #expect(store.trace(TraceFixtures.single(1).traceId) == nil && store.trace(TraceFixtures.single(3).traceId) != nil)
        // A later span of a kept trace joins it and does not make it newer.
        var late = TraceFixtures.single(3)
        late.spanId = "00000000000000ff"
        store.append([late])
        #expect(store.trace(late.traceId)?.count == 2 && store.recent(limit: 10).map(\.path) == ["/5", "/4", "/3"])
        store.append([TraceFixtures.single(6)])
        #expect(store.recent(limit: 10).map(\.path) == ["/6", "/5", "/4"] && store.spanCount == 3)
    }

    @Test func evictsOldTracesToStayWithinTheSpanLimitAndCapsATrace() {
        var store = SpanStore(maxTraces: 100, maxSpans: 6, maxSpansPerTrace: 4)
        store.append(TraceFixtures.spans)  // 5 spans of one trace: the fifth is over the per-trace cap
        #expect(store.spanCount == 4 && store.dropped == 1 && store.received == 5)
        store.append([TraceFixtures.single(1), TraceFixtures.single(2)])
        #expect(store.spanCount == 6 && store.traceCount == 3)
        store.append([TraceFixtures.single(3)])  // 7 spans: the bookinfo trace (the oldest) goes
        #expect(store.trace(TraceFixtures.traceId) == nil && store.spanCount == 3 && store.evictedSpans == 4)
        #expect(store.recent(limit: 10).map(\.path) == ["/3", "/2", "/1"])
    }

    @Test func manyEvictionsKeepTheQueueConsistent() {
        var store = SpanStore(maxTraces: 10, maxSpans: 1_000, maxSpansPerTrace: 10)
        for n in 1...1_000 { store.append([TraceFixtures.single(n)]) }
        #expect(store.traceCount == 10 && store.evictedTraces == 990)
        #expect(store.recent(limit: 100).map(\.path) == (991...1_000).reversed().map { "/\($0)" })
    }
}
