/// Where time-dependent code on an event loop takes its time and its timers from: the loop
/// itself (real CLOCK_MONOTONIC time) in production, a `ManualTimerScheduler` in tests, so
/// timeouts, backoff and ejection are tested to the nanosecond without sleeping (as NIO's
/// `EmbeddedEventLoop.advanceTime(by:)`). Used on one thread only (the loop's).
public protocol TimerScheduler: AnyObject {
    /// The current time in nanoseconds (monotonic; the loop's cached reading).
    var now: UInt64 { get }
    /// Calls `callback` once `now` reaches `deadline`.
    @discardableResult
    func schedule(at deadline: UInt64, _ callback: @escaping () -> Void) -> TimerID
    /// Cancels a timer that has not fired yet (a fired or unknown one is ignored).
    func cancel(_ timer: TimerID)
}

extension EventLoop: TimerScheduler {}
