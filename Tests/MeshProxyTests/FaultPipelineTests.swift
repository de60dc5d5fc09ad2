import MeshConfig
import MeshIO
@testable import MeshProxy
import Testing

/// Request-level faults in the pipeline, in memory with manual time: scope, triggers,
/// delays held inside the route timeout, aborts with their own body and headers, the
/// server side in front of the caller's retries, and seeded replay.
@Suite struct FaultPipelineTests {
    static func abort(_ id: String = "f1", to: String = "svc", status: Int = 503, side: String? = nil) -> FaultConfig {
        var fault = FaultConfig(id: id, kind: "abort")
        fault.to = to
        fault.status = status
        fault.side = side
        return fault
    }

    static func delay(_ id: String = "f1", to: String = "svc", ms: Int) -> FaultConfig {
        var fault = FaultConfig(id: id, kind: "delay")
        fault.to = to
        fault.delay = FaultConfig.Delay(distribution: "fixed", value: "\(ms)ms")
        return fault
    }

    @Test func anAbortAnswersWithoutAnAttempt() {
        let harness = PipelineHarness(faults: [Self.abort()])
        harness.send(headers: ["x-meshbed-explain: 1"])
        #expect(harness.downstream.status == 503)
        #expect(harness.upstreams.requests.isEmpty)
        #expect(harness.downstream.bodyText.contains(#""responseFlags":"FI""#))
        #expect(harness.explain?.contains(#""fault":"f1 abort 503 (request 1)""#) == true)
        #expect(harness.state.counters.faultAborts.load(ordering: .relaxed) == 1)
        #expect(harness.state.counters.faulted.load(ordering: .relaxed) == 1)
    }

    @Test func anAbortCarriesItsBodyAndHeaders() {
        var fault = Self.abort(status: 429)
        fault.body = "slow down"
        fault.responseHeaders = ["Retry-After": "5"]
        let harness = PipelineHarness(faults: [fault])
        harness.send()
        #expect(harness.downstream.status == 429)
        #expect(harness.downstream.bodyText == "slow down")
        #expect(harness.downstream.header("retry-after") == "5")
        #expect(harness.downstream.header("content-type") == "text/plain; charset=utf-8")
    }

    @Test func scopeBySourceVersionAndHeaders() {
        var fault = Self.abort()
        fault.from = "caller"
        fault.version = "v2"
        fault.headers = ["x-chaos": "on"]
        let routes = ["svc": [RouteConfig(headers: ["x-v2": "1"], split: ["v2": 100]), RouteConfig(split: ["v1": 100])]]
        let harness = PipelineHarness(services: ["svc": ["v1": 1, "v2": 1]], routes: routes, faults: [fault])
        harness.send(headers: ["x-chaos: on"])  // v1: out of scope
        #expect(harness.downstream.status == 200)
        harness.send(headers: ["x-v2: 1"])  // v2 without the header
        #expect(harness.downstream.status == 200)
        harness.send(headers: ["x-v2: 1", "x-chaos: on"])
        #expect(harness.downstream.status == 503)
        let other = PipelineHarness(mode: .outbound(source: "other"), services: ["svc": ["v1": 1, "v2": 1]], routes: routes, faults: [fault])
        other.send(headers: ["x-v2: 1", "x-chaos: on"])
        #expect(other.downstream.status == 200)
        // Only in-scope requests are counted.
        #expect(harness.state.routingTable.faults?.all.first?.counter.matched.load(ordering: .relaxed) == 1)
    }

    @Test func requestsThreeToFiveFailExactlyThose() {
        var fault = Self.abort()
        fault.requests = [3, 5]
        let harness = PipelineHarness(faults: [fault])
        var statuses: [Int] = []
        for _ in 1...7 {
            harness.send()
            statuses.append(harness.downstream.status ?? 0)
        }
        #expect(statuses == [200, 200, 503, 503, 503, 200, 200])
    }

    @Test func firstN() {
        var fault = Self.abort()
        fault.first = 2
        let harness = PipelineHarness(faults: [fault])
        var statuses: [Int] = []
        for _ in 1...4 {
            harness.send()
            statuses.append(harness.downstream.status ?? 0)
        }
        #expect(statuses == [503, 503, 200, 200])
    }

    /// The same seed faults the same request indices; another seed others; about the share asked.
    @Test func percentIsSeededAndReplays() {
        func run(seed: UInt64) -> [Int] {
            var fault = Self.abort()
            fault.percent = 30
            let harness = PipelineHarness(faults: [fault], seed: seed)
            var faulted: [Int] = []
            for index in 1...400 {
                harness.send()
                if harness.downstream.status == 503 { faulted.append(index) }
            }
            return faulted
        }
        let first = run(seed: 42)
        #expect(run(seed: 42) == first)
        #expect(run(seed: 43) != first)
        #expect((90...150).contains(first.count))
    }

    @Test func zeroPercentNeverFires() {
        var fault = Self.abort()
        fault.percent = 0
        let harness = PipelineHarness(faults: [fault])
        for _ in 1...100 { harness.send() }
        #expect(harness.downstream.statuses.allSatisfy { $0 == 200 })
        #expect(harness.state.counters.faulted.load(ordering: .relaxed) == 0)
    }

    @Test func aDelayHoldsTheFirstAttempt() {
        let harness = PipelineHarness(faults: [Self.delay(ms: 300)])
        harness.send(headers: ["x-meshbed-explain: 1"])
        #expect(harness.upstreams.requests.isEmpty)
        harness.advance(ms: 299)
        #expect(harness.upstreams.requests.isEmpty)
        harness.advance(ms: 1)
        #expect(harness.upstreams.requests.count == 1)
        #expect(harness.downstream.status == 200)
        #expect(harness.explain?.contains(#""fault":"f1 delay 300ms (request 1)""#) == true)
        #expect(harness.explain?.contains(#""flags":"DI""#) == true)
    }

    /// A policy's timeout bounds an injected delay (unlike Istio, where it does not).
    @Test func theRouteTimeoutBoundsADelay() {
        let harness = PipelineHarness(faults: [Self.delay(ms: 3000)], policy: RoutePolicy(timeout: 1_000_000_000, retries: 0))
        harness.send()
        harness.advance(ms: 1000)
        #expect(harness.downstream.status == 504)
        #expect(harness.downstream.bodyText.contains("UT"))
        harness.advance(ms: 5000)
        #expect(harness.upstreams.requests.isEmpty)
    }

    @Test func aDelayThenAnAbortAnswersAfterTheDelay() {
        let harness = PipelineHarness(faults: [Self.delay(ms: 200), Self.abort("f2")])
        harness.send()
        #expect(harness.downstream.status == nil)
        harness.advance(ms: 200)
        #expect(harness.downstream.status == 503)
        #expect(harness.upstreams.requests.isEmpty)
    }

    @Test func theCallerLeavingDuringADelayEndsIt() {
        let harness = PipelineHarness(faults: [Self.delay(ms: 200)])
        harness.send()
        harness.exchange.downstreamAborted()
        harness.advance(ms: 500)
        #expect(harness.upstreams.requests.isEmpty)
    }

    /// A request body that arrives during the delay goes out whole with the attempt.
    @Test func aBodyArrivingDuringADelayIsSent() {
        let harness = PipelineHarness(faults: [Self.delay(ms: 100)])
        harness.send("POST", "/", body: "hello")
        harness.advance(ms: 100)
        #expect(harness.upstreams.requests.count == 1)
        #expect(String(decoding: harness.upstreams.requests[0].bytes, as: UTF8.self).hasSuffix("\r\n\r\nhello"))
        #expect(harness.downstream.status == 200)
    }

    /// Client side: no retry ever sees an abort (the request never left).
    @Test func clientSideAbortsAreNotRetried() {
        let harness = PipelineHarness(faults: [Self.abort()], policy: RoutePolicy(retries: 3, retryOn: [.serverError]))
        harness.send()
        #expect(harness.downstream.status == 503)
        #expect(harness.state.counters.retries.load(ordering: .relaxed) == 0)
    }

    /// Server side: the destination's inbound answers; the caller's app sees the status.
    @Test func serverSideAbortsAnswerInbound() {
        let app = SocketAddress("10.0.0.1:1001")!
        let harness = PipelineHarness(mode: .inbound(app: app), services: ["svc": ["v1": 1]],
                                      faults: [Self.abort(side: "server"), Self.abort("f2", side: nil)], service: "svc")
        harness.exchange.callerService = "web"
        harness.send()
        #expect(harness.downstream.status == 503)
        #expect(harness.upstreams.requests.isEmpty)
        // The client-side fault f2 is not the inbound's to apply.
        #expect(harness.state.routingTable.faults?.all.last?.counter.matched.load(ordering: .relaxed) == 0)
    }

    @Test func serverSideScopeByCallerAndVersion() {
        let app = SocketAddress("10.0.0.1:1001")!
        var fault = Self.abort(side: "server")
        fault.from = "web"
        fault.version = "v2"
        for (caller, version, status) in [("web", "v2", 503), ("api", "v2", 200), ("web", "v1", 200)] {
            let harness = PipelineHarness(mode: .inbound(app: app), services: ["svc": ["v1": 1]], faults: [fault], service: "svc", version: version)
            harness.exchange.callerService = caller
            harness.everyone(.respond(200))
            harness.send()
            #expect(harness.downstream.status == status, "\(caller) \(version)")
        }
    }

    /// Counts survive a new snapshot with the same fault (an endpoint change, say).
    @Test func countsCarryOverToTheNextSnapshot() throws {
        var fault = Self.abort()
        fault.requests = [2, 2]
        let harness = PipelineHarness(faults: [fault])
        harness.send()
        #expect(harness.downstream.status == 200)
        let current = try #require(harness.store.snapshot)
        var next = current
        next.version += 1
        try harness.store.apply(next)
        harness.send()
        #expect(harness.downstream.status == 503)
    }

    /// Without a certificate, the caller's service is the one its sidecar names.
    @Test func serverSideScopeByTheSourceHeaderWithoutMTLS() {
        let app = SocketAddress("10.0.0.1:1001")!
        var fault = Self.abort(side: "server")
        fault.from = "web"
        for (source, status) in [("web", 503), ("api", 200)] {
            let harness = PipelineHarness(mode: .inbound(app: app), services: ["svc": ["v1": 1]], faults: [fault], service: "svc")
            harness.send(headers: ["x-meshbed-source: \(source)"])
            #expect(harness.downstream.status == status, "\(source)")
        }
    }

    /// What this sidecar cannot apply is left out when the table is compiled.
    @Test func faultsOfOtherCallersServicesAndVersionsAreLeftOut() throws {
        var fromOther = Self.abort("f1")
        fromOther.from = "other"
        let otherService = Self.abort("f2", to: "elsewhere", side: "server")
        var otherVersion = Self.abort("f3", side: "server")
        otherVersion.version = "v2"
        let mine = Self.abort("f4", side: "server")
        let inbound = PipelineHarness(mode: .inbound(app: SocketAddress("10.0.0.1:1001")!), services: ["svc": ["v1": 1]],
                                      faults: [fromOther, otherService, otherVersion, mine], service: "svc", version: "v1")
        let faults = try #require(inbound.state.routingTable.faults)
        #expect(faults.server.map(\.id) == ["f4"])
        #expect(faults.client.isEmpty)
        let caller = PipelineHarness(faults: [fromOther, otherService])
        #expect(caller.state.routingTable.faults == nil)
    }

    @Test func aFaultForAnotherDestinationCostsNothingHere() {
        let harness = PipelineHarness(services: ["svc": ["v1": 1], "other": ["v1": 1]], faults: [Self.abort(to: "other")])
        harness.send()
        #expect(harness.downstream.status == 200)
        #expect(harness.state.routingTable.faults?.all.first?.counter.matched.load(ordering: .relaxed) == 0)
    }
}
