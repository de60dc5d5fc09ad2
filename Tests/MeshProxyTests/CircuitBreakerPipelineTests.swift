import MeshIO
@testable import MeshProxy
import Testing

/// Connection-pool limits in memory: overflow is answered 503 at once, waiting requests get
/// a connection as one frees up.
@Suite struct CircuitBreakerPipelineTests {
    static func limited(connections: Int = 1024, pending: Int = 1024, requests: Int = 1024) -> RoutePolicy {
        RoutePolicy(retries: 0, limits: DestinationLimits.Maxima(connections: connections, pendingRequests: pending, requests: requests))
    }

    @Test func requestsBeyondMaxRequestsAreAnswered503AtOnce() {
        let harness = PipelineHarness(policy: Self.limited(requests: 2))
        harness.everyone(.respond(200, afterMs: 100))
        let callers = (0..<3).map { _ in harness.connection() }
        for caller in callers { harness.feed(harness.request(headers: ["x-meshbed-explain: 1"]), on: caller) }
        // The third is answered before any time passes, and never went upstream.
        #expect(callers[2].downstream.status == 503)
        #expect(callers[2].downstream.bodyText.contains(#""responseFlags":"UO""#))
        #expect(callers[2].downstream.header("x-meshbed-explain")?.contains(#""circuit":"overflow""#) == true)
        #expect(harness.upstreams.requests.count == 2)
        #expect(harness.state.counters.overflows.load(ordering: .relaxed) == 1)
        harness.advance(ms: 100)
        #expect(callers[0].downstream.status == 200 && callers[1].downstream.status == 200)
        // The slots are given back: the next request goes through.
        harness.send()
        harness.advance(ms: 100)
        #expect(harness.downstream.status == 200)
    }

    @Test func aFullPoolQueuesUpToMaxPendingRequestsThenOverflows() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: Self.limited(connections: 2, pending: 1))
        harness.everyone(.respond(200, afterMs: 100))
        let callers = (0..<4).map { _ in harness.connection() }
        for caller in callers { harness.feed(harness.request(), on: caller) }
        harness.timers.runDue()
        #expect(harness.upstreams.opened == 2, "two connections, the limit")
        #expect(callers[2].downstream.status == nil, "the third waits for a connection")
        #expect(callers[3].downstream.status == 503, "the fourth finds the queue full")
        harness.advance(ms: 100)
        #expect(callers[0].downstream.status == 200 && callers[1].downstream.status == 200)
        harness.advance(ms: 100)
        #expect(callers[2].downstream.status == 200, "it got a freed connection")
        #expect(harness.upstreams.opened == 2, "on a reused connection, not a third")
    }

    @Test func aWaitingRequestThatTimesOutLeavesTheQueue() {
        var policy = Self.limited(connections: 1, pending: 1)
        policy.timeout = 50_000_000
        let harness = PipelineHarness(services: ["svc": ["v1": 1]], policy: policy)
        harness.everyone(.silent)
        let callers = (0..<2).map { _ in harness.connection() }
        for caller in callers { harness.feed(harness.request(), on: caller) }
        harness.advance(ms: 50)
        #expect(callers.allSatisfy { $0.downstream.status == 504 })
        #expect(harness.state.waiters.count("svc") == 0)
        let limits = harness.state.routingTable.destinations["svc"]!.shared.limits!
        #expect(limits.pending.load(ordering: .relaxed) == 0 && limits.requests.load(ordering: .relaxed) == 0)
        #expect(limits.connections.load(ordering: .relaxed) == 0, "the timed-out connection was closed")
    }

    @Test func anIdleConnectionToAnotherEndpointMakesRoom() {
        let harness = PipelineHarness(services: ["svc": ["v1": 2]], policy: Self.limited(connections: 1))
        harness.send()  // svc-v1-0: its connection stays idle in the pool
        #expect(harness.downstream.status == 200)
        harness.send()  // svc-v1-1: the idle one is closed to open this one
        #expect(harness.downstream.status == 200)
        #expect(harness.upstreams.opened == 2 && harness.upstreams.openNow == 1)
    }
}
