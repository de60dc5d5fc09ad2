import MeshCore
import MeshResilience
import Testing

@Suite struct RandomBalancerTests {
    @Test func roughlyUniformOverTheCandidates() {
        let balancer = RandomBalancer(endpointCount: 5)
        var random = SeededRandom(seed: 11)
        var counts = [0, 0, 0, 0, 0]
        for _ in 0..<40_000 {
            // Endpoint 3 is not eligible: the other four share the picks.
            guard let index = balancer.pick(using: &random, eligible: { $0 != 3 }) else { continue }
            counts[index] += 1
        }
        #expect(counts[3] == 0)
        for index in [0, 1, 2, 4] { #expect((9_500...10_500).contains(counts[index])) }
    }

    @Test func sameSeedSameChoices() {
        let balancer = RandomBalancer(endpointCount: 6)
        var a = SeededRandom(seed: 5)
        var b = SeededRandom(seed: 5)
        let first = (0..<50).map { _ in balancer.pick(using: &a, eligible: { _ in true }) }
        #expect(first == (0..<50).map { _ in balancer.pick(using: &b, eligible: { _ in true }) })
        #expect(Set(first.compactMap { $0 }).count == 6)
    }

    @Test func avoidsEarlierAttemptsWhileAnotherExists() {
        let balancer = RandomBalancer(endpointCount: 3)
        var random = SeededRandom(seed: 2)
        for _ in 0..<500 {
            #expect(balancer.pick(using: &random, eligible: { _ in true }, avoiding: { $0 != 2 }) == 2)
        }
        #expect(balancer.pick(using: &random, eligible: { $0 == 0 }, avoiding: { $0 == 0 }) == 0)
    }

    @Test func nilWhenNothingIsEligible() {
        var random = SeededRandom(seed: 1)
        #expect(RandomBalancer(endpointCount: 4).pick(using: &random, eligible: { _ in false }) == nil)
        #expect(RandomBalancer(endpointCount: 0).pick(using: &random, eligible: { _ in true }) == nil)
    }

    /// Three candidates among 64: most picks miss with the quick draws and scan; both ways
    /// together stay uniform.
    @Test func uniformOverASparseCandidateSet() {
        let balancer = RandomBalancer(endpointCount: 64)
        var random = SeededRandom(seed: 17)
        var counts: [Int: Int] = [:]
        for _ in 0..<30_000 {
            guard let index = balancer.pick(using: &random, eligible: { $0 == 5 || $0 == 40 || $0 == 63 }, avoiding: { $0 == 63 })
            else { continue }
            counts[index, default: 0] += 1
        }
        #expect(counts.keys.sorted() == [5, 40])
        for index in [5, 40] { #expect((14_500...15_500).contains(counts[index] ?? 0)) }
    }
}
