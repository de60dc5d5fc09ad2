import MeshCore
import MeshResilience
import Testing

@Suite struct LoadBalancerTests {
    @Test func kindsAreNamedAsInTheTopologyFile() {
        #expect(LoadBalancer.Kind.allCases.map(\.rawValue) == ["roundRobin", "leastRequest", "random", "ewma"])
        #expect(LoadBalancer.Kind(rawValue: "leastRequest") == .leastRequest)
        #expect(LoadBalancer.Kind(rawValue: "LEAST_REQUEST") == nil)
        for kind in LoadBalancer.Kind.allCases {
            #expect(LoadBalancer(kind: kind, endpointCount: 2, now: 0).kind == kind)
        }
    }

    @Test(arguments: LoadBalancer.Kind.allCases)
    func neverPicksAnExcludedIndexWhenAnotherExists(kind: LoadBalancer.Kind) {
        let balancer = LoadBalancer(kind: kind, endpointCount: 6, now: 0)
        var random = SeededRandom(seed: 21)
        var now: UInt64 = 0
        var seen = Set<Int>()
        for step in 0..<2_000 {
            let tried = step % 6
            guard let index = balancer.pick(now: now, using: &random, eligible: { $0 % 3 != 0 }, avoiding: { $0 == tried })
            else {
                Issue.record("no pick with four eligible endpoints")
                return
            }
            #expect(index % 3 != 0)
            #expect(index != tried)
            seen.insert(index)
            balancer.started(index)
            now += 1_000_000
            balancer.finished(index, latency: 1_000_000, now: now)
        }
        #expect(seen == [1, 2, 4, 5])
        #expect(balancer.pick(now: now, using: &random, eligible: { _ in false }) == nil)
        #expect(LoadBalancer(kind: kind, endpointCount: 0, now: 0).pick(now: 0, using: &random, eligible: { _ in true }) == nil)
    }
}
