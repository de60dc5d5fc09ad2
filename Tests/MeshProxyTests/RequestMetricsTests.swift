import MeshConfig
import MeshIO
@testable import MeshProxy
import Testing

/// Requests counted by label set from their decision records, in memory with manual time:
/// exact counts, the endpoint's version, local replies with their response flags, the
/// inbound side naming its caller, durations in the right buckets, and the `/metrics` text.
@Suite struct RequestMetricsTests {
    static func series(_ harness: PipelineHarness) -> [RequestMetrics.Labels: Int] {
        Dictionary(uniqueKeysWithValues: harness.state.metrics.series().map { ($0.labels, $0.durations.snapshot().count) })
    }

    static func outbound(_ version: String, _ code: Int, flags: ResponseFlags = [], destination: String = "svc") -> RequestMetrics.Labels {
        RequestMetrics.Labels(reporter: .source, source: "caller", destination: destination, destinationVersion: version,
                              responseCode: code, flags: flags.rawValue)
    }

    @Test func everyRequestIsCountedOnceByItsLabels() {
        let routes = ["svc": [RouteConfig(headers: ["x-v2": "1"], split: ["v2": 100]), RouteConfig(split: ["v1": 100])]]
        let harness = PipelineHarness(services: ["svc": ["v1": 2, "v2": 1]], routes: routes)
        for _ in 0..<7 { harness.send() }
        for _ in 0..<3 { harness.send(headers: ["x-v2: 1"]) }
        harness.everyone(.respond(500))
        harness.send()
        harness.send(host: "nowhere")
        #expect(Self.series(harness) == [
            Self.outbound("v1", 200): 7,
            Self.outbound("v2", 200): 3,
            Self.outbound("v1", 500): 1,
            Self.outbound("unknown", 404, flags: .noRoute, destination: "nowhere"): 1,
        ])
    }

    @Test func localRepliesCarryTheirFlagsAndDurations() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: RoutePolicy(timeout: 200_000_000, retries: 0))
        harness.everyone(.silent)
        harness.send()
        harness.advance(ms: 200)
        #expect(harness.downstream.status == 504)
        let series = harness.state.metrics.series()
        #expect(series.map(\.labels) == [Self.outbound("v1", 504, flags: .upstreamRequestTimeout)])
        let snapshot = series[0].durations.snapshot()
        // 200 ms lands in the (0.1, 0.25] bucket.
        let bucket = snapshot.bounds.firstIndex(of: 0.25)!
        #expect(snapshot.counts[bucket] == 1 && snapshot.count == 1 && abs(snapshot.sum - 0.2) < 1e-9)
    }

    @Test func theInboundSideNamesItsCallerFromTheSourceHeader() {
        let harness = PipelineHarness(mode: .inbound(app: SocketAddress("10.0.0.1:9000")!), service: "svc", version: "v2")
        harness.send(headers: ["x-meshbed-source: web"])
        harness.send(headers: ["x-meshbed-source: web"])
        harness.send()
        let labels = Set(harness.state.metrics.series().map { "\($0.labels.reporter.name) \($0.labels.source)→\($0.labels.destination)/\($0.labels.destinationVersion) \($0.labels.responseCode)" })
        #expect(labels == ["destination web→svc/v2 200", "destination unknown→svc/v2 200"])
    }

    @Test func theMetricsText() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]])
        harness.send()
        harness.send()
        let text = String(decoding: SidecarMetrics.render(metrics: [harness.state.metrics, RequestMetrics()], counters: [harness.state.counters],
                                                         faults: nil, configVersion: 3, certificateNotAfter: 1_900_000_000), as: UTF8.self)
        let labels = #"reporter="source",source="caller",destination="svc",destination_version="v1",response_code="200",response_flags="-""#
        #expect(text.contains("# TYPE meshbed_requests_total counter\nmeshbed_requests_total{\(labels)} 2\n"))
        #expect(text.contains("meshbed_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} 2\n"))
        #expect(text.contains("meshbed_request_duration_seconds_count{\(labels)} 2\n"))
        #expect(text.contains("meshbed_config_version 3\n") && text.contains("meshbed_certificate_expiry_timestamp_seconds 1900000000\n"))
        #expect(text.contains("# TYPE meshbed_retries_total counter\nmeshbed_retries_total 0\n"))
        // Every /stats counter has its metric (but `requests`, said by label set).
        let names = ProxyCounters.totals([harness.state.counters]).map(\.name).filter { $0 != "requests" }
        #expect(names.allSatisfy { SidecarMetrics.counterNames[$0] != nil })
    }
}
