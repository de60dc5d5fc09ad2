import MeshResilience
import Testing

@Suite struct RoundRobinBalancerTests {
    @Test func rotatesInIndexOrder() {
        let balancer = RoundRobinBalancer(endpointCount: 3)
        #expect((0..<7).map { _ in balancer.pick(eligible: { _ in true }) } == [0, 1, 2, 0, 1, 2, 0])
    }

    @Test func skipsIndicesThatAreNotEligible() {
        let balancer = RoundRobinBalancer(endpointCount: 5)
        let eligible: Set = [0, 2, 3]
        #expect((0..<6).map { _ in balancer.pick(eligible: { eligible.contains($0) }) } == [0, 2, 3, 0, 2, 3])
        // The rotation continues from the last pick when the set changes.
        #expect(balancer.pick(eligible: { $0 == 4 || $0 == 1 }) == 4)
        #expect(balancer.pick(eligible: { _ in true }) == 0)
    }

    @Test func avoidsEarlierAttemptsWhileAnotherExists() {
        let balancer = RoundRobinBalancer(endpointCount: 3)
        for _ in 0..<6 { #expect(balancer.pick(eligible: { _ in true }, avoiding: { $0 == 1 }) != 1) }
        // Only avoided endpoints are eligible: one of them is used rather than none.
        #expect(balancer.pick(eligible: { $0 == 1 }, avoiding: { $0 == 1 }) == 1)
        #expect(balancer.pick(eligible: { $0 != 0 }, avoiding: { _ in true }) == 2)
    }

    @Test func nilWhenNothingIsEligible() {
        #expect(RoundRobinBalancer(endpointCount: 3).pick(eligible: { _ in false }) == nil)
        #expect(RoundRobinBalancer(endpointCount: 0).pick(eligible: { _ in true }) == nil)
        #expect(RoundRobinBalancer(endpointCount: -2).pick(eligible: { _ in true }) == nil)
    }
}
