import MeshMetrics
import Testing

/// The text format 0.0.4 as Prometheus reads it: families once, escaped label values,
/// Prometheus's numbers, cumulative histogram buckets that agree with `_count`.
@Suite struct PrometheusWriterTests {
    static func text(_ body: (inout PrometheusWriter) -> Void) -> String {
        var writer = PrometheusWriter()
        body(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func familiesSamplesAndEscaping() {
        let text = Self.text { writer in
            writer.family("meshbed_requests_total", .counter, help: "Requests.\nBy caller \\ callee.")
            writer.sample("meshbed_requests_total", [("source", #"we"b\"#), ("destination", "a\nb")], integer: 3)
            writer.family("meshbed_config_version", .gauge, help: "The snapshot version.")
            writer.sample("meshbed_config_version", [], 7)
        }
        #expect(text == """
            # HELP meshbed_requests_total Requests.\\nBy caller \\\\ callee.
            # TYPE meshbed_requests_total counter
            meshbed_requests_total{source="we\\"b\\\\",destination="a\\nb"} 3
            # HELP meshbed_config_version The snapshot version.
            # TYPE meshbed_config_version gauge
            meshbed_config_version 7

            """)
    }

    @Test func numbers() {
        #expect(PrometheusWriter.number(1) == "1" && PrometheusWriter.number(0.0005) == "0.0005")
        #expect(PrometheusWriter.number(.infinity) == "+Inf" && PrometheusWriter.number(-.infinity) == "-Inf" && PrometheusWriter.number(.nan) == "NaN")
        #expect(PrometheusWriter.number(2.5) == "2.5" && PrometheusWriter.number(1e20) == "1e+20")
    }

    @Test func histogramBucketsAreCumulativeAndAgreeWithTheCount() {
        let histogram = DurationHistogram(bounds: [0.001, 0.01])
        for nanoseconds: UInt64 in [500_000, 1_000_000, 2_000_000, 20_000_000, 30_000_000] { histogram.record(nanoseconds: nanoseconds) }
        let snapshot = histogram.snapshot()
        #expect(snapshot.counts == [2, 1, 2] && snapshot.count == 5)
        #expect(abs(snapshot.sum - 0.0535) < 1e-12)
        let text = Self.text { $0.histogram("d_seconds", [("x", "y")], snapshot) }
        #expect(text == """
            d_seconds_bucket{x="y",le="0.001"} 2
            d_seconds_bucket{x="y",le="0.01"} 3
            d_seconds_bucket{x="y",le="+Inf"} 5
            d_seconds_sum{x="y"} 0.0535
            d_seconds_count{x="y"} 5

            """)
        var total = snapshot
        total.add(snapshot)
        #expect(total.counts == [4, 2, 4] && total.count == 10)
    }

    @Test func concurrentRecordsAreAllCounted() async {
        let histogram = DurationHistogram()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask { for i in 0..<10_000 { histogram.record(nanoseconds: UInt64(task * 1_000_000 + i)) } }
            }
        }
        #expect(histogram.snapshot().count == 40_000)
    }
}
