import MeshCore
import MeshResilience
import Testing

@Suite struct LeastRequestBalancerTests {
    @Test func ofTwoTheLessLoadedWins() {
        let balancer = LeastRequestBalancer(endpointCount: 2)
        var random = SeededRandom(seed: 3)
        balancer.started(0)
        balancer.started(0)
        balancer.started(1)
        for _ in 0..<200 { #expect(balancer.pick(using: &random, eligible: { _ in true }) == 1) }
        balancer.finished(0)
        balancer.finished(0)
        #expect(balancer.outstandingRequests(0) == 0)
        for _ in 0..<200 { #expect(balancer.pick(using: &random, eligible: { _ in true }) == 0) }
    }

    @Test func theMostLoadedIsNeverPickedAndTheRestShare() {
        let balancer = LeastRequestBalancer(endpointCount: 4)
        var random = SeededRandom(seed: 8)
        for _ in 0..<5 { balancer.started(2) }
        var counts = [0, 0, 0, 0]
        for _ in 0..<30_000 {
            if let index = balancer.pick(using: &random, eligible: { _ in true }) { counts[index] += 1 }
        }
        #expect(counts[2] == 0)
        // Two distinct draws, ties to the first: each idle endpoint gets a third.
        for index in [0, 1, 3] { #expect((9_500...10_500).contains(counts[index])) }
    }

    @Test func excludedAndAvoidedIndices() {
        let balancer = LeastRequestBalancer(endpointCount: 3)
        var random = SeededRandom(seed: 4)
        balancer.started(1)
        for _ in 0..<300 {
            // 0 is not eligible and 2 was tried: 1 is the only candidate, however loaded.
            #expect(balancer.pick(using: &random, eligible: { $0 != 0 }, avoiding: { $0 == 2 }) == 1)
        }
        #expect(balancer.pick(using: &random, eligible: { $0 == 2 }, avoiding: { $0 == 2 }) == 2)
        #expect(balancer.pick(using: &random, eligible: { _ in false }) == nil)
        #expect(LeastRequestBalancer(endpointCount: 0).pick(using: &random, eligible: { _ in true }) == nil)
    }

    @Test func countsNeverGoNegativeAndIgnoreBadIndices() {
        let balancer = LeastRequestBalancer(endpointCount: 2)
        balancer.finished(0)
        balancer.started(7)
        balancer.finished(-1)
        #expect(balancer.outstandingRequests(0) == 0)
        #expect(balancer.outstandingRequests(7) == 0)
    }

    /// Two candidates among 64, the rest not eligible: the pair is always both of them (never
    /// one twice), so the less loaded always wins, whichever way the pair was drawn.
    @Test func aSparsePairIsAlwaysTwoDistinctCandidates() {
        let balancer = LeastRequestBalancer(endpointCount: 64)
        var random = SeededRandom(seed: 19)
        balancer.started(9)
        for _ in 0..<5_000 {
            #expect(balancer.pick(using: &random, eligible: { $0 == 9 || $0 == 50 }) == 50)
        }
        // Three idle candidates among 64: each gets a third.
        var counts: [Int: Int] = [:]
        for _ in 0..<30_000 {
            if let index = balancer.pick(using: &random, eligible: { $0 == 1 || $0 == 30 || $0 == 62 }) {
                counts[index, default: 0] += 1
            }
        }
        for index in [1, 30, 62] { #expect((9_500...10_500).contains(counts[index] ?? 0)) }
    }
}
