import MeshConfig
@testable import MeshProxy
import Testing

/// Mirroring in memory: copies go to the mirror version, the caller sees only the primary.
@Suite struct MirrorPipelineTests {
    static let services = ["svc": ["v1": 1, "v2": 1]]
    static let routes = ["svc": [RouteConfig(split: ["v1": 100])]]

    @Test func aMirroredRequestGoesToBothAndTheCallerSeesOnlyThePrimary() {
        let harness = PipelineHarness(services: Self.services, routes: Self.routes,
                                      mirrors: ["svc": RoutingTable.CompiledMirror(version: "v2", percent: 100)])
        harness.script("svc-v2-0", .respond(500))
        harness.send("POST", headers: ["x-meshbed-explain: 1"], body: "payload")
        #expect(harness.downstream.status == 200)
        #expect(harness.sentTo.sorted() == ["svc-v1-0", "svc-v2-0"])
        let copy = String(decoding: harness.upstreams.requests.first { harness.id(of: $0.address) == "svc-v2-0" }!.bytes, as: UTF8.self)
        #expect(copy.contains("\r\nx-meshbed-mirror: 1\r\n\r\npayload"))
        #expect(harness.explain?.contains(#""mirror":"svc-v2-0""#) == true)
        #expect(harness.state.counters.mirrored.load(ordering: .relaxed) == 1)
        #expect(harness.state.counters.mirrorFailures.load(ordering: .relaxed) == 0, "a 500 answer is an answer")
    }

    @Test func aMirrorThatFailsOrHangsNeverReachesTheCaller() {
        let harness = PipelineHarness(services: Self.services, routes: Self.routes,
                                      mirrors: ["svc": RoutingTable.CompiledMirror(version: "v2", percent: 100)],
                                      upstreamTimeout: 1_000_000_000)
        harness.script("svc-v2-0", .refuse, .silent)
        harness.send()
        #expect(harness.downstream.status == 200)
        harness.send()
        #expect(harness.downstream.status == 200)
        #expect(harness.state.counters.mirrorFailures.load(ordering: .relaxed) == 1)
        harness.advance(ms: 1_000)
        #expect(harness.state.counters.mirrorFailures.load(ordering: .relaxed) == 2, "the silent mirror is given up at the timeout")
        #expect(harness.timers.pendingCount <= 1)
    }

    @Test func thePercentageIsASeededShare() {
        let harness = PipelineHarness(services: Self.services, routes: Self.routes,
                                      mirrors: ["svc": RoutingTable.CompiledMirror(version: "v2", percent: 25)])
        for _ in 0..<400 { harness.send() }
        let mirrored = harness.state.counters.mirrored.load(ordering: .relaxed)
        #expect((70...130).contains(mirrored), "25% of 400 mirrored, seeded: \(mirrored)")
        #expect(harness.downstream.statuses.allSatisfy { $0 == 200 })
    }
}
