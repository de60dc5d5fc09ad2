import MeshLoad
@testable import MeshScenario
import MeshTopology
import Testing

/// Expectations on the sidecars' counters (`retries`, `counters:`) and on the decision
/// records (`attempts`): how they are read from a scenario file and how they are checked
/// against canned readings, without a network.
@Suite struct CounterExpectationTests {
    static func load(_ steps: String) -> Result<Scenario, TopologyErrors> {
        Scenario.load(text: "kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n" + steps, file: "dir/s.yaml") { path in
            Topology.load(text: ScenarioParsingTests.topologyText, file: path)
        }
    }

    static func errors(_ steps: String) -> [String] {
        guard case .failure(let errors) = load(steps) else { return [] }
        return errors.diagnostics.map(\.description)
    }

    static func cmp(_ text: String) -> Comparison { Comparison.parse(text)! }

    @Test func readsCounterAndAttemptExpectations() throws {
        let scenario = try Self.load("""
              - traffic: {to: reviews}
                expect: {retries: "> 0", timeouts: "== 0", ejections: "== 0", attempts: "<= 3"}
              - traffic: {to: reviews}
                expect:
                  mirrored: ">= 100"
                  overflows: "== 0"
                  counters: {requests: "> 0", mirrorFailures: "== 0", of: {service: reviews, version: v2}}
                  attempts: {mean: "< 1.5", max: "<= 4"}
                  within: 2s
              - wait: 1s
                expect: {counters: {of: ingress, localReplies: "== 0"}}
              - kill: front
                expect: {counters: {of: reviews, requests: "== 0"}}
            """).get()
        #expect(scenario.steps[0].expectations == [
            .attempts(statistic: "max", Self.cmp("<= 3")),
            .counter(name: "retries", Self.cmp("> 0"), scope: .all),
            .counter(name: "timeouts", Self.cmp("== 0"), scope: .all),
            .counter(name: "ejections", Self.cmp("== 0"), scope: .all),
        ])
        let v2 = CounterScope.instances(InstanceSelector(service: "reviews", version: "v2"))
        #expect(scenario.steps[1].expectations == [
            .attempts(statistic: "mean", Self.cmp("< 1.5")),
            .attempts(statistic: "max", Self.cmp("<= 4")),
            .counter(name: "mirrored", Self.cmp(">= 100"), scope: .all),
            .counter(name: "overflows", Self.cmp("== 0"), scope: .all),
            .counter(name: "requests", Self.cmp("> 0"), scope: v2),
            .counter(name: "mirrorFailures", Self.cmp("== 0"), scope: v2),
        ])
        #expect(scenario.steps[1].within == .seconds(2))
        #expect(scenario.steps[1].expectations[4].label == "requests of reviews v2")
        #expect(scenario.steps[0].expectations[1].label == "retries")
        #expect(scenario.steps[0].expectations[0].label == "attempts max")
        #expect(scenario.steps[2].expectations == [.counter(name: "localReplies", Self.cmp("== 0"), scope: .ingress)])
        #expect(scenario.steps[3].expectations == [.counter(name: "requests", Self.cmp("== 0"), scope: .instances(InstanceSelector(service: "reviews")))])
    }

    @Test func refusesCounterMistakes() {
        #expect(Self.errors("  - expect: {retries: '> 0'}\n") == [
            "dir/s.yaml:5:14: retries: counters are measured as their change over a step's action; put it on a traffic step (or another step with an action)",
        ])
        #expect(Self.errors("  - traffic: {to: reviews}\n    expect: {counters: {retrys: '> 0', requests: '> 1%'}}\n") == [
            "dir/s.yaml:6:25: counters: unknown counter 'retrys' (known: requests, retries, timeouts, perTryTimeouts, localReplies, mirrored, mirrorFailures, ejections, overflows, budgetExhausted, inboundTLS, inboundPlaintext, tlsRejected, authorizationDenied, faulted, faultDelays, faultAborts, partitioned, toxicBytesDelayed, toxicBytesDropped, toxicResets, toxicCloses, spansReported, spansDropped) (did you mean 'retries'?)",
            "dir/s.yaml:6:50: counters requests: expected a comparison like '> 0', got '> 1%' (a quoted string)",
        ])
        #expect(Self.errors("  - traffic: {to: reviews}\n    expect: {counters: {of: {service: reviewz}}}\n") == [
            "dir/s.yaml:6:39: service: unknown service 'reviewz' in topology 'shop' (did you mean 'reviews'?)",
        ])
        #expect(Self.errors("  - traffic: {to: reviews}\n    expect: {counters: {of: reviews}}\n") == [
            "dir/s.yaml:6:24: counters: expected at least one counter, such as requests: '> 0'",
        ])
        #expect(Self.errors("  - wait: 1s\n    expect: {attempts: '<= 3'}\n") == [
            "dir/s.yaml:6:14: attempts: needs a traffic step to measure (this step is 'wait')",
        ])
        #expect(Self.errors("  - traffic: {to: reviews}\n    expect: {attempts: {p99: '<= 3'}, timeouts: 0}\n") == [
            "dir/s.yaml:6:25: attempts: unknown statistic 'p99' (known: max, mean)",
            "dir/s.yaml:6:49: timeouts: expected a comparison like '> 0', got '0'",
        ])
    }

    // MARK: checking

    static func reading(_ sidecars: [(String, [String: Int]?)]) -> SidecarCounters {
        SidecarCounters(readings: sidecars.map { name, counters in
            let parts = name.split(separator: "-")
            let instance = name == "ingress" ? nil : (service: String(parts[0]), version: String(parts[1]), index: Int(parts[2])!)
            return SidecarCounters.Reading(name: name, instance: instance, counters: counters)
        })
    }

    static func check(_ expectation: MeshScenario.Expectation, _ before: SidecarCounters, _ after: SidecarCounters) -> ExpectationResult {
        ScenarioRunner.Run.check(expectation, before: before, after: after)
    }

    @Test func countersAreTheChangeOverTheStepSummedOverTheScope() {
        let before = Self.reading([("ingress", ["retries": 5, "requests": 10]), ("reviews-v1-0", ["retries": 0, "requests": 3]),
                                   ("reviews-v2-0", ["retries": 1, "requests": 0])])
        let after = Self.reading([("ingress", ["retries": 12, "requests": 110]), ("reviews-v1-0", ["retries": 0, "requests": 53]),
                                  ("reviews-v2-0", ["retries": 2, "requests": 50])])
        let retries = Self.check(.counter(name: "retries", Self.cmp("> 0"), scope: .all), before, after)
        #expect(retries == ExpectationResult(name: "retries", expected: "> 0", measured: "8", passed: true))
        let none = Self.check(.counter(name: "retries", Self.cmp("== 0"), scope: .all), before, after)
        #expect(!none.passed && none.measured == "8")
        let v2 = Self.check(.counter(name: "requests", Self.cmp(">= 50"), scope: .instances(InstanceSelector(service: "reviews", version: "v2"))), before, after)
        #expect(v2 == ExpectationResult(name: "requests of reviews v2", expected: ">= 50", measured: "50", passed: true))
        let ingress = Self.check(.counter(name: "requests", Self.cmp("== 100"), scope: .ingress), before, after)
        #expect(ingress.passed && ingress.measured == "100")
    }

    @Test func aSidecarThatDoesNotAnswerIsNamedAndFails() {
        let before = Self.reading([("ingress", ["retries": 0]), ("reviews-v1-0", ["retries": 0]), ("reviews-v2-0", nil)])
        let after = Self.reading([("ingress", ["retries": 4]), ("reviews-v1-0", nil), ("reviews-v2-0", ["retries": 0])])
        let result = Self.check(.counter(name: "retries", Self.cmp("> 0"), scope: .all), before, after)
        #expect(result.measured == "4 (reviews-v1-0, reviews-v2-0 did not answer /stats)")
        #expect(!result.passed)
        // Scoped away from the silent ones, it holds.
        #expect(Self.check(.counter(name: "retries", Self.cmp("> 0"), scope: .ingress), before, after).passed)
    }

    @Test func aCounterNoSidecarReportsFailsByName() {
        let before = Self.reading([("ingress", ["retries": 0]), ("reviews-v1-0", ["retries": 0])])
        let result = Self.check(.counter(name: "ejections", Self.cmp("== 0"), scope: .all), before, before)
        #expect(result == ExpectationResult(name: "ejections", expected: "== 0", measured: "no sidecar reports 'ejections'", passed: false))
        let some = Self.reading([("ingress", ["ejections": 0]), ("reviews-v1-0", ["retries": 0])])
        let partly = Self.check(.counter(name: "ejections", Self.cmp("== 0"), scope: .all), some, some)
        #expect(partly.measured == "0 (reviews-v1-0 does not report 'ejections')" && !partly.passed)
        let empty = Self.check(.counter(name: "retries", Self.cmp("== 0"), scope: .instances(InstanceSelector(service: "front"))), before, before)
        #expect(empty.measured == "no sidecar of front to read" && !empty.passed)
    }

    @Test func aRestartedSidecarCountsFromItsRestart() {
        let before = Self.reading([("reviews-v1-0", ["requests": 500])])
        let after = Self.reading([("reviews-v1-0", ["requests": 7])])
        #expect(Self.check(.counter(name: "requests", Self.cmp("== 7"), scope: .all), before, after).passed)
    }

    @Test func statsBodiesAreReadGenerically() {
        let body = Array(#"{"requests":3,"retries":1,"ejections":0,"someday":9}"#.utf8)
        #expect(SidecarCounters.counters(json: body) == ["requests": 3, "retries": 1, "ejections": 0, "someday": 9])
        #expect(SidecarCounters.counters(json: Array("not json".utf8)) == nil)
    }

    @Test func statsBodiesKeepOnlyNumbersAsIntegers() {
        // As when they were read with JSONSerialization: numbers truncated, booleans 1 and 0,
        // strings, objects, arrays and null left out; a body that is not an object is nil.
        let body = Array(#"{"requests":3,"ratio":2.75,"big":1e3,"up":true,"down":false,"name":"x","loops":[1],"o":{},"n":null}"#.utf8)
        #expect(SidecarCounters.counters(json: body) == ["requests": 3, "ratio": 2, "big": 1000, "up": 1, "down": 0])
        #expect(SidecarCounters.counters(json: Array("[1, 2]".utf8)) == nil)
    }

    @Test func configBodiesGiveTheRoutedEndpointIDs() {
        let config = #"{"instance":"a","version":3,"snapshot":{"services":{"reviews":{"versions":{"v1":[{"id":"reviews-v1-0","address":"x"},{"id":"reviews-v1-1"}],"v2":[{"id":"reviews-v2-0"},{"no":"id"}]}},"ratings":{"versions":{}}}}}"#
        #expect(RoutedEndpoints.endpointIDs(config: Array(config.utf8)) == ["reviews-v1-0", "reviews-v1-1", "reviews-v2-0"])
        #expect(RoutedEndpoints.endpointIDs(config: Array(#"{"instance":"a","version":0,"snapshot":null}"#.utf8)) == [])
        #expect(RoutedEndpoints.endpointIDs(config: Array(#"{"instance":"a"}"#.utf8)) == nil)
        #expect(RoutedEndpoints.endpointIDs(config: Array("not json".utf8)) == nil)
    }

    @Test func attemptsAreCheckedOverTheExplainedResponses() {
        var load = LoadResult()
        load.statusCounts = [200: 4]
        let noRecords = ScenarioRunner.Run.check(.attempts(statistic: "max", Self.cmp("<= 3")), load)
        #expect(noRecords.measured == "no decision records in 4 responses" && !noRecords.passed)
        var explain = ExplainSummary()
        explain.explained = 4
        explain.attempts = [1: 2, 2: 1, 4: 1]
        load.explain = explain
        #expect(ScenarioRunner.Run.check(.attempts(statistic: "max", Self.cmp("<= 3")), load)
            == ExpectationResult(name: "attempts max", expected: "<= 3", measured: "4 over 4 requests", passed: false))
        #expect(ScenarioRunner.Run.check(.attempts(statistic: "max", Self.cmp("<= 4")), load).passed)
        #expect(ScenarioRunner.Run.check(.attempts(statistic: "mean", Self.cmp("< 2.5")), load)
            == ExpectationResult(name: "attempts mean", expected: "< 2.5", measured: "2 over 4 requests", passed: true))
        explain.unexplained = 1
        load.explain = explain
        let partial = ScenarioRunner.Run.check(.attempts(statistic: "max", Self.cmp("<= 4")), load)
        #expect(partial.measured == "4 over 4 requests (1 response without a caller-side record)" && !partial.passed)
    }
}
