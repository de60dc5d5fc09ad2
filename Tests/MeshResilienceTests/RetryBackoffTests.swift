import MeshCore
import MeshResilience
import Testing

@Suite struct RetryBackoffTests {
    private let ms: UInt64 = 1_000_000

    @Test func defaultsAreEnvoys() {
        let backoff = RetryBackoff()
        #expect(backoff.base == 25 * ms)
        #expect(backoff.max == 250 * ms)
    }

    @Test func ceilingDoublesUpToTheCap() {
        let backoff = RetryBackoff()
        #expect((1...7).map { backoff.ceiling(forRetry: $0) / ms } == [25, 50, 100, 200, 250, 250, 250])
        #expect(backoff.ceiling(forRetry: 0) == 25 * ms)
        #expect(backoff.ceiling(forRetry: -3) == 25 * ms)
        #expect(backoff.ceiling(forRetry: 64) == 250 * ms)
        #expect(backoff.ceiling(forRetry: .max) == 250 * ms)
        let huge = RetryBackoff(base: .max / 2, max: .max)
        #expect(huge.ceiling(forRetry: 3) == .max)
    }

    @Test func unusableSettingsAreClamped() {
        #expect(RetryBackoff(base: 0, max: 0).base == 1)
        #expect(RetryBackoff(base: 0, max: 0).max == 1)
        #expect(RetryBackoff(base: 100 * ms, max: 10 * ms).max == 100 * ms)
        var random = SeededRandom(seed: 1)
        #expect(RetryBackoff(base: 0, max: 0).delay(forRetry: 1, using: &random) == 0)
    }

    /// The schedule is the documented formula over one raw draw per delay, and pinned (in
    /// microseconds, as first computed) for seed 42 so a change of formula cannot go unnoticed.
    @Test func exactScheduleForASeed() {
        let backoff = RetryBackoff()
        var random = SeededRandom(seed: 42)
        var raw = SeededRandom(seed: 42)
        var schedule: [UInt64] = []
        for retry in 1...6 {
            let delay = backoff.delay(forRetry: retry, using: &random)
            let expected = UInt64((UInt128(raw.next()) * UInt128(backoff.ceiling(forRetry: retry))) >> 64)
            #expect(delay == expected)
            schedule.append(delay / 1_000)
        }
        #expect(schedule == [2_096, 18_949, 68_004, 184_938, 247_950, 192_434])
    }

    @Test func delaysStayWithinTheirCeilingAndCoverIt() {
        let backoff = RetryBackoff()
        var random = SeededRandom(seed: 7)
        for retry in 1...6 {
            let ceiling = backoff.ceiling(forRetry: retry)
            var lowest = UInt64.max
            var highest: UInt64 = 0
            for _ in 0..<5_000 {
                let delay = backoff.delay(forRetry: retry, using: &random)
                #expect(delay < ceiling)
                lowest = min(lowest, delay)
                highest = max(highest, delay)
            }
            #expect(lowest < ceiling / 100)
            #expect(highest > ceiling - ceiling / 100)
        }
    }

    @Test func aCustomCapHolds() {
        let backoff = RetryBackoff(base: 100 * ms, max: 150 * ms)
        #expect((1...4).map { backoff.ceiling(forRetry: $0) / ms } == [100, 150, 150, 150])
        var random = SeededRandom(seed: 3)
        for _ in 0..<2_000 { #expect(backoff.delay(forRetry: 9, using: &random) < 150 * ms) }
    }
}
