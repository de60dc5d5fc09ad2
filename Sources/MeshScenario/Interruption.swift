import MeshIO
import Synchronization

/// The stop signals (SIGINT, SIGTERM, SIGHUP) as a scenario run takes them: blocked in
/// every thread (`blockSignals`, before any thread starts) and taken synchronously where
/// the run waits, so that an interrupted run can still tear its topology down and report.
///
/// Once one has arrived it stays the answer: every later `check` and `wait` returns it at
/// once. Safe to share between threads.
public final class Interruption: Sendable {
    /// The signals that interrupt a run.
    public static let signals = [ProcessSignal.interrupt, ProcessSignal.terminate, ProcessSignal.hangup]

    private let received = Atomic<Int32>(0)

    /// An interruption that has not happened yet. Call `blockSignals` first.
    public init() {}

    /// Blocks the stop signals for the calling thread and every thread it starts afterwards,
    /// so that they wait for `check` or `wait` instead of ending the process. Call it before
    /// any other thread starts.
    public static func blockSignals() {
        Posix.blockSignals(signals)
    }

    /// The stop signal taken, if one has arrived.
    public var signal: Int32? {
        let value = received.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    /// Takes a pending stop signal without waiting; returns the one taken (now or before).
    @discardableResult
    public func check() -> Int32? {
        wait(nanoseconds: 0)
    }

    /// Waits up to `nanoseconds` (a sleep that a stop signal cuts short); returns the stop
    /// signal if one arrived (now or before), nil when the time passed without one.
    @discardableResult
    public func wait(nanoseconds: UInt64) -> Int32? {
        if let signal { return signal }
        let deadline = Posix.monotonicNanoseconds() &+ nanoseconds
        while true {
            let now = Posix.monotonicNanoseconds()
            let left = deadline > now ? deadline - now : 0
            if let taken = Posix.waitForSignal(Self.signals, timeoutNanoseconds: left) {
                received.store(taken, ordering: .releasing)
                return taken
            }
            // sigtimedwait also returns early when another signal interrupts it: wait on.
            if Posix.monotonicNanoseconds() >= deadline { return nil }
        }
    }

    /// The exit status of a run that `signal` stopped: 128 + its number (130 for SIGINT,
    /// 143 for SIGTERM, 129 for SIGHUP), as shells report it.
    public static func exitCode(_ signal: Int32) -> Int32 {
        128 + signal
    }
}
