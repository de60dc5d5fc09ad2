import Foundation
import Glibc
import MeshControl
import MeshTestSupport
import MeshTrace
import Testing

/// The control plane's trace endpoints through its HTTP handler: spans in (`POST /v1/spans`),
/// traces out (`GET /v1/traces`, `GET /v1/traces/ID`), the counts in `/metrics`, and the OTLP
/// exporter's failures counted when no collector listens.
@Suite struct TraceAPITests {
    static let traceId = "0af7651916cd43dd8448eb211c80319c"

    static func span(_ spanId: String, parent: String? = nil, trace: String = traceId, kind: String = "client",
                     service: String = "ingress", peer: String = "productpage", status: Int = 200, start: UInt64 = 1_764_460_000_000_000_000) -> String {
        let parentField = parent.map { #""parentSpanId":"\#($0)","# } ?? ""
        return #"{"traceId":"\#(trace)","spanId":"\#(spanId)",\#(parentField)"kind":"\#(kind)","service":"\#(service)","version":"v1","instance":"\#(service)-v1-0","peer":"\#(peer)","method":"GET","path":"/","status":\#(status),"flags":"-","startUnixNano":\#(start),"endUnixNano":\#(start + 2_000_000),"attempts":1}"#
    }

    static func post(_ control: ControlPlane, _ spans: [String]) throws -> TestResponse {
        try TestHTTPClient.request(control, "POST", "/v1/spans", body: Array(#"{"spans":[\#(spans.joined(separator: ","))]}"#.utf8))
    }

    @Test func spansInTracesOut() throws {
        try withControlPlane { control in
            let posted = try Self.post(control, [
                Self.span("b000000000000001", parent: "a000000000000001", kind: "server", service: "productpage", peer: "ingress", start: 1_764_460_000_000_500_000),
                Self.span("a000000000000001"),
            ])
            #expect(posted.status == 202 && posted.text == #"{"accepted":2,"dropped":0}"# + "\n", "\(posted.text)")
            let other = "1af7651916cd43dd8448eb211c80319c"
            #expect(try Self.post(control, [Self.span("c000000000000001", trace: other, status: 503, start: 1_764_460_001_000_000_000)]).status == 202)

            let list = try TestHTTPClient.request(control, "GET", "/v1/traces")
            #expect(list.status == 200)
            let summaries = try list.decode([String: [TraceSummary]].self)["traces"] ?? []
            #expect(summaries.map(\.traceId) == [other, Self.traceId])
            #expect(summaries.last == TraceSummary(traceId: Self.traceId, service: "ingress", peer: "productpage", method: "GET", path: "/",
                                                  status: 200, spans: 2, startUnixNano: 1_764_460_000_000_000_000, durationNanos: 2_500_000))
            #expect(try TestHTTPClient.request(control, "GET", "/v1/traces?limit=1").decode([String: [TraceSummary]].self)["traces"]?.map(\.traceId) == [other])

            let trace = try TestHTTPClient.request(control, "GET", "/v1/traces/" + Self.traceId)
            #expect(trace.status == 200)
            let spans = try SpanBatch.decode(trace.body)
            #expect(spans.map(\.spanId) == ["a000000000000001", "b000000000000001"] && spans[1].parentSpanId == "a000000000000001")
        }
    }

    @Test func refusals() throws {
        try withControlPlane { control in
            let bad = try Self.post(control, [Self.span("a000000000000001", trace: "0AF7651916CD43DD8448EB211C80319C")])
            #expect(bad.status == 400)
            #expect(bad.errorMessage == "invalid spans: spans[0].traceId: expected 32 lowercase hex digits, got '0AF7651916CD43DD8448EB211C80319C'")
            let empty = try TestHTTPClient.request(control, "POST", "/v1/spans", body: [])
            #expect(empty.status == 400 && empty.errorMessage == #"invalid spans: expected {"spans": [...]} in the body, got an empty body"#)
            // A refused body keeps nothing, even its valid spans.
            let mixed = try Self.post(control, [Self.span("a000000000000001"), Self.span("00")])
            #expect(mixed.status == 400 && mixed.errorMessage?.hasPrefix("invalid spans: spans[1].spanId:") == true)
            #expect(try TestHTTPClient.request(control, "GET", "/v1/traces").text == #"{"traces":[]}"# + "\n")

            let unknown = try TestHTTPClient.request(control, "GET", "/v1/traces/" + Self.traceId)
            #expect(unknown.status == 404 && unknown.errorMessage?.hasPrefix("no trace '\(Self.traceId)'") == true)
            let malformed = try TestHTTPClient.request(control, "GET", "/v1/traces/xyz")
            #expect(malformed.status == 400 && malformed.errorMessage == "trace id: expected 32 lowercase hex digits, got 'xyz'")
            let limit = try TestHTTPClient.request(control, "GET", "/v1/traces?limit=0")
            #expect(limit.status == 400 && limit.errorMessage == "limit: expected a number of traces >= 1, got '0'")
            #expect(try TestHTTPClient.request(control, "GET", "/v1/spans").status == 405)
            #expect(try TestHTTPClient.request(control, "DELETE", "/v1/traces").status == 405)
            // Bodies have the API's limit.
            let huge = Array(repeating: Self.span("a000000000000001"), count: 300)
            #expect(try Self.post(control, huge).status == 413)
        }
    }

    @Test func metricsCountSpansAndTraces() throws {
        var configuration = ControlConfiguration()
        configuration.maxTraces = 2
        try withControlPlane(configuration: configuration) { control in
            for (index, trace) in ["1", "2", "3"].enumerated() {
                let id = String(repeating: trace, count: 32)
                _ = try Self.post(control, [Self.span("a00000000000000\(index + 1)", trace: id), Self.span("b00000000000000\(index + 1)", trace: id)])
            }
            let text = try TestHTTPClient.request(control, "GET", "/metrics").text
            for line in ["meshbed_control_spans_received_total 6", "meshbed_control_spans_dropped_total 0", "meshbed_control_traces_evicted_total 1",
                         "meshbed_control_traces 2", "meshbed_control_spans 4"] {
                #expect(text.contains(line + "\n"), "\(line)")
            }
            #expect(!text.contains("otlp"))
        }
    }

    /// With no collector listening, each batch fails and is counted; the control plane
    /// answers as before meanwhile.
    @Test func exportFailuresAreCounted() throws {
        var configuration = ControlConfiguration()
        let refusing = try reserveRefusingPort()
        defer { close(refusing.fd) }
        configuration.otlpEndpoint = try OTLPEndpoint(parsing: "http://\(refusing.address)/v1/traces")
        try withControlPlane(configuration: configuration) { control in
            #expect(try Self.post(control, [Self.span("a000000000000001"), Self.span("a000000000000002")]).status == 202)
            let deadline = Date().addingTimeInterval(20)
            var text = ""
            while Date() < deadline {
                text = try TestHTTPClient.request(control, "GET", "/metrics").text
                if text.contains("meshbed_control_otlp_requests_failed_total 1\n") { break }
                _ = poll(nil, 0, 20)
            }
            #expect(text.contains("meshbed_control_otlp_requests_failed_total 1\n") && text.contains("meshbed_control_otlp_spans_failed_total 2\n"), "\(text)")
            #expect(text.contains("meshbed_control_otlp_spans_exported_total 0\n") && text.contains("meshbed_control_otlp_queue 0\n"))
            #expect(try TestHTTPClient.request(control, "GET", "/v1/traces/" + Self.traceId).status == 200)
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/traces"),
        ("http://localhost:4318/otlp/v1/traces", "http://localhost:4318/otlp/v1/traces"),
        ("http://[::1]:4318", "http://[::1]:4318/v1/traces"),
    ])
    func endpointURLs(text: String, parsed: String) throws {
        #expect(try OTLPEndpoint(parsing: text).description == parsed)
    }

    @Test(arguments: [
        ("https://127.0.0.1:4318", "'https://127.0.0.1:4318': https is not supported yet (use an http:// collector endpoint)"),
        ("127.0.0.1:4318", "expected http://HOST:PORT[/PATH] such as http://127.0.0.1:4318/v1/traces, got '127.0.0.1:4318'"),
        ("http://127.0.0.1", "'http://127.0.0.1': missing the port (OTLP/HTTP's is 4318)"),
        ("http://collector:4318", "'http://collector:4318': expected a numeric address or localhost with a port 1–65535; host names such as 'collector' are not supported yet"),
        ("http://127.0.0.1:0", "'http://127.0.0.1:0': the port must be 1–65535"),
        ("http://127.0.0.1:4318/a b", "'http://127.0.0.1:4318/a b': the path must be printable ASCII without spaces or a fragment"),
    ])
    func badEndpointURLs(text: String, message: String) {
        #expect(throws: OTLPEndpointError.self) { try OTLPEndpoint(parsing: text) }
        do {
            _ = try OTLPEndpoint(parsing: text)
        } catch {
            #expect(error.message == message)
        }
    }
}
