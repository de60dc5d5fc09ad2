import MeshMetrics
import Testing

/// Scrapes added up: counters and histograms summed by name and label set, families kept
/// with their help and type, gauges left out, an unreadable scrape counted and skipped.
@Suite struct PrometheusAggregateTests {
    static func scrape(requests: Int, bucket: Int, version: Int) -> String {
        var writer = PrometheusWriter()
        writer.family("meshbed_requests_total", .counter, help: "Requests.\nBy label set.")
        writer.sample("meshbed_requests_total", [("destination", "svc"), ("response_code", "200")], integer: requests)
        writer.sample("meshbed_requests_total", [("destination", "svc"), ("response_code", "503")], integer: 1)
        writer.family("meshbed_request_duration_seconds", .histogram, help: "Durations.")
        writer.histogram("meshbed_request_duration_seconds", [("destination", "svc")],
                         HistogramSnapshot(bounds: [0.1, 1], counts: [bucket, 1, 0], sum: 0.5))
        writer.family("meshbed_config_version", .gauge, help: "Version.")
        writer.sample("meshbed_config_version", integer: version)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func sumsCountersAndHistogramsAndLeavesGaugesOut() throws {
        var aggregate = PrometheusAggregate()
        aggregate.add(Self.scrape(requests: 3, bucket: 2, version: 4))
        aggregate.add(Self.scrape(requests: 5, bucket: 4, version: 5))
        aggregate.add("not a scrape {")
        #expect(aggregate.scrapes == 2 && aggregate.unreadable == 1)
        let text = String(decoding: aggregate.render(), as: UTF8.self)
        #expect(text == """
            # HELP meshbed_requests_total Requests.\\nBy label set.
            # TYPE meshbed_requests_total counter
            meshbed_requests_total{destination="svc",response_code="200"} 8
            meshbed_requests_total{destination="svc",response_code="503"} 2
            # HELP meshbed_request_duration_seconds Durations.
            # TYPE meshbed_request_duration_seconds histogram
            meshbed_request_duration_seconds_bucket{destination="svc",le="0.1"} 6
            meshbed_request_duration_seconds_bucket{destination="svc",le="1"} 8
            meshbed_request_duration_seconds_bucket{destination="svc",le="+Inf"} 8
            meshbed_request_duration_seconds_sum{destination="svc"} 1
            meshbed_request_duration_seconds_count{destination="svc"} 8

            """)
        // What it renders reads back as the same sums.
        let samples = try PrometheusSample.parse(text)
        #expect(samples.count == 7)
    }

    @Test func anEmptyAggregateIsAnEmptyScrape() {
        #expect(PrometheusAggregate().render().isEmpty)
    }
}
