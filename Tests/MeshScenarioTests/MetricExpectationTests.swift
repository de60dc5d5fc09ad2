import MeshMetrics
@testable import MeshScenario
import Testing

/// Expectations on the sidecars' `/metrics` (`metric:` with `value:`, `metrics:` lists): how
/// they are read from a scenario file and measured from two canned scrapes, without a network.
@Suite struct MetricExpectationTests {
    static let selector = #"meshbed_requests_total{destination="reviews",response_code="503"}"#

    @Test func readsMetricExpectations() throws {
        let scenario = try CounterExpectationTests.load("""
              - traffic: {to: reviews}
                expect:
                  metric: '\(Self.selector)'
                  value: "> 0"
              - traffic: {to: reviews}
                expect:
                  metrics:
                    - {metric: 'meshbed_retries_total', value: "== 0"}
                    - {metric: '{reporter="destination"}', value: ">= 10"}
                  within: 2s
            """).get()
        #expect(scenario.steps[0].expectations == [.metric(try MetricSelector(parsing: Self.selector), CounterExpectationTests.cmp("> 0"))])
        #expect(scenario.steps[0].expectations[0].label == "metric " + Self.selector)
        #expect(scenario.steps[1].expectations.count == 2 && scenario.steps[1].expectations.allSatisfy(\.isMetric))
    }

    @Test func mistakes() {
        #expect(CounterExpectationTests.errors("""
              - traffic: {to: reviews}
                expect: {metric: 'x_total{a=~"b"}', value: "> 0"}
              - traffic: {to: reviews}
                expect: {metric: x_total}
              - traffic: {to: reviews}
                expect: {value: "> 0"}
              - traffic: {to: reviews}
                expect: {metrics: [{metric: y_total, value: lots}]}
              - expect: {metric: z_total, value: "> 0"}
            """) == [
            "dir/s.yaml:6:22: metric: label a: '=~' matchers are not supported yet (use = or !=)",
            "dir/s.yaml:8:13: expect: missing 'value' (a comparison such as '> 0') for metric x_total",
            #"dir/s.yaml:10:13: expect: 'value' goes with 'metric' (a selector such as meshbed_requests_total{destination="reviews"})"#,
            "dir/s.yaml:12:49: value: expected a comparison like '> 0', got 'lots'",
            "dir/s.yaml:13:14: metric: metrics are measured as their change over a step's action; put it on a traffic step (or another step with an action)",
        ])
    }

    @Test func measuresTheGrowthOverEverySidecar() throws {
        let selector = try MetricSelector(parsing: Self.selector)
        func sample(_ code: String, _ value: Double) -> PrometheusSample {
            PrometheusSample(name: "meshbed_requests_total", labels: ["destination": "reviews", "response_code": code], value: value)
        }
        let before = SidecarScrapes(readings: [("reviews-v1-0", [sample("503", 4), sample("200", 50)]), ("ingress", [sample("503", 10)])])
        let after = SidecarScrapes(readings: [("reviews-v1-0", [sample("503", 9), sample("200", 80)]), ("ingress", [sample("503", 3)])])
        // 5 more on the instance; the ingress restarted (went down): its 3 since then.
        let measured = SidecarScrapes.measure(selector, CounterExpectationTests.cmp("== 8"), before: before, after: after)
        #expect(measured.passed && measured.measured == "8 over 2 sidecars", "\(measured)")
        let silent = SidecarScrapes(readings: [("reviews-v1-0", nil), ("ingress", [sample("503", 12)])])
        let failed = SidecarScrapes.measure(selector, CounterExpectationTests.cmp(">= 0"), before: before, after: silent)
        #expect(!failed.passed && failed.measured == "2 over 1 sidecars; no /metrics from reviews-v1-0", "\(failed)")
    }
}
