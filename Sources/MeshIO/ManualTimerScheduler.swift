/// A `TimerScheduler` whose time moves only when a test advances it: due timers run in
/// deadline order (ties in scheduling order) on the caller's thread, including timers
/// their callbacks schedule within the advanced span. For single-threaded tests.
public final class ManualTimerScheduler: TimerScheduler {
    public private(set) var now: UInt64
    private var timers: [(deadline: UInt64, id: UInt64, callback: () -> Void)] = []
    private var nextID: UInt64 = 1

    /// Starts at `now` nanoseconds (not 0 by default, so "0 = no deadline" stays distinct).
    public init(now: UInt64 = 1_000_000_000) {
        self.now = now
    }

    /// Timers scheduled and not yet fired or cancelled.
    public var pendingCount: Int { timers.count }

    /// The earliest pending deadline, if any.
    public var nextDeadline: UInt64? { timers.map(\.deadline).min() }

    @discardableResult
    public func schedule(at deadline: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID &+= 1
        timers.append((deadline, id, callback))
        return TimerID(value: id)
    }

    public func cancel(_ timer: TimerID) {
        timers.removeAll { $0.id == timer.value }
    }

    /// Moves time forward by `nanoseconds`, running every timer that falls due on the way
    /// (each at its own deadline: `now` reads the deadline during its callback).
    public func advance(by nanoseconds: UInt64) {
        let end = now &+ nanoseconds
        while let index = dueIndex(by: end) {
            let timer = timers.remove(at: index)
            now = max(now, timer.deadline)
            timer.callback()
        }
        now = end
    }

    /// Moves time forward by `duration`.
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        advance(by: UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000))
    }

    /// Runs timers already due without moving time.
    public func runDue() { advance(by: 0) }

    private func dueIndex(by end: UInt64) -> Int? {
        var best: Int?
        for index in timers.indices where timers[index].deadline <= end {
            if let current = best {
                let a = timers[index], b = timers[current]
                if a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id) { best = index }
            } else {
                best = index
            }
        }
        return best
    }
}
