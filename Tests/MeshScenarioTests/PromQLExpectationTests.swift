import MeshOrchestrator
@testable import MeshScenario
import Testing

/// `promql:` expectations: how they are read from a scenario file, and how Prometheus's
/// `/api/v1/query` answers become a value or a reason, without a network.
@Suite struct PromQLExpectationTests {
    @Test func readsPromQLExpectations() throws {
        let scenario = try CounterExpectationTests.load("""
              - traffic: {to: reviews}
                expect:
                  promql: 'sum(meshbed_requests_total{destination="reviews"})'
                  value: "== 10"
              - name: later
                expect:
                  metrics:
                    - {promql: 'sum(rate(meshbed_requests_total[1m]))', value: "> 0"}
                    - {promql: 'sum(meshbed_retries_total)', value: "== 0"}
                  within: 5s
            """).get()
        #expect(scenario.steps[0].expectations == [.promql(#"sum(meshbed_requests_total{destination="reviews"})"#, CounterExpectationTests.cmp("== 10"))])
        #expect(scenario.steps[0].expectations[0].label == #"promql sum(meshbed_requests_total{destination="reviews"})"#)
        #expect(scenario.steps[1].expectations.map(\.isPromQL) == [true, true])  // no action needed: Prometheus keeps the history
    }

    @Test func mistakes() {
        #expect(CounterExpectationTests.errors("""
              - traffic: {to: reviews}
                expect: {promql: 'sum(x)', metric: x_total, value: "> 0"}
              - traffic: {to: reviews}
                expect: {promql: 'sum(x)'}
              - traffic: {to: reviews}
                expect: {promql: ' ', value: "> 0"}
            """) == [
            "dir/s.yaml:6:22: expect: 'metric' or 'promql', not both (a selector summed over the sidecars, or a query to Prometheus)",
            "dir/s.yaml:8:13: expect: missing 'value' (a comparison such as '> 0') for promql sum(x)",
            "dir/s.yaml:10:22: promql: expected a PromQL query such as 'sum(meshbed_requests_total)', got ' ' (a quoted string)",
        ])
    }

    @Test func answersBecomeValuesOrReasons() {
        func answer(_ status: Int, _ json: String) -> PrometheusQuery.Answer {
            PrometheusQuery.answer(status: status, body: Array(json.utf8))
        }
        #expect(answer(200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764460000.1,"12"]}]}}"#) == .value(12))
        #expect(answer(200, #"{"status":"success","data":{"resultType":"scalar","result":[1764460000.1,"2.5"]}}"#) == .value(2.5))
        #expect(answer(200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}"#) == .value(.infinity))
        #expect(answer(200, #"{"status":"success","data":{"resultType":"vector","result":[]}}"#) == .failure("no series: the query matched nothing"))
        #expect(answer(200, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}"#)
            == .failure("2 series: sum them in the query, e.g. sum(...)"))
        #expect(answer(200, #"{"status":"success","data":{"resultType":"matrix","result":[]}}"#) == .failure("a matrix result: expected a scalar or a single series"))
        #expect(answer(400, #"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#) == .failure("Prometheus: parse error at char 5"))
        #expect(answer(502, "<html>") == .failure("Prometheus answered HTTP 502, not JSON"))
    }

    @Test func queriesArePercentEncoded() {
        #expect(LiveRoutes.escaped(#"sum(x{a="b c"}) > 1.5"#) == "sum%28x%7Ba%3D%22b%20c%22%7D%29%20%3E%201.5")
        #expect(LiveRoutes.escaped("é") == "%C3%A9")
    }
}
