import MeshIO
@testable import MeshProxy
import MeshResilience
import Testing

/// The retry budget, outlier detection and the load balancers, through the pipeline in
/// memory, on manual time and seeded randomness.
@Suite struct ResiliencePipelineTests {
    @Test func duringAFullOutageTheBudgetCapsUpstreamAttempts() {
        let policy = RoutePolicy(retries: 3, retryOn: [.serverError])
        let harness = PipelineHarness(services: ["svc": ["v1": 4]], policy: policy)
        harness.everyone(.respond(503, afterMs: 10))
        let callers = (0..<40).map { _ in harness.connection() }
        for caller in callers { harness.feed(harness.request(), on: caller) }
        harness.advance(ms: 5_000)
        #expect(callers.allSatisfy { $0.downstream.status == 503 })
        // Without the budget: 40 × 4 = 160 attempts. With it: 40 first attempts and, at any
        // moment, at most max(3, 20% of the active requests) retries in flight.
        let attempts = harness.upstreams.requests.count
        #expect(attempts >= 40 + 3 && attempts <= 40 + 30, "\(attempts) attempts")
        #expect(harness.state.counters.budgetExhausted.load(ordering: .relaxed) > 0)
        let budget = harness.state.routingTable.destinations["svc"]!.shared.budget
        #expect(budget.activeRequests == 0 && budget.activeRetries == 0, "the budget is given back")
    }

    @Test func withoutAnOutageTheBudgetLetsEveryRetryThrough() {
        let policy = RoutePolicy(retries: 1, retryOn: [.serverError])
        let harness = PipelineHarness(services: ["svc": ["v1": 2]], policy: policy)
        for _ in 0..<10 {
            harness.script("svc-v1-0", .respond(503))
            harness.send()
            harness.advance(ms: 100)
            harness.send()  // svc-v1-0's turn again, by round robin
            harness.advance(ms: 100)
        }
        #expect(harness.downstream.statuses.allSatisfy { $0 == 200 })
        #expect(harness.state.counters.budgetExhausted.load(ordering: .relaxed) == 0)
    }

    static let ejecting = RoutePolicy(retries: 0, outlierDetection: OutlierDetection(
        consecutive5xxErrors: 3, interval: 10_000_000_000, baseEjectionTime: 30_000_000_000, maxEjectionPercent: 100, minHealthPercent: 0))

    @Test func anEndpointFailingInARowIsEjectedAndReturnsAfterItsTime() {
        let harness = PipelineHarness(policy: Self.ejecting)
        harness.script("svc-v1-0", .respond(500), .respond(500), .respond(500))
        for _ in 0..<8 { harness.send(headers: ["x-meshbed-explain: 1"]) }
        // Round robin: svc-v1-0 answered 500 at its 1st, 2nd, 3rd turn (requests 1, 4, 7).
        #expect(harness.downstream.statuses == [500, 200, 200, 500, 200, 200, 500, 200])
        #expect(harness.state.counters.ejections.load(ordering: .relaxed) == 1)
        let before = harness.upstreams.requests.count
        for _ in 0..<6 { harness.send() }
        #expect(!harness.sentTo.dropFirst(before).contains("svc-v1-0"), "ejected for 30 s")
        harness.advance(ms: 30_000)
        let after = harness.upstreams.requests.count
        for _ in 0..<3 { harness.send() }
        #expect(harness.sentTo.dropFirst(after).contains("svc-v1-0"), "back after its ejection time")
    }

    @Test func theEjectionIsInTheDecisionRecord() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1, "v2": 1]], policy: Self.ejecting)
        harness.everyone(.respond(500))
        var explains: [String] = []
        for _ in 0..<6 {
            harness.send(headers: ["x-meshbed-explain: 1"])
            explains.append(harness.explain ?? "")
        }
        #expect(explains.contains { $0.contains(#""circuit":"ejected svc-v1-0 for 30s""#) })
    }

    @Test func belowThePanicThresholdEjectedEndpointsTakeTrafficAgain() {
        let panicky = RoutePolicy(retries: 0, outlierDetection: OutlierDetection(
            consecutive5xxErrors: 1, baseEjectionTime: 60_000_000_000, maxEjectionPercent: 100, minHealthPercent: 50))
        let harness = PipelineHarness(services: ["svc": ["v1": 2]], policy: panicky)
        harness.everyone(.respond(500))
        harness.send()  // svc-v1-0: ejected (1 of 2 in service: 50%, not below)
        harness.send()  // svc-v1-1: ejected, none in service: panic
        harness.send(headers: ["x-meshbed-explain: 1"])
        #expect(harness.upstreams.requests.count == 3, "panic routes to ejected endpoints rather than none")
        #expect(harness.explain?.contains(#""circuit":"panic""#) == true)
    }

    @Test func leastRequestSteersAwayFromAnEndpointThatHoldsRequests() {
        let harness = PipelineHarness(services: ["svc": ["v1": 2]], policy: RoutePolicy(loadBalancer: .leastRequest))
        harness.script("svc-v1-0", .silent, .silent, .silent, .silent)
        harness.everyone(.respond(200, afterMs: 1))
        // Held requests pile up on the silent endpoint only until it has more in flight.
        let callers = (0..<40).map { _ in harness.connection() }
        for caller in callers {
            harness.feed(harness.request(), on: caller)
            harness.advance(ms: 2)
        }
        let toSlow = harness.sentTo.filter { $0 == "svc-v1-0" }.count
        #expect(toSlow <= 4, "\(toSlow) of 40 went to the endpoint holding requests")
    }

    @Test func ewmaSteersAwayFromASlowEndpoint() {
        let harness = PipelineHarness(services: ["svc": ["v1": 3]], policy: RoutePolicy(loadBalancer: .ewma))
        for _ in 0..<200 { harness.script("svc-v1-0", .respond(200, afterMs: 200)) }
        harness.everyone(.respond(200, afterMs: 2))
        for _ in 0..<100 {
            harness.send()
            harness.advance(ms: 250)
        }
        let late = harness.sentTo.suffix(50)
        #expect(late.filter { $0 == "svc-v1-0" }.count <= 5, "the slow endpoint is rarely picked once measured")
        #expect(harness.downstream.statuses.allSatisfy { $0 == 200 })
    }
}

/// Every attempt a balancer was told of ends for it exactly once, however the request ends,
/// so requests in flight per endpoint never drift.
@Suite struct BalancerAccountingTests {
    static func outstanding(_ harness: PipelineHarness) -> [Int] {
        let table = harness.state.routingTable
        let destination = table.destinations["svc"]!
        guard case .leastRequest(let balancer) = harness.state.balancer(for: "svc", destination, version: table.version) else {
            return []
        }
        return (0..<destination.all.count).map { balancer.outstandingRequests($0) }
    }

    @Test func abandonedAndParkedAttemptsAreAccountedFor() {
        var policy = RoutePolicy(timeout: 100_000_000, retries: 1, retryOn: [.serverError], loadBalancer: .leastRequest)
        policy.limits = DestinationLimits.Maxima(connections: 1, pendingRequests: 4, requests: 100)
        let harness = PipelineHarness(services: ["svc": ["v1": 2]], policy: policy)
        harness.everyone(.silent)
        // Route timeouts, a caller who leaves, requests parked for a connection, a retry.
        let callers = (0..<4).map { _ in harness.connection() }
        for caller in callers { harness.feed(harness.request(), on: caller) }
        callers[1].exchange.downstreamAborted()
        harness.advance(ms: 100)
        harness.everyone(.respond(500))
        harness.send()
        harness.advance(ms: 300)
        #expect(harness.downstream.status == 500)
        #expect(Self.outstanding(harness) == [0, 0])
        let limits = harness.state.routingTable.destinations["svc"]!.shared.limits!
        #expect(limits.requests.load(ordering: .relaxed) == 0 && limits.pending.load(ordering: .relaxed) == 0)
        let budget = harness.state.routingTable.destinations["svc"]!.shared.budget
        #expect(budget.activeRequests == 0 && budget.activeRetries == 0)
    }
}
