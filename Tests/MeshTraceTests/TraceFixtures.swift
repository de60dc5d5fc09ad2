import MeshTrace

/// A small trace through bookinfo with a retry: the ingress calls productpage, whose sidecar
/// calls reviews twice (reviews-v1-0 answers 503, the retry to reviews-v1-1 answers 200).
///
///     ingress → productpage                         client  0.0 – 10.0 ms
///       ingress → productpage (productpage-v1-0)    server  0.5 –  9.5 ms
///         productpage → reviews                     client  1.0 –  9.0 ms  2 attempts, 1 event
///           productpage → reviews (reviews-v1-0)    server  1.2 –  3.0 ms  503
///           productpage → reviews (reviews-v1-1)    server  4.0 –  8.5 ms  200
enum TraceFixtures {
    static let traceId = "0af7651916cd43dd8448eb211c80319c"
    static let base: UInt64 = 1_764_460_000_000_000_000

    static func at(_ milliseconds: Double) -> UInt64 { base + UInt64(milliseconds * 1_000_000) }

    static let ingress = Span(traceId: traceId, spanId: "a000000000000001", kind: .client, service: "ingress", version: "",
                              instance: "ingress", peer: "productpage", method: "GET", path: "/productpage?u=1", status: 200,
                              startUnixNano: at(0), endUnixNano: at(10), endpoint: "productpage-v1-0")
    static let productpage = Span(traceId: traceId, spanId: "b000000000000001", parentSpanId: "a000000000000001", kind: .server,
                                  service: "productpage", version: "v1", instance: "productpage-v1-0", peer: "ingress",
                                  method: "GET", path: "/productpage?u=1", status: 200, startUnixNano: at(0.5), endUnixNano: at(9.5))
    static let toReviews = Span(traceId: traceId, spanId: "c000000000000001", parentSpanId: "b000000000000001", kind: .client,
                                service: "productpage", version: "v1", instance: "productpage-v1-0", peer: "reviews",
                                method: "GET", path: "/reviews", status: 200, startUnixNano: at(1), endUnixNano: at(9),
                                attempts: 2, endpoint: "reviews-v1-1",
                                events: [SpanEvent(timeUnixNano: at(3.5), name: "attempt 1 to reviews-v1-0: 503, retried (5xx)")])
    static let reviewsFailed = Span(traceId: traceId, spanId: "d000000000000001", parentSpanId: "c000000000000001", kind: .server,
                                    service: "reviews", version: "v1", instance: "reviews-v1-0", peer: "productpage",
                                    method: "GET", path: "/reviews", status: 503, startUnixNano: at(1.2), endUnixNano: at(3))
    static let reviewsOK = Span(traceId: traceId, spanId: "d000000000000002", parentSpanId: "c000000000000001", kind: .server,
                                service: "reviews", version: "v1", instance: "reviews-v1-1", peer: "productpage",
                                method: "GET", path: "/reviews", status: 200, startUnixNano: at(4), endUnixNano: at(8.5))

    /// The five spans in the order they finish (which is how they arrive).
    static let spans = [reviewsFailed, reviewsOK, toReviews, productpage, ingress]

    /// A one-span trace `n` (ids from `n`), starting `n` ms after `base`.
    static func single(_ n: Int, service: String = "ingress") -> Span {
        let hex = String(n, radix: 16)
        let id = String(repeating: "0", count: 32 - hex.count) + hex
        let span = String(repeating: "0", count: 16 - hex.count) + hex
        return Span(traceId: id, spanId: span, kind: .client, service: service, version: "", instance: service, peer: "svc",
                    method: "GET", path: "/\(n)", status: 200, startUnixNano: at(Double(n)), endUnixNano: at(Double(n) + 1))
    }
}
