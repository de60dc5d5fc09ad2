import Foundation
import MeshTrace
import Testing

/// The terminal waterfall: a tree by parent, children by start, bars on the trace's axis,
/// events under their span, orphans at the top level.
@Suite struct TraceWaterfallTests {
    @Test func drawsAThreeLevelTraceWithARetryEvent() {
        let expected = """
            trace 0af7651916cd43dd8448eb211c80319c  5 spans  10.000 ms
            ingress → productpage                       client  200  -  10.000 ms  |========================================|
              ingress → productpage (productpage-v1-0)  server  200  -   9.000 ms  |  ====================================  |
                productpage → reviews                   client  200  -   8.000 ms  |    ================================    |
                  @ 3.500 ms  attempt 1 to reviews-v1-0: 503, retried (5xx)
                  productpage → reviews (reviews-v1-0)  server  503  -   1.800 ms  |    ========                            |
                  productpage → reviews (reviews-v1-1)  server  200  -   4.500 ms  |                ==================      |

            """
        #expect(TraceWaterfall.render(TraceFixtures.spans) == expected)
        // The order spans arrive in does not matter.
        #expect(TraceWaterfall.render(TraceFixtures.spans.reversed()) == expected)
    }

    @Test func showsOrphansAtTheTopLevelInStartOrder() {
        // productpage's server span never arrived: its child hangs at the top, after the root.
        let text = TraceWaterfall.render([TraceFixtures.ingress, TraceFixtures.toReviews, TraceFixtures.reviewsOK])
        let labels = text.split(separator: "\n").dropFirst().filter { !$0.contains("@") }.map { String($0.prefix(38)).trimmingCharacters(in: .whitespaces) }
        #expect(labels == ["ingress → productpage", "productpage → reviews", "productpage → reviews (reviews-v1-1)"])
        #expect(text.split(separator: "\n")[4].hasPrefix("  productpage → reviews (reviews-v1-1)"))
    }

    @Test func barsAreNeverEmptyAndStayInside() {
        #expect(TraceWaterfall.render([TraceFixtures.single(1)]).hasSuffix("|========================================|\n"))
        // A zero-length span at the very end still gets one column.
        var instant = TraceFixtures.single(1)
        instant.spanId = "00000000000000aa"
        instant.startUnixNano = instant.endUnixNano
        let text = TraceWaterfall.render([TraceFixtures.single(1), instant])
        #expect(text.hasSuffix("|" + String(repeating: " ", count: 39) + "=|\n"), "\(text)")
        #expect(TraceWaterfall.milliseconds(1_234_567) == "1.234" && TraceWaterfall.milliseconds(5_000) == "0.005")
    }
}
