@testable import MeshProxy
import MeshCore
import Testing

/// When certificates are renewed: half the remaining lifetime less up to a tenth of jitter;
/// retries back off from 0.5 s to 30 s and stay within an eighth of what is left.
@Suite struct RenewalScheduleTests {
    @Test func renewsBetweenFortyAndFiftyPercentOfTheLifetime() {
        var random = SeededRandom(seed: 7)
        var seen: Set<Int64> = []
        for _ in 0..<1000 {
            let delay = RenewalSchedule.renewal(remaining: 20, using: &random)
            #expect(delay > .seconds(8) && delay <= .seconds(10))
            seen.insert(delay.components.attoseconds / 100_000_000_000_000_000 + delay.components.seconds * 10)
        }
        #expect(seen.count > 10)  // jittered, not one value
        #expect(RenewalSchedule.renewal(remaining: 0, using: &random) == .zero)
        #expect(RenewalSchedule.renewal(remaining: -5, using: &random) == .zero)
    }

    @Test func retriesBackOffUpToThirtySeconds() {
        var random = SeededRandom(seed: 3)
        func retry(_ failures: Int, _ remaining: Int64? = nil) -> Double {
            let delay = RenewalSchedule.retry(failures: failures, remaining: remaining, using: &random)
            return Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        }
        #expect((0.4..<0.6).contains(retry(1)))
        #expect((0.8..<1.2).contains(retry(2)))
        #expect((3.2..<4.8).contains(retry(4)))
        #expect((24..<36).contains(retry(10)))
        #expect((24..<36).contains(retry(1000)))
        // A certificate with 8 s left is retried at least every second or so.
        #expect((0.8..<1.2).contains(retry(10, 8)))
        // Never more often than every 0.2 s.
        #expect(retry(10, 1) >= 0.2)
    }
}
