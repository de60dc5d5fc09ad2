import Foundation
import Glibc
import MeshTestSupport
import Testing

/// Traces end to end: the control plane takes spans (`POST /v1/spans`) and pushes them to a
/// real OTLP/HTTP receiver that reads them with OpenTelemetry's own message definitions
/// (`fixtures/otlp.py`); `meshbed trace` lists, draws and exports what a running topology's
/// control plane keeps; `up --otlp-endpoint` reaches the control plane through the launch.
@Suite(.serialized) struct TracingTests {
    static let traceA = "0af7651916cd43dd8448eb211c80319c"
    static let traceB = "1af7651916cd43dd8448eb211c80319c"
    static let base: UInt64 = 1_764_460_000_000_000_000

    /// One span in the sidecars' wire format; times in microseconds after `base`.
    static func span(_ trace: String, _ spanId: String, parent: String? = nil, kind: String, service: String, peer: String,
                     status: Int = 200, from: UInt64, to: UInt64, events: [(UInt64, String)] = []) -> String {
        var fields = [#""traceId":"\#(trace)""#, #""spanId":"\#(spanId)""#]
        if let parent { fields.append(#""parentSpanId":"\#(parent)""#) }
        fields += [#""kind":"\#(kind)""#, #""service":"\#(service)""#, #""version":"\#(service == "ingress" ? "" : "v1")""#,
                   #""instance":"\#(service == "ingress" ? "ingress" : service + "-v1-0")""#, #""peer":"\#(peer)""#,
                   #""method":"GET""#, #""path":"/""#, #""status":\#(status)"#, #""flags":"-""#,
                   #""startUnixNano":\#(base + from * 1_000)"#, #""endUnixNano":\#(base + to * 1_000)"#,
                   #""attempts":\#(events.count + 1)"#]
        if !events.isEmpty {
            fields.append(#""events":["# + events.map { #"{"timeUnixNano":\#(base + $0.0 * 1_000),"name":"\#($0.1)"}"# }.joined(separator: ",") + "]")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Trace A: ingress → svc with a retry (3 spans, 3 levels); trace B: one failed span.
    static let batchA = [
        span(traceA, "b000000000000002", parent: "a000000000000001", kind: "server", service: "svc", peer: "ingress", status: 503, from: 100, to: 900),
        span(traceA, "b000000000000003", parent: "a000000000000001", kind: "server", service: "svc", peer: "ingress", from: 1_200, to: 1_900),
        span(traceA, "a000000000000001", kind: "client", service: "ingress", peer: "svc", from: 0, to: 2_000,
             events: [(950, "attempt 1 to svc-v1-0: 503, retried (5xx)")]),
    ]
    static let batchB = [span(traceB, "c000000000000001", kind: "client", service: "ingress", peer: "svc", status: 503, from: 5_000, to: 5_400)]

    static func post(_ control: String, _ spans: [String]) throws {
        let answer = try MeshUpTests.curl(["-X", "POST", "-H", "content-type: application/json", "-d", #"{"spans":[\#(spans.joined(separator: ","))]}"#,
                                           "http://\(control)/v1/spans"])
        try #require(answer.hasPrefix("HTTP/1.1 202"), "\(answer)")
    }

    /// The control plane's `/metrics` once `line` is in it (within 20 s), or what it was last.
    static func metrics(_ control: String, containing line: String) throws -> String {
        let deadline = Date().addingTimeInterval(20)
        var text = ""
        while Date() < deadline {
            text = try MeshUpTests.curl(["http://\(control)/metrics"])
            if text.contains(line + "\n") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return text
    }

    @Test(.enabled(if: OTelPython.enabled))
    func theControlPlanePushesSpansToAnOTLPReceiver() throws {
        let directory = try #require(OTelPython.directory, "opentelemetry-proto is not installed where MESHBED_OTEL_PYTHON says")
        let harness = Harness()
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("traced.yaml", "kind: Topology\nname: traced\nmesh: {mtls: disabled}\nservices:\n  svc: {}\n")

        let (_, received) = try harness.startBackground("/usr/bin/env", ["python3", "-u", OTelPython.script, "receive"],
                                                       environment: ["PYTHONPATH": directory])
        let listening = try #require(received.first(within: 20) { $0.hasPrefix("listening ") }, "the OTLP receiver did not start")
        let port = String(listening.dropFirst("listening ".count))
        let (_, output) = try harness.startBackground(Harness.meshbed, ["control", "--topology", file,
                                                                       "--otlp-endpoint", "http://127.0.0.1:\(port)"])
        let line = try #require(output.first(within: 20) { $0.contains("listening on ") }, "meshbed control did not start")
        let control = String(line.split(separator: " ").last!)

        // Two batches, the second once the first arrived: both on one keep-alive connection.
        try Self.post(control, Self.batchA)
        let first = try #require(received.first(within: 20) { $0.hasPrefix("{") }, "the receiver got nothing")
        try Self.post(control, Self.batchB)
        let second = try #require(received.first(within: 20) { $0.hasPrefix("{") && $0 != first }, "the receiver got one request only")

        var spans: [[String: Any]] = []
        var ports: Set<Int> = []
        for request in [first, second] {
            let record = try MeshUpTests.object(request)
            #expect(record["error"] == nil, "\(record["error"] ?? "")")
            #expect(record["path"] as? String == "/v1/traces" && record["contentType"] as? String == "application/json")
            spans += record["spans"] as? [[String: Any]] ?? []
            if let client = record["clientPort"] as? Int { ports.insert(client) }
        }
        #expect(ports.count == 1, "\(ports)")
        let byId = Dictionary(spans.map { ($0["spanId"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(Set(byId.keys) == ["a000000000000001", "b000000000000002", "b000000000000003", "c000000000000001"])
        #expect(byId["a000000000000001"]?["traceId"] as? String == Self.traceA && byId["a000000000000001"]?["parentSpanId"] as? String == "")
        #expect(byId["b000000000000002"]?["parentSpanId"] as? String == "a000000000000001" && byId["b000000000000002"]?["kind"] as? Int == 2)
        #expect(byId["a000000000000001"]?["kind"] as? Int == 3 && byId["c000000000000001"]?["traceId"] as? String == Self.traceB)
        #expect(byId["b000000000000002"]?["status"] as? Int == 2 && byId["b000000000000003"]?["status"] as? Int == 0)
        #expect(byId["b000000000000003"]?["service"] as? String == "svc" && byId["b000000000000003"]?["instance"] as? String == "svc-v1-0")
        #expect((byId["a000000000000001"]?["events"] as? [[Any]])?.first?.last as? String == "attempt 1 to svc-v1-0: 503, retried (5xx)")
        #expect(try Self.metrics(control, containing: "meshbed_control_otlp_spans_exported_total 4").contains("meshbed_control_otlp_spans_exported_total 4\n"))
    }

    @Test func meshbedTraceListsDrawsAndExports() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("traced.yaml", "kind: Topology\nname: traced\nmesh: {mtls: disabled}\nservices:\n  svc: {}\n")

        // Refused before anything starts.
        let https = try workspace.meshbed(["up", file, "--otlp-endpoint", "https://127.0.0.1:4318"])
        #expect(https.status == 2 && https.stderr.contains("--otlp-endpoint: 'https://127.0.0.1:4318': https is not supported yet"), "\(https.stderr)")
        let noMesh = try workspace.meshbed(["up", file, "--no-mesh", "--otlp-endpoint", "http://127.0.0.1:4318"])
        #expect(noMesh.status == 2 && noMesh.stderr.contains("it needs the mesh"), "\(noMesh.stderr)")
        let none = try workspace.meshbed(["trace"])
        #expect(none.status == 3, "\(none.stderr)")

        // Spans go to a collector that is not there: the failures show in the control plane's metrics.
        let refusing = try reserveRefusingPort()
        defer { close(refusing.fd) }
        let up = try workspace.meshbed(["up", file, "--detach", "--otlp-endpoint", "http://\(refusing.address)"])
        try #require(up.status == 0, "\(up.stderr)")
        let control = try #require(try workspace.state("traced")["control"] as? String)
        #expect(try workspace.meshbed(["trace"]).stdout == "no traces yet (spans arrive as the sidecars finish requests)\n")
        try Self.post(control, Self.batchA)
        try Self.post(control, Self.batchB)
        #expect(try Self.metrics(control, containing: "meshbed_control_otlp_spans_failed_total 4").contains("meshbed_control_otlp_spans_failed_total 4\n"))

        let list = try workspace.meshbed(["trace"])
        #expect(list.status == 0)
        #expect(list.stdout == """
            TRACE                             ROOT           REQUEST  STATUS  SPANS  DURATION
            \(Self.traceB)  ingress → svc  GET /    503     1      0.400 ms
            \(Self.traceA)  ingress → svc  GET /    200     3      2.000 ms

            """, "\(list.stdout)")
        #expect(try workspace.meshbed(["trace", "--limit", "1"]).stdout.split(separator: "\n").count == 2)

        let waterfall = """
            trace \(Self.traceA)  3 spans  2.000 ms
            ingress → svc               client  200  -  2.000 ms  |========================================|
              @ 0.950 ms  attempt 1 to svc-v1-0: 503, retried (5xx)
              ingress → svc (svc-v1-0)  server  503  -  0.800 ms  |  ================                      |
              ingress → svc (svc-v1-0)  server  200  -  0.700 ms  |                        ==============  |

            """
        let drawn = try workspace.meshbed(["trace", Self.traceA])
        #expect(drawn.status == 0 && drawn.stdout == waterfall, "\(drawn.stdout)")
        #expect(try workspace.meshbed(["trace", "latest"]).stdout.hasPrefix("trace \(Self.traceB)  1 span  0.400 ms\n"))
        let json = try MeshUpTests.object(try workspace.meshbed(["trace", Self.traceA, "--json"]).stdout)
        #expect((json["spans"] as? [[String: Any]])?.map { $0["spanId"] as? String } == ["a000000000000001", "b000000000000002", "b000000000000003"])

        let otlpFile = workspace.path + "/trace.json"
        let written = try workspace.meshbed(["trace", Self.traceA, "--otlp", otlpFile])
        #expect(written.status == 0 && written.stdout == "wrote 3 spans of trace \(Self.traceA) to \(otlpFile) (OTLP/JSON)\n", "\(written.stdout)")
        #expect(Self.spanIds(try String(contentsOfFile: otlpFile, encoding: .utf8)) == ["a000000000000001", "b000000000000002", "b000000000000003"])
        let everything = try workspace.meshbed(["trace", "--otlp", "-"])
        #expect(everything.status == 0 && Self.spanIds(everything.stdout) == ["a000000000000001", "b000000000000002", "b000000000000003", "c000000000000001"])

        let unknown = try workspace.meshbed(["trace", "2af7651916cd43dd8448eb211c80319c"])
        #expect(unknown.status == 3 && unknown.stderr.hasPrefix("meshbed: trace: no trace '2af7651916cd43dd8448eb211c80319c'"), "\(unknown.stderr)")
        let malformed = try workspace.meshbed(["trace", "0AF7"])
        #expect(malformed.status == 2 && malformed.stderr == "meshbed: trace: ID expected 32 lowercase hex digits, got '0AF7' (a W3C trace id; 'meshbed trace' lists them)\n", "\(malformed.stderr)")
        #expect(try workspace.meshbed(["trace", Self.traceA, "--limit", "2"]).status == 2)

        #expect(try workspace.meshbed(["down", "traced"]).status == 0)
        let stopped = try workspace.meshbed(["trace"])
        #expect(stopped.status == 3 && stopped.stderr.contains("is not running"), "\(stopped.stderr)")
    }

    /// One request through bookinfo (as jason: reviews v2, which calls ratings) with a
    /// caller's `traceparent`: eight spans of that one trace, reported by the sidecars
    /// themselves, each server span the child of its caller's client span and each client
    /// span the child of its service's server span (the echo app passed the header on); the
    /// waterfall names every hop, the OTLP export parses with opentelemetry-proto.
    @Test func aRequestThroughBookinfoIsOneTrace() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let up = try workspace.meshbed(["up", OTelPython.root + "/topologies/bookinfo.yaml", "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let state = try workspace.state("bookinfo")
        let ingress = try #require(state["ingress"] as? String), control = try #require(state["control"] as? String)
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736", caller = "00f067aa0ba902b7"
        let answer = try Harness.run("curl", ["-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: productpage",
                                              "-H", "end-user: jason", "-H", "traceparent: 00-\(trace)-\(caller)-01", "http://\(ingress)/"],
                                     timeout: 20).stdout
        try #require(answer == "200")

        // Sidecars send their spans within about a second of each request's end.
        var spans: [[String: Any]] = []
        #expect(eventually(within: 20) {
            guard let text = try? MeshUpTests.curl(["http://\(control)/v1/traces/\(trace)"]), let body = text.components(separatedBy: "\r\n\r\n").last,
                  let object = try? MeshUpTests.object(body) else { return false }
            spans = object["spans"] as? [[String: Any]] ?? []
            return spans.count >= 8
        }, "\(spans.count) spans")
        try #require(spans.count == 8, "\(spans.map { "\($0["service"] ?? "") \($0["kind"] ?? "") \($0["peer"] ?? "")" })")
        func span(_ kind: String, _ service: String, _ peer: String) throws -> [String: Any] {
            try #require(spans.first { $0["kind"] as? String == kind && $0["service"] as? String == service && $0["peer"] as? String == peer },
                         "no \(kind) span of \(service) with peer \(peer)")
        }
        let calls = [("ingress", "productpage"), ("productpage", "details"), ("productpage", "reviews"), ("reviews", "ratings")]
        for (from, to) in calls {
            let client = try span("client", from, to), server = try span("server", to, from)
            #expect(server["parentSpanId"] as? String == client["spanId"] as? String, "\(from) → \(to)")
            #expect(client["status"] as? Int == 200 && server["status"] as? Int == 200)
            // The caller's client span hangs off the span in which its app got the request.
            let parent = from == "ingress" ? caller : try span("server", from, from == "productpage" ? "ingress" : "productpage")["spanId"] as? String
            #expect(client["parentSpanId"] as? String == parent, "\(from) → \(to)")
        }
        #expect(try span("server", "reviews", "productpage")["version"] as? String == "v2")
        #expect(Set(spans.compactMap { $0["spanId"] as? String }).count == 8)

        // x-meshbed-explain across every hop: the echo apps hand their calls' records back.
        let explained = try Harness.run("curl", ["-s", "-m", "10", "-H", "Host: productpage", "-H", "end-user: jason", "-H", "x-meshbed-explain: 1",
                                                 "http://\(ingress)/"], timeout: 20).stdout
        let page = try MeshUpTests.object(explained)
        let reviews = try #require((page["calls"] as? [[String: Any]])?.first { $0["service"] as? String == "reviews" })
        let reviewsRecords = (reviews["explain"] as? [String] ?? []).compactMap { try? MeshUpTests.object($0) }
        #expect(reviewsRecords.map { "\($0["sidecar"] ?? "") \($0["mode"] ?? "")" }.sorted() == ["productpage-v1-0 outbound", "reviews-v2-0 inbound"],
                "\(reviews)")
        let ratings = try #require(((reviews["body"] as? [String: Any])?["calls"] as? [[String: Any]])?.first)
        #expect((ratings["explain"] as? [String] ?? []).count == 2, "\(ratings)")

        let waterfall = try workspace.meshbed(["trace", trace])
        #expect(waterfall.status == 0 && waterfall.stdout.hasPrefix("trace \(trace)  8 spans"), "\(waterfall.stdout)")
        for (from, to) in calls { #expect(waterfall.stdout.contains("\(from) → \(to)"), "\(waterfall.stdout)") }
        if let directory = OTelPython.directory {
            let otlp = try workspace.meshbed(["trace", trace, "--otlp", "-"])
            let read = try Harness.run("python3", [OTelPython.script, "parse"], input: Data(otlp.stdout.utf8), timeout: 30,
                                       environment: ProcessInfo.processInfo.environment.merging(["PYTHONPATH": directory]) { $1 })
            #expect(read.status == 0, "\(read.stderr)")
            let parsed = try MeshUpTests.object(read.stdout)["spans"] as? [[String: Any]] ?? []
            #expect(parsed.count == 8 && Set(parsed.compactMap { $0["traceId"] as? String }) == [trace])
        }
        #expect(try workspace.meshbed(["down", "bookinfo"]).status == 0)
    }

    /// The span ids of an OTLP/JSON document, sorted.
    static func spanIds(_ text: String) -> [String] {
        guard let object = try? MeshUpTests.object(text) else { return [] }
        var ids: [String] = []
        for resource in object["resourceSpans"] as? [[String: Any]] ?? [] {
            for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                ids += (scope["spans"] as? [[String: Any]] ?? []).compactMap { $0["spanId"] as? String }
            }
        }
        return ids.sorted()
    }
}
