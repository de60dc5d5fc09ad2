/// The intended send times of one open-loop worker: one every `interval` nanoseconds from
/// `start`, none at or after `stopAt`. Pure arithmetic on clock readings (no clock of its
/// own), so a test can drive it with a `ManualClock`.
///
/// Time k is `start + k × interval` computed afresh each time (no accumulated rounding),
/// so a schedule over a duration hands out exactly `planned` times however late it is read.
struct OpenLoopSchedule: Sendable {
    /// Nanoseconds between intended send times (above 0).
    let interval: Double
    /// The first intended time.
    let start: UInt64
    /// No intended time at or after this (UInt64.max: no end).
    let stopAt: UInt64
    /// Intended times handed out so far.
    private(set) var taken = 0

    init(start: UInt64, interval: Double, stopAt: UInt64 = UInt64.max) {
        precondition(interval > 0, "an open-loop schedule needs an interval above 0")
        self.start = start
        self.interval = interval
        self.stopAt = stopAt
    }

    /// The intended time of the next request (it may lie at or after `stopAt`).
    var nextTime: UInt64 {
        let offset = taken == 0 ? 0 : (Double(taken) * interval).rounded(.down)
        // Not finite (a vanishing rate) or past the end of time: never.
        guard offset.isFinite, offset < Double(UInt64.max - start) else { return UInt64.max }
        return start + UInt64(offset)
    }

    /// Whether every intended time before `stopAt` has been handed out.
    var isOver: Bool { nextTime >= stopAt }

    /// The next intended time if it has come by `now` and lies before `stopAt` (and counts
    /// it as handed out); nil otherwise.
    mutating func due(now: UInt64) -> UInt64? {
        let time = nextTime
        guard time <= now, time < stopAt else { return nil }
        taken += 1
        return time
    }

    /// How many intended times a schedule from `start` to `stopAt` has in all.
    static func planned(start: UInt64, interval: Double, stopAt: UInt64) -> Int {
        var schedule = OpenLoopSchedule(start: start, interval: interval, stopAt: stopAt)
        // A first estimate, then exact against the same arithmetic `due` uses.
        schedule.taken = max(0, Int((Double(stopAt &- start) / interval).rounded(.down)) - 1)
        while !schedule.isOver { schedule.taken += 1 }
        return schedule.taken
    }
}
