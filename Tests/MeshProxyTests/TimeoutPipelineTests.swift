import MeshIO
@testable import MeshProxy
import Testing

/// Timeouts in memory, on manual time: the route timeout over the whole request, the
/// per-try timeout then a retry, the connect timeout, the request-body timeout.
@Suite struct TimeoutPipelineTests {
    @Test func theRouteTimeoutAnswers504AtItsDeadlineAndClosesTheUpstream() {
        let harness = PipelineHarness(policy: RoutePolicy(timeout: 300_000_000))
        harness.everyone(.silent)
        harness.send()
        harness.advance(ms: 299)
        #expect(harness.downstream.status == nil)
        harness.advance(ms: 1)
        #expect(harness.downstream.status == 504)
        #expect(harness.downstream.bodyText == #"{"error":"upstream request timeout: no response within 300ms","responseFlags":"UT"}"# + "\n")
        #expect(harness.upstreams.closed == 1)
        #expect(harness.state.counters.timeouts.load(ordering: .relaxed) == 1)
    }

    @Test func withoutAPolicyTheSidecarDefaultApplies() {
        let harness = PipelineHarness(upstreamTimeout: 2_000_000_000)
        harness.everyone(.silent)
        harness.send()
        harness.advance(ms: 1_999)
        #expect(harness.downstream.status == nil)
        harness.advance(ms: 1)
        #expect(harness.downstream.status == 504)
    }

    @Test func aPerTryTimeoutIsRetriedOnAnotherEndpoint() {
        let harness = PipelineHarness(policy: RoutePolicy(perTryTimeout: 100_000_000, retries: 1, retryOn: [.reset]))
        harness.script("svc-v1-0", .silent)
        harness.send(headers: ["x-meshbed-explain: 1"])
        harness.advance(ms: 99)
        #expect(harness.sentTo == ["svc-v1-0"])
        harness.advance(ms: 1 + 25)
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])
        #expect(harness.explain?.contains(#"{"endpoint":"svc-v1-0","outcome":"per-try-timeout","retry":"reset""#) == true)
        #expect(harness.upstreams.closed == 1, "the timed-out connection is closed, not pooled")
    }

    @Test func theRouteTimeoutBoundsRetriesToo() {
        let harness = PipelineHarness(policy: RoutePolicy(timeout: 300_000_000, perTryTimeout: 200_000_000, retries: 5, retryOn: [.reset]))
        harness.everyone(.silent)
        harness.send()
        harness.advance(ms: 299)
        #expect(harness.downstream.status == nil)
        #expect(harness.sentTo.count == 2)
        harness.advance(ms: 1)
        #expect(harness.downstream.status == 504)
        #expect(harness.upstreams.requests.count == 2)
    }

    @Test func aLastPerTryTimeoutAnswers504() {
        let harness = PipelineHarness(policy: RoutePolicy(perTryTimeout: 100_000_000, retries: 0))
        harness.everyone(.silent)
        harness.send()
        harness.advance(ms: 100)
        #expect(harness.downstream.status == 504)
        #expect(harness.downstream.bodyText.contains("per-try timeout"))
    }

    @Test func aConnectTimeoutGoesToAnotherEndpoint() {
        let harness = PipelineHarness(policy: RoutePolicy(connectTimeout: 50_000_000))
        harness.script("svc-v1-0", .hang)
        harness.send()
        harness.advance(ms: 49)
        #expect(harness.downstream.status == nil)
        harness.advance(ms: 1 + 25)
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo == ["svc-v1-0", "svc-v1-1"])
    }

    @Test func aStalledRequestBodyGets408() {
        let harness = PipelineHarness(bodyTimeout: 1_000_000_000)
        harness.everyone(.silent)
        let whole = harness.request("POST", body: "0123456789")
        harness.send(Array(whole.dropLast(5)))
        harness.advance(ms: 999)
        #expect(harness.downstream.status == nil)
        harness.advance(ms: 1)
        #expect(harness.downstream.status == 408)
        #expect(harness.upstreams.closed == 1)
    }

    @Test func theCallerLeavingClosesTheAttempt() {
        let harness = PipelineHarness()
        harness.everyone(.silent)
        harness.send()
        harness.exchange.downstreamAborted()
        #expect(harness.upstreams.closed == 1)
        harness.advance(ms: 60_000)
        #expect(harness.downstream.status == nil)
        #expect(harness.timers.pendingCount <= 1, "no timer outlives the request but the connection's lazy one")
    }

    @Test func theInboundSideMarksItsAppsRefusal() {
        let harness = PipelineHarness(mode: .inbound(app: SocketAddress("10.0.0.1:1001")!))
        harness.script("svc-v1-0", .refuse)  // 10.0.0.1:1001 is the app here
        harness.send()
        #expect(harness.downstream.status == 503)
        #expect(harness.downstream.header("x-meshbed-proxy") == "app-unreachable")
        #expect(harness.upstreams.requests.count == 1, "the inbound side does not retry")
    }
}
