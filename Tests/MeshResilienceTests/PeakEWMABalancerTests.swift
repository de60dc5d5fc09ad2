import MeshCore
@testable import MeshResilience
import Testing

@Suite struct PeakEWMABalancerTests {
    private static let ms: UInt64 = 1_000_000
    private static let second: UInt64 = 1_000_000_000

    @Test func defaultsAreLinkerds() {
        let balancer = PeakEWMABalancer(endpointCount: 1, now: 0)
        #expect(balancer.defaultRTT == 30 * Self.ms)
        #expect(balancer.decay == 10 * Self.second)
        #expect(balancer.rttEstimate(0, now: 0) == Double(30 * Self.ms))
    }

    @Test func negativeExponentialMatchesKnownValues() {
        let cases: [(Double, Double)] = [
            (0, 1), (0.5, 0.606_530_659_712_633_4), (1, 0.367_879_441_171_442_33),
            (2.302_585_092_994_046, 0.1), (10, 4.539_992_976_248_485e-05), (100, 3.720_075_976_020_836e-44),
        ]
        for (x, expected) in cases {
            let value = ExponentialDecay.negativeExponential(x)
            #expect(abs(value - expected) <= expected * 1e-14)
        }
        #expect(ExponentialDecay.negativeExponential(-1) == 1)
        #expect(ExponentialDecay.negativeExponential(800) == 0)
        #expect(ExponentialDecay.factor(elapsed: 5, period: 0) == 0)
        #expect(ExponentialDecay.factor(elapsed: 0, period: 0) == 1)
    }

    @Test func aSlowerSampleReplacesTheEstimateAndAFasterOneBlendsIn() {
        let balancer = PeakEWMABalancer(endpointCount: 1, now: 0)
        balancer.started(0)
        balancer.finished(0, latency: 50 * Self.ms, now: Self.second)
        #expect(balancer.rttEstimate(0, now: Self.second) == Double(50 * Self.ms))
        balancer.started(0)
        balancer.finished(0, latency: 10 * Self.ms, now: 11 * Self.second)
        let kept = ExponentialDecay.negativeExponential(1)
        let expected = Double(50 * Self.ms) * kept + Double(10 * Self.ms) * (1 - kept)
        #expect(abs(balancer.rttEstimate(0, now: 11 * Self.second) - expected) < 1)
        #expect(balancer.outstandingRequests(0) == 0)
    }

    @Test func costGrowsWithOutstandingRequests() {
        let balancer = PeakEWMABalancer(endpointCount: 2, now: 0)
        var random = SeededRandom(seed: 6)
        balancer.started(0)
        balancer.started(0)
        #expect(balancer.cost(0, now: 0) == 3 * Double(30 * Self.ms))
        for _ in 0..<100 { #expect(balancer.pick(now: 0, using: &random, eligible: { _ in true }) == 1) }
    }

    /// Three rounds at 0, 1 and 2 ms: the slow endpoint (1) answers in 200 ms, which replaces
    /// its estimate at once; the others answer in 1 ms, which barely moves their 30 ms default
    /// so soon (the blend weight is 1 - e^(-elapsed/10 s)).
    private func trained() -> PeakEWMABalancer {
        let balancer = PeakEWMABalancer(endpointCount: 3, now: 0)
        for round in 0..<3 {
            for index in 0..<3 {
                balancer.started(index)
                balancer.finished(index, latency: index == 1 ? 200 * Self.ms : Self.ms, now: UInt64(round) * Self.ms)
            }
        }
        return balancer
    }

    @Test func steersAwayFromASlowEndpoint() {
        let balancer = trained()
        var random = SeededRandom(seed: 9)
        var counts = [0, 0, 0]
        for _ in 0..<3_000 {
            if let index = balancer.pick(now: 3 * Self.ms, using: &random, eligible: { _ in true }) { counts[index] += 1 }
        }
        #expect(counts[1] == 0)
        #expect(counts[0] > 1_000 && counts[2] > 1_000)
    }

    /// With no traffic the slow endpoint's estimate decays (200 ms × e^(-t/10 s)) while the
    /// fast ones keep being measured at 1 ms. As in tower, their estimates started from the
    /// 30 ms default, which those samples wear down with the same decay (1 + 29 e^(-t/10 s)
    /// ms), so the slow one is cheaper once 171 e^(-t/10 s) < 1: after 10 s × ln 171 ≈ 51.4 s,
    /// and it is tried again at the 52nd second.
    @Test func decaysBackOverTime() {
        let balancer = trained()
        var random = SeededRandom(seed: 10)
        var firstPickOfSlow: UInt64?
        for second in 1...70 {
            let now = UInt64(second) * Self.second
            for index in [0, 2] {
                balancer.started(index)
                balancer.finished(index, latency: Self.ms, now: now)
            }
            let picks = (0..<20).compactMap { _ in balancer.pick(now: now, using: &random, eligible: { _ in true }) }
            if picks.contains(1) {
                firstPickOfSlow = UInt64(second)
                break
            }
        }
        #expect(firstPickOfSlow == 52)
    }

    @Test func anUntriedEndpointBeatsOneMeasuredSlowerThanTheDefault() {
        let balancer = PeakEWMABalancer(endpointCount: 2, now: 0)
        var random = SeededRandom(seed: 12)
        balancer.started(0)
        balancer.finished(0, latency: 100 * Self.ms, now: 0)
        #expect(balancer.pick(now: 0, using: &random, eligible: { _ in true }) == 1)
    }

    @Test func excludedAndAvoidedIndices() {
        let balancer = trained()
        var random = SeededRandom(seed: 13)
        for _ in 0..<300 {
            // The fast endpoints are ejected or tried already: the slow one is all that is left.
            #expect(balancer.pick(now: 0, using: &random, eligible: { $0 != 0 }, avoiding: { $0 == 2 }) == 1)
        }
        #expect(balancer.pick(now: 0, using: &random, eligible: { _ in false }) == nil)
        #expect(PeakEWMABalancer(endpointCount: 0, now: 0).pick(now: 0, using: &random, eligible: { _ in true }) == nil)
    }
}
