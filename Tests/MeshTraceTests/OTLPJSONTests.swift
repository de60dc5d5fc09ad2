import Foundation
import MeshTrace
import Testing

/// OTLP/JSON as opentelemetry-proto's JSON mapping has it: resources per instance, hex ids,
/// kinds as numbers, 64-bit integers as strings, HTTP attributes, events, error status.
@Suite struct OTLPJSONTests {
    @Test func encodesASmallTraceExactly() {
        let text = String(decoding: OTLPJSON.encode([TraceFixtures.toReviews, TraceFixtures.reviewsFailed]), as: UTF8.self)
        let expected = """
            {"resourceSpans":[\
            {"resource":{"attributes":[\
            {"key":"service.name","value":{"stringValue":"productpage"}},\
            {"key":"service.version","value":{"stringValue":"v1"}},\
            {"key":"service.instance.id","value":{"stringValue":"productpage-v1-0"}}]},\
            "scopeSpans":[{"scope":{"name":"meshbed"},"spans":[\
            {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"c000000000000001","parentSpanId":"b000000000000001",\
            "name":"GET /reviews","kind":3,"startTimeUnixNano":"1764460000001000000","endTimeUnixNano":"1764460000009000000",\
            "attributes":[\
            {"key":"http.request.method","value":{"stringValue":"GET"}},\
            {"key":"url.path","value":{"stringValue":"/reviews"}},\
            {"key":"http.response.status_code","value":{"intValue":"200"}},\
            {"key":"server.address","value":{"stringValue":"reviews"}},\
            {"key":"peer.service","value":{"stringValue":"reviews"}},\
            {"key":"meshbed.flags","value":{"stringValue":"-"}},\
            {"key":"meshbed.attempts","value":{"intValue":"2"}},\
            {"key":"meshbed.endpoint","value":{"stringValue":"reviews-v1-1"}}],\
            "events":[{"timeUnixNano":"1764460000003500000","name":"attempt 1 to reviews-v1-0: 503, retried (5xx)"}]}]}]},\
            {"resource":{"attributes":[\
            {"key":"service.name","value":{"stringValue":"reviews"}},\
            {"key":"service.version","value":{"stringValue":"v1"}},\
            {"key":"service.instance.id","value":{"stringValue":"reviews-v1-0"}}]},\
            "scopeSpans":[{"scope":{"name":"meshbed"},"spans":[\
            {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"d000000000000001","parentSpanId":"c000000000000001",\
            "name":"GET /reviews","kind":2,"startTimeUnixNano":"1764460000001200000","endTimeUnixNano":"1764460000003000000",\
            "attributes":[\
            {"key":"http.request.method","value":{"stringValue":"GET"}},\
            {"key":"url.path","value":{"stringValue":"/reviews"}},\
            {"key":"http.response.status_code","value":{"intValue":"503"}},\
            {"key":"peer.service","value":{"stringValue":"productpage"}},\
            {"key":"meshbed.flags","value":{"stringValue":"-"}},\
            {"key":"meshbed.attempts","value":{"intValue":"1"}}],\
            "status":{"code":2}}]}]}]}
            """
        #expect(text == expected)
    }

    @Test func noResponseIsAnErrorWithoutAStatusCodeAndTheQueryLeavesTheName() throws {
        var span = TraceFixtures.ingress
        span.status = 0
        span.flags = "UF"
        let object = try JSONSerialization.jsonObject(with: Data(OTLPJSON.encode([span]))) as! [String: Any]
        let resource = (object["resourceSpans"] as! [[String: Any]])[0]
        let encoded = ((resource["scopeSpans"] as! [[String: Any]])[0]["spans"] as! [[String: Any]])[0]
        #expect(encoded["name"] as? String == "GET /productpage" && encoded["parentSpanId"] == nil)
        #expect((encoded["status"] as? [String: Int]) == ["code": 2])
        let keys = (encoded["attributes"] as! [[String: Any]]).map { $0["key"] as! String }
        #expect(!keys.contains("http.response.status_code") && keys.contains("meshbed.endpoint"))
    }

    /// Spans of several instances, interleaved, go to one resource each in first-seen order.
    @Test func groupsByInstanceInFirstSeenOrder() throws {
        let object = try JSONSerialization.jsonObject(with: Data(OTLPJSON.encode(TraceFixtures.spans))) as! [String: Any]
        let resources = object["resourceSpans"] as! [[String: Any]]
        let instances = resources.map { resource -> String in
            let attributes = (resource["resource"] as! [String: Any])["attributes"] as! [[String: Any]]
            return (attributes[2]["value"] as! [String: String])["stringValue"]!
        }
        #expect(instances == ["reviews-v1-0", "reviews-v1-1", "productpage-v1-0", "ingress"])
        let counts = resources.map { (($0["scopeSpans"] as! [[String: Any]])[0]["spans"] as! [Any]).count }
        #expect(counts == [1, 1, 2, 1])
    }
}
