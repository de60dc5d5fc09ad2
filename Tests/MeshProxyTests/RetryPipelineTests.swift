import MeshIO
@testable import MeshProxy
import Testing

/// Retries in memory: which outcomes are retried, on which endpoint, after what backoff,
/// and what is never retried (non-idempotent requests, bodies too large to replay).
@Suite struct RetryPipelineTests {
    static let fiveXX = RoutePolicy(retries: 2, retryOn: [.serverError])

    @Test func aSuccessfulRequestTakesOneAttempt() {
        let harness = PipelineHarness()
        harness.send(headers: ["x-meshbed-explain: 1"])
        #expect(harness.downstream.status == 200)
        #expect(harness.downstream.ended)
        #expect(harness.sentTo == ["svc-v1-0"])
        #expect(harness.explain == #"{"sidecar":"caller-v1-0","mode":"outbound","destination":"svc","attempts":[{"endpoint":"svc-v1-0","outcome":"200"}],"flags":"-"}"#)
    }

    @Test func explainIsAddedOnlyWhenAskedFor() {
        let harness = PipelineHarness()
        harness.send()
        #expect(harness.downstream.status == 200)
        #expect(harness.explain == nil)
    }

    @Test func a5xxIsRetriedOnAnotherEndpointAfterABackoff() {
        let harness = PipelineHarness(policy: Self.fiveXX)
        harness.script("svc-v1-0", .respond(503))
        harness.send(headers: ["x-meshbed-explain: 1"])
        // The 503 is held: the caller sees nothing until the retry answers.
        #expect(harness.downstream.status == nil)
        harness.advance(ms: 25)  // the first retry's backoff is at most 25 ms
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])
        #expect(harness.state.counters.retries.load(ordering: .relaxed) == 1)
        let explain = harness.explain ?? ""
        #expect(explain.contains(#"{"endpoint":"svc-v1-0","outcome":"503","retry":"5xx","backoffMs":"#))
        #expect(explain.contains(#"{"endpoint":"svc-v1-1","outcome":"200"}"#))
    }

    @Test func retriesStopAtTheLimitAndTheLastAnswerIsPassedOn() {
        let harness = PipelineHarness(policy: Self.fiveXX)
        harness.everyone(.respond(503))
        harness.send(headers: ["x-meshbed-explain: 1"])
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 503)
        #expect(harness.downstream.bodyText == "answer 503")
        // Three attempts, each on an endpoint of its own.
        #expect(harness.sentTo.sorted() == ["svc-v1-0", "svc-v1-1", "svc-v1-2"])
        #expect(harness.explain?.contains(#""flags":"URX""#) == true)
    }

    @Test func backoffIsFullJitterUnderAnExponentialCeiling() {
        let harness = PipelineHarness()
        for retry in 1...6 {
            let ceiling = min(250_000_000, 25_000_000 << UInt64(retry - 1))
            let draws = (0..<200).map { _ in harness.state.backoff(retry: retry) }
            #expect(draws.allSatisfy { $0 <= ceiling })
            #expect(Set(draws).count > 100, "draws are spread over the range")
            #expect(draws.contains { $0 > ceiling / 2 } && draws.contains { $0 < ceiling / 2 })
        }
    }

    @Test func theSameSeedRetriesOnTheSameSchedule() {
        func schedule() -> [UInt64] {
            let harness = PipelineHarness(seed: 7)
            return (1...5).map { harness.state.backoff(retry: $0) }
        }
        #expect(schedule() == schedule())
    }

    @Test func aPostIsNotRetriedAfterItMayHaveReachedAnApp() {
        let harness = PipelineHarness(policy: Self.fiveXX)
        harness.script("svc-v1-0", .respond(503))
        harness.send("POST", body: "hello")
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 503)
        #expect(harness.sentTo == ["svc-v1-0"])
    }

    @Test func aPostIsRetriedWhenAskedWithItsBodyReplayed() {
        var policy = Self.fiveXX
        policy.retryNonIdempotent = true
        let harness = PipelineHarness(policy: policy)
        harness.script("svc-v1-0", .respond(503))
        harness.send("POST", body: "hello")
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])
        let replayed = String(decoding: harness.upstreams.requests[1].bytes, as: UTF8.self)
        #expect(replayed.hasPrefix("POST / HTTP/1.1\r\n"))
        #expect(replayed.hasSuffix("\r\n\r\nhello"))
    }

    @Test func aPostGoesElsewhereWhenItsEndpointRefusedTheConnection() {
        let harness = PipelineHarness(policy: RoutePolicy(retries: 1, retryOn: [.connectFailure]))
        harness.script("svc-v1-0", .refuse)
        harness.send("POST", body: "hello")
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])
    }

    @Test func aBodyTooLargeToReplayIsNotRetriedAndTheRecordSaysWhy() {
        var policy = Self.fiveXX
        policy.retryNonIdempotent = true
        let harness = PipelineHarness(policy: policy)
        harness.script("svc-v1-0", .respond(503))
        harness.send("PUT", headers: ["x-meshbed-explain: 1"], body: String(repeating: "x", count: ProxyExchange.replayLimit + 1))
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 503)
        #expect(harness.sentTo == ["svc-v1-0"])
        #expect(harness.explain?.contains("too large to replay") == true)
        // At the limit it is kept and replayed.
        let fits = PipelineHarness(policy: policy)
        fits.script("svc-v1-0", .respond(503))
        fits.send("PUT", body: String(repeating: "x", count: ProxyExchange.replayLimit))
        fits.advance(ms: 1_000)
        #expect(fits.downstream.status == 200)
        #expect(fits.upstreams.requests[1].bytes.count > ProxyExchange.replayLimit)
    }

    @Test func onlyTheListedConditionsAreRetried() {
        let gateway = RoutePolicy(retries: 2, retryOn: [.gatewayError])
        let harness = PipelineHarness(policy: gateway)
        harness.script("svc-v1-0", .respond(500))
        harness.send()
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 500, "500 is not a gateway error")

        let codes = PipelineHarness(policy: RoutePolicy(retries: 1, retryOn: [.retriableStatusCodes], retriableStatusCodes: [418]))
        codes.script("svc-v1-0", .respond(418))
        codes.send()
        codes.advance(ms: 1_000)
        #expect(codes.downstream.status == 200)
        #expect(codes.sentTo == ["svc-v1-0", "svc-v1-1"])
    }

    @Test func withoutAPolicyAnUnreachableEndpointIsRetriedButAnAnswerIsNot() {
        let harness = PipelineHarness()
        harness.script("svc-v1-0", .refuse)
        harness.send()
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])

        let answered = PipelineHarness()
        answered.script("svc-v1-0", .respond(503))
        answered.send()
        #expect(answered.downstream.status == 503)
        #expect(answered.sentTo == ["svc-v1-0"])
    }

    @Test func anAppUnreachableAnswerIsRetriedElsewhere() {
        let harness = PipelineHarness()
        harness.script("svc-v1-0", .respond(503, headers: ["x-meshbed-proxy: app-unreachable"]))
        harness.send("POST", body: "x")
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])
    }

    @Test func aStalePooledConnectionIsResentOnceWithoutCountingAsARetry() {
        let harness = PipelineHarness(policy: RoutePolicy(retries: 0))
        harness.send()
        #expect(harness.downstream.status == 200)
        #expect(harness.upstreams.opened == 1)
        harness.script("svc-v1-1", .reset)
        harness.send()  // round robin: svc-v1-1, on a new connection: a reset is final
        #expect(harness.downstream.status == 502)
        harness.send()  // svc-v1-2
        harness.script("svc-v1-0", .reset)
        harness.send(headers: ["x-meshbed-explain: 1"])  // svc-v1-0 again, on its pooled connection
        #expect(harness.downstream.status == 200)
        #expect(harness.explain?.contains(#""attempts":[{"endpoint":"svc-v1-0","outcome":"200"}]"#) == true)
        #expect(harness.state.counters.retries.load(ordering: .relaxed) == 0)
    }

    @Test func aSingleEndpointIsRetriedItselfRatherThanNotAtAll() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: Self.fiveXX)
        harness.script("svc-v1-0", .respond(503))
        harness.send()
        harness.advance(ms: 1_000)
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-0"])
    }
}

/// Requests pipelined on one connection: the server starts the next one inside the end of
/// the previous response, so the exchange must be done with a request before ending it.
@Suite struct PipelinedExchangeTests {
    @Test func theNextRequestMayStartInsideTheResponseEnd() {
        let harness = PipelineHarness()
        let second = harness.request(host: "nosuchservice")
        let third = harness.request()
        harness.downstream.onResponseEnd = {
            // The 404 (a local reply) ends inside respond: the third request starts there too.
            harness.downstream.onResponseEnd = { harness.feed(third) }
            harness.feed(second)
        }
        harness.send()
        harness.timers.runDue()
        #expect(harness.downstream.statuses == [200, 404, 200])
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])
    }
}
