import Foundation
import MeshConfig
import MeshHTTP
import MeshIO
@testable import MeshProxy
import Testing

/// W3C trace context through one sidecar loop, in memory: the caller's trace joined or a new
/// one started, this hop's span id passed upstream, and one span per sampled request written
/// to the span log from the decision record (attempts and retries as events).
@Suite struct TracingPipelineTests {
    final class Batches: @unchecked Sendable {
        var bodies: [[UInt8]] = []
        var accept = true
        var pending: [(Bool) -> Void] = []
        var spans: [[String: Any]] {
            bodies.flatMap { body -> [[String: Any]] in
                let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
                return object?["spans"] as? [[String: Any]] ?? []
            }
        }
    }

    static let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    static func harness(_ batches: Batches, mode: ProxyMode = .outbound(source: "caller"), policy: RoutePolicy = .default,
                        telemetry: TelemetryConfig? = nil, answerAtOnce: Bool = true) -> PipelineHarness {
        let harness = PipelineHarness(mode: mode, services: ["svc": ["v1": 2]], policy: policy, telemetry: telemetry)
        harness.state.spanLog = SpanLog(service: "caller", version: "v1", instance: "caller-v1-0", counters: harness.state.counters,
                                        timers: harness.timers,
                                        wallClock: { 1_795_987_559_042_000_000 }) { body, done in
            batches.bodies.append(body)
            if answerAtOnce { done(batches.accept) } else { batches.pending.append(done) }
        }
        return harness
    }

    /// The `traceparent` the upstream request carried (the last one sent).
    static func upstreamTraceparent(_ harness: PipelineHarness) throws -> TraceParent {
        let text = String(decoding: try #require(harness.upstreams.requests.last).bytes, as: UTF8.self)
        let lines = text.split(separator: "\r\n").filter { $0.lowercased().hasPrefix("traceparent:") }
        try #require(lines.count == 1)
        return try #require(TraceParent(parsing: Array(lines[0].dropFirst("traceparent: ".count).utf8)))
    }

    @Test func aRequestWithoutContextStartsATrace() throws {
        let batches = Batches()
        let harness = Self.harness(batches)
        harness.send("GET", "/items?id=3")
        let sent = try Self.upstreamTraceparent(harness)
        #expect(sent.sampled)
        harness.advance(ms: 1000)
        try #require(batches.spans.count == 1)
        let span = batches.spans[0]
        #expect(span["traceId"] as? String == String(format: "%016llx%016llx", sent.traceHigh, sent.traceLow))
        #expect(span["spanId"] as? String == String(format: "%016llx", sent.parent))
        #expect(span["parentSpanId"] == nil && span["kind"] as? String == "client")
        #expect(span["service"] as? String == "caller" && span["instance"] as? String == "caller-v1-0" && span["peer"] as? String == "svc")
        #expect(span["method"] as? String == "GET" && span["path"] as? String == "/items" && span["status"] as? Int == 200)
        #expect(span["attempts"] as? Int == 1 && (span["endpoint"] as? String)?.hasPrefix("svc-v1-") == true && span["events"] == nil)
        let start = try #require(span["startUnixNano"] as? Int), end = try #require(span["endUnixNano"] as? Int)
        #expect(end >= start && end == 1_795_987_559_042_000_000)
    }

    @Test func theCallersTraceIsJoinedAndThisSpanBecomesTheNextParent() throws {
        let batches = Batches()
        let harness = Self.harness(batches)
        harness.send(headers: ["traceparent: " + Self.caller, "tracestate: vendor=1"])
        let sent = try Self.upstreamTraceparent(harness)
        #expect(sent.traceHigh == 0x4bf9_2f35_77b3_4da6 && sent.traceLow == 0xa3ce_929d_0e0e_4736 && sent.flags == 1)
        #expect(sent.parent != 0x00f0_67aa_0ba9_02b7)
        let text = String(decoding: try #require(harness.upstreams.requests.last).bytes, as: UTF8.self)
        #expect(text.contains("tracestate: vendor=1\r\n"))
        harness.advance(ms: 1000)
        try #require(batches.spans.count == 1)
        #expect(batches.spans[0]["traceId"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(batches.spans[0]["parentSpanId"] as? String == "00f067aa0ba902b7")
        #expect(batches.spans[0]["spanId"] as? String == String(format: "%016llx", sent.parent))
    }

    @Test func anUnsampledCallerIsFollowedAndNothingIsRecorded() throws {
        let batches = Batches()
        let harness = Self.harness(batches)
        harness.send(headers: ["traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"])
        #expect(try Self.upstreamTraceparent(harness).flags == 0)
        harness.advance(ms: 2000)
        #expect(batches.bodies.isEmpty)
    }

    @Test func anInvalidTraceparentStartsANewTrace() throws {
        let batches = Batches()
        let harness = Self.harness(batches)
        harness.send(headers: ["traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01"])
        let sent = try Self.upstreamTraceparent(harness)
        #expect(sent.traceHigh | sent.traceLow != 0 && sent.sampled)
        harness.advance(ms: 1000)
        #expect(batches.spans.count == 1 && batches.spans[0]["parentSpanId"] == nil)
    }

    @Test func samplingZeroRecordsNoNewTraceButStillPropagates() throws {
        let batches = Batches()
        let harness = Self.harness(batches, telemetry: TelemetryConfig(tracingSampling: 0))
        for _ in 0..<5 { harness.send() }
        #expect(try Self.upstreamTraceparent(harness).flags == 0)
        harness.send(headers: ["traceparent: " + Self.caller])  // a sampled caller is still followed
        harness.advance(ms: 1000)
        #expect(batches.spans.count == 1 && batches.spans[0]["traceId"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func newTracesAreRecordedAtMostMaxTracesPerSecond() throws {
        let batches = Batches()
        let harness = Self.harness(batches, telemetry: TelemetryConfig(maxTracesPerSecond: 2))
        var flags: [UInt8] = []
        for _ in 0..<5 {
            harness.send()
            flags.append(try Self.upstreamTraceparent(harness).flags)
        }
        #expect(flags == [1, 1, 0, 0, 0])
        harness.advance(ms: 500)  // one more token
        for _ in 0..<2 {
            harness.send()
            flags.append(try Self.upstreamTraceparent(harness).flags)
        }
        #expect(flags.suffix(2) == [1, 0])
        harness.send(headers: ["traceparent: " + Self.caller])  // a sampled caller is followed whatever the budget
        #expect(try Self.upstreamTraceparent(harness).flags == 1)
        harness.advance(ms: 1000)
        #expect(batches.spans.count == 4)
    }

    @Test func retriesAreEventsOfOneSpan() throws {
        let batches = Batches()
        let harness = Self.harness(batches, policy: RoutePolicy(retries: 2, retryOn: [.serverError]))
        harness.upstreams.scripts[harness.address("svc-v1-0")] = [.respond(503)]
        harness.upstreams.scripts[harness.address("svc-v1-1")] = [.respond(503)]
        harness.everyone(.respond(200))
        harness.send()
        harness.advance(ms: 2000)  // the backoffs, then the batch's second
        let traceparents = try harness.upstreams.requests.map { request -> String in
            let text = String(decoding: request.bytes, as: UTF8.self)
            return try #require(text.split(separator: "\r\n").first { $0.hasPrefix("traceparent: ") }).description
        }
        #expect(traceparents.count >= 2 && Set(traceparents).count == 1)  // every attempt is the same span
        try #require(batches.spans.count == 1)
        let span = batches.spans[0]
        #expect(span["attempts"] as? Int == traceparents.count && span["status"] as? Int == 200)
        let events = try #require(span["events"] as? [[String: Any]])
        #expect(events.count == traceparents.count)
        #expect((events[0]["name"] as? String)?.hasSuffix(": 503, retried (5xx)") == true)
        #expect((events.last?["name"] as? String)?.hasSuffix(": 200") == true)
    }

    @Test func theInboundSideRecordsAServerSpanForItsCaller() throws {
        let batches = Batches()
        let harness = Self.harness(batches, mode: .inbound(app: SocketAddress("10.0.0.1:1001")!))
        harness.send(headers: ["traceparent: " + Self.caller, "x-meshbed-source: web"])
        harness.advance(ms: 1000)
        try #require(batches.spans.count == 1)
        let span = batches.spans[0]
        #expect(span["kind"] as? String == "server" && span["peer"] as? String == "web")
        #expect(span["parentSpanId"] as? String == "00f067aa0ba902b7" && span["endpoint"] as? String == "app")
    }

    @Test func theAccessLogNamesTheTrace() throws {
        let batches = Batches()
        let harness = Self.harness(batches)
        var lines: [[UInt8]] = []
        harness.state.accessLog = AccessLog(timers: harness.timers, wallClock: { 0 }, output: { lines.append(Array($0)) })
        harness.send(headers: ["traceparent: " + Self.caller])
        harness.advance(ms: 1000)
        let line = try #require(lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.split(separator: 10)[0])) as? [String: Any] })
        #expect(line["traceId"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func batchesWaitWhileTwoAreOnTheirWayAndRefusedOnesAreCounted() throws {
        let batches = Batches()
        let harness = Self.harness(batches, answerAtOnce: false)
        let counters = harness.state.counters
        for _ in 0..<3 {
            harness.send()
            harness.advance(ms: 1000)
        }
        #expect(batches.bodies.count == 2)  // the third waits for a batch to come back
        batches.pending.removeFirst()(true)
        batches.pending.removeFirst()(false)
        #expect(counters.spansReported.load(ordering: .relaxed) == 1 && counters.spansDropped.load(ordering: .relaxed) == 1)
        harness.advance(ms: 1000)
        #expect(batches.bodies.count == 3)
        batches.pending.removeFirst()(true)
        #expect(counters.spansReported.load(ordering: .relaxed) == 2)
    }
}
