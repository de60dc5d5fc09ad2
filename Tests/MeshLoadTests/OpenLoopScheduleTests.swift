import MeshCore
@testable import MeshLoad
import Testing

/// The open-loop schedule driven by a `ManualClock`: requests are due when their time has
/// come, never at or after the stop, and a schedule over a duration hands out exactly its
/// planned count however late (or in whatever jumps) it is read.
@Suite struct OpenLoopScheduleTests {
    @Test func dueTimesFollowTheClock() {
        let clock = ManualClock(nanoseconds: 5_000)
        var schedule = OpenLoopSchedule(start: clock.now(), interval: 10_000)  // 100,000 per second
        #expect(schedule.due(now: clock.now()) == 5_000)
        #expect(schedule.due(now: clock.now()) == nil)  // the next is 10 µs away
        #expect(schedule.nextTime == 15_000)
        clock.advance(by: 9_999)
        #expect(schedule.due(now: clock.now()) == nil)
        clock.advance(by: 1)
        #expect(schedule.due(now: clock.now()) == 15_000)
        clock.advance(by: .milliseconds(1))
        var caughtUp = 0
        while schedule.due(now: clock.now()) != nil { caughtUp += 1 }
        #expect(caughtUp == 100)  // a late reader gets every time it missed, in order
        #expect(schedule.taken == 102)
    }

    /// An interval too long to represent (a vanishing rate) schedules the first request and
    /// then nothing, instead of trapping on a time that is not a number.
    @Test func anEndlessIntervalSchedulesOnlyTheFirst() {
        var schedule = OpenLoopSchedule(start: 7, interval: .infinity)
        #expect(schedule.due(now: 7) == 7)
        #expect(schedule.nextTime == UInt64.max)
        #expect(schedule.due(now: UInt64.max - 1) == nil)
    }

    @Test func nothingIsDueAtOrAfterTheStop() {
        let clock = ManualClock(nanoseconds: 1_000_000)
        let start = clock.now()
        var schedule = OpenLoopSchedule(start: start, interval: 10_000, stopAt: start + 2_000_000_000)
        clock.advance(by: .seconds(3))  // the reader stalled past the end
        var handed = 0
        var last: UInt64 = 0
        while let time = schedule.due(now: clock.now()) {
            #expect(time < start + 2_000_000_000)
            last = time
            handed += 1
        }
        #expect(handed == 200_000)
        #expect(last == start + 2_000_000_000 - 10_000)
        #expect(schedule.isOver)
        clock.advance(by: .seconds(1))
        #expect(schedule.due(now: clock.now()) == nil)
    }

    @Test(arguments: [(1e9 / 3, 2_000_000_000), (1e9 / 7, 1_000_000_001), (1e9 / 100_000, 2_000_000_000), (333.3, 1_000_000)] as [(Double, UInt64)])
    func plannedCountMatchesWhatIsHandedOut(interval: Double, duration: UInt64) {
        let start: UInt64 = 123_456_789
        let clock = ManualClock(nanoseconds: start)
        var schedule = OpenLoopSchedule(start: start, interval: interval, stopAt: start + duration)
        var handed = 0
        while !schedule.isOver {
            clock.advance(by: 7_919_000)  // read in uneven jumps
            while schedule.due(now: clock.now()) != nil { handed += 1 }
        }
        #expect(handed == OpenLoopSchedule.planned(start: start, interval: interval, stopAt: start + duration))
        #expect(OpenLoopSchedule.planned(start: start, interval: interval, stopAt: start) == 0)
    }
}
