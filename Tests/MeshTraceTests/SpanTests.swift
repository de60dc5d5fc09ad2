import Foundation
import MeshTrace
import Testing

/// The wire format of spans: keys as the sidecars send them, optional fields absent when
/// unset, and every invalid span refused with one line naming the field.
@Suite struct SpanTests {
    static let valid = #"""
        {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parentSpanId":"00f067aa0ba902b8","kind":"client","service":"reviews","version":"v1","instance":"reviews-v1-0","peer":"ratings","method":"GET","path":"/x","status":200,"flags":"UT,URX","startUnixNano":1764460000123456789,"endUnixNano":1764460000125456789,"attempts":1,"endpoint":"ratings-v1-0","events":[{"timeUnixNano":1764460000124456789,"name":"attempt 1 to ratings-v1-0: 503, retried (5xx)"}]}
        """#

    static func batch(_ spans: String...) -> [UInt8] {
        Array(#"{"spans":["#.utf8) + Array(spans.joined(separator: ",").utf8) + Array("]}".utf8)
    }

    /// `valid` with `key` replaced by `value` (raw JSON), or removed when `value` is nil.
    static func changed(_ key: String, _ value: String?) throws -> String {
        var object = try JSONSerialization.jsonObject(with: Data(valid.utf8)) as! [String: Any]
        object[key] = try value.map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func decodesTheWireFormatAndEncodesItBackKeyForKey() throws {
        let spans = try SpanBatch.decode(Self.batch(Self.valid))
        #expect(spans.count == 1)
        let span = spans[0]
        #expect(span.traceId == "4bf92f3577b34da6a3ce929d0e0e4736" && span.parentSpanId == "00f067aa0ba902b8")
        #expect(span.kind == .client && span.peer == "ratings" && span.flags == "UT,URX" && span.endpoint == "ratings-v1-0")
        #expect(span.startUnixNano == 1_764_460_000_123_456_789 && span.durationNanos == 2_000_000)
        #expect(span.events == [SpanEvent(timeUnixNano: 1_764_460_000_124_456_789, name: "attempt 1 to ratings-v1-0: 503, retried (5xx)")])

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let back = try JSONSerialization.jsonObject(with: encoder.encode(span)) as! NSDictionary
        let original = try JSONSerialization.jsonObject(with: Data(Self.valid.utf8)) as! NSDictionary
        #expect(back == original)

        // A root without events or endpoint: those keys are absent, and absent keys decode.
        var root = span
        root.parentSpanId = nil
        root.endpoint = nil
        root.events = []
        let keys = Set((try JSONSerialization.jsonObject(with: encoder.encode(root)) as! [String: Any]).keys)
        #expect(keys == ["traceId", "spanId", "kind", "service", "version", "instance", "peer", "method", "path", "status",
                         "flags", "startUnixNano", "endUnixNano", "attempts"])
        #expect(try SpanBatch.decode(Array(#"{"spans":[\#(String(decoding: encoder.encode(root), as: UTF8.self))]}"#.utf8)) == [root])
    }

    @Test(arguments: [
        ("traceId", #""4BF92F3577B34DA6A3CE929D0E0E4736""#, "spans[0].traceId: expected 32 lowercase hex digits, got '4BF92F3577B34DA6A3CE929D0E0E4736'"),
        ("traceId", #""4bf92f3577b34da6""#, "spans[0].traceId: expected 32 lowercase hex digits, got '4bf92f3577b34da6'"),
        ("traceId", #""00000000000000000000000000000000""#, "spans[0].traceId: must not be all zeros"),
        ("spanId", #""00f067aa0ba902bz""#, "spans[0].spanId: expected 16 lowercase hex digits, got '00f067aa0ba902bz'"),
        ("spanId", #""0000000000000000""#, "spans[0].spanId: must not be all zeros"),
        ("parentSpanId", #""00f067aa0ba902""#, "spans[0].parentSpanId: expected 16 lowercase hex digits, got '00f067aa0ba902'"),
        ("parentSpanId", #""00f067aa0ba902b7""#, "spans[0].parentSpanId: a span cannot be its own parent"),
        ("kind", #""producer""#, "spans[0].kind: expected client or server, got 'producer'"),
        ("endUnixNano", "1764460000123456788", "spans[0].endUnixNano: ends before it starts (1764460000123456788 < startUnixNano 1764460000123456789)"),
        ("status", "42", "spans[0].status: expected 0 (no response) or 100–599, got 42"),
        ("service", #""""#, "spans[0].service: must not be empty"),
        ("attempts", "-1", "spans[0].attempts: expected 0 or more, got -1"),
        ("traceId", nil, "spans[0].traceId: missing"),
        ("status", #""200""#, "spans[0].status: wrong type (expected an integer)"),
        ("startUnixNano", "-5", "spans[0].startUnixNano: expected nanoseconds since the epoch (>= 0), got -5"),
        ("events", #"[{"timeUnixNano":-1,"name":"x"}]"#, "spans[0].events[0].timeUnixNano: expected nanoseconds since the epoch (>= 0), got -1"),
        ("events", #"[{"name":"x"}]"#, "spans[0].events[0].timeUnixNano: missing"),
    ] as [(String, String?, String)])
    func refusesAnInvalidSpanWithOneLine(key: String, value: String?, message: String) throws {
        let body = Self.batch(Self.valid, try Self.changed(key, value))
        #expect(throws: SpanError(message.replacingOccurrences(of: "spans[0]", with: "spans[1]"))) { try SpanBatch.decode(body) }
    }

    @Test func refusesBodiesThatAreNotABatch() {
        #expect(throws: SpanError(#"expected {"spans": [...]} in the body, got an empty body"#)) { try SpanBatch.decode([]) }
        #expect(throws: SpanError("the body is not valid JSON")) { try SpanBatch.decode(Array("{".utf8)) }
        #expect(throws: SpanError("spans: missing")) { try SpanBatch.decode(Array("{}".utf8)) }
        #expect(throws: SpanError("spans: wrong type (expected an array of spans)")) { try SpanBatch.decode(Array(#"{"spans":{}}"#.utf8)) }
        #expect(throws: SpanError("spans[0]: wrong type (expected an object)")) { try SpanBatch.decode(Array(#"{"spans":[1]}"#.utf8)) }
    }
}
