import MeshCore
import MeshIO
@testable import MeshOrchestrator
import Testing

/// `up --detach` reports a failure only once its supervisor has exited and everything it
/// started is gone, within a bound, and names whatever outlives that bound. Driven by a
/// scripted process table and a `ManualClock` (a real loaded machine is what made this flaky).
@Suite struct SupervisorExitTests {
    /// A process table in which time only passes when the code under test sleeps.
    final class ScriptedTable {
        let clock = ManualClock()
        /// When the supervisor ends on its own (nil: never), and whether SIGKILL ends it.
        var supervisorEndsAt: UInt64?
        var killable = true
        /// pid → (start time, when it ends; nil: never).
        var processes: [Int32: (startTime: UInt64, endsAt: UInt64?)] = [:]
        private(set) var reapedAt: UInt64?
        private(set) var signals: [(pid: Int32, signal: Int32, at: UInt64)] = []
        private(set) var recordsReadAt: UInt64?
        let supervisor: Int32 = 12

        var exit: SupervisorExit {
            SupervisorExit(
                reap: { [self] pid in
                    guard pid == supervisor, reapedAt == nil, let end = supervisorEndsAt, clock.now() >= end else { return nil }
                    reapedAt = clock.now()
                    return .exited(3)
                },
                isRunning: { [self] pid, startTime in
                    guard let process = processes[pid], startTime == nil || startTime == process.startTime else { return false }
                    return process.endsAt.map { clock.now() < $0 } ?? true
                },
                signal: { [self] pid, signal in
                    signals.append((pid, signal, clock.now()))
                    if pid == supervisor, signal == ProcessSignal.kill, killable, reapedAt == nil { supervisorEndsAt = clock.now() }
                },
                now: { [self] in clock.now() },
                sleep: { [self] in clock.advance(by: $0) })
        }

        func records(_ pids: [Int32: UInt64]) -> [ProcessRecord] {
            recordsReadAt = clock.now()
            return pids.sorted { $0.key < $1.key }.map { pid, startTime in
                ProcessRecord(name: "web-v1-0.app", role: .app, instance: "web-v1-0", pid: pid, log: "/x.log", startTime: startTime)
            }
        }
    }

    static let second: UInt64 = 1_000_000_000

    /// The state file says `failed` while the supervisor still runs (it writes that before
    /// it exits): the wait lasts until it is reaped, and only then reads what it recorded.
    @Test func waitsForTheSupervisorThatWroteFailedToExit() {
        let table = ScriptedTable()
        table.supervisorEndsAt = 3 * Self.second  // a loaded machine: seconds, not milliseconds
        table.processes[13] = (startTime: 7, endsAt: 3 * Self.second + 50_000_000)  // dies with its parent, a little later
        let left = table.exit.awaitEnd(ofSupervisor: 12, reaped: false, within: .seconds(15), records: { table.records([13: 7]) },
                                       sweep: { [] })
        #expect(left.isEmpty)
        #expect(table.reapedAt == 3 * Self.second)
        #expect(table.signals.isEmpty, "an exiting supervisor is not killed")
        #expect(table.recordsReadAt == 3 * Self.second)
        #expect(table.clock.now() >= 3 * Self.second + 50_000_000, "returned while the app still ran")
        #expect(SupervisorExit.note(left) == "")
    }

    /// Already reaped: no wait, no signal; what it recorded is checked all the same.
    @Test func aReapedSupervisorIsNotWaitedForNorSignalled() {
        let table = ScriptedTable()
        table.processes[13] = (startTime: 7, endsAt: 0)
        let left = table.exit.awaitEnd(ofSupervisor: 12, reaped: true, within: .seconds(15), records: { table.records([13: 7]) },
                                       sweep: { [] })
        #expect(left.isEmpty)
        #expect(table.signals.isEmpty)
        #expect(table.clock.now() == 0)
    }

    /// A supervisor that does not exit within the grace is SIGKILLed (its children die with it).
    @Test func aSupervisorThatDoesNotExitIsKilledAfterTheGrace() {
        let table = ScriptedTable()
        let left = table.exit.awaitEnd(ofSupervisor: 12, reaped: false, within: .seconds(15), records: { table.records([:]) },
                                       sweep: { [] })
        #expect(left.isEmpty)
        #expect(table.signals.map(\.signal) == [ProcessSignal.kill])
        #expect(table.signals.first?.at ?? 0 >= 15 * Self.second)
        #expect(table.reapedAt != nil)
    }

    /// Nothing is waited for without bound, and whatever outlives the bound is named: the
    /// supervisor, a recorded process, and an escaped one the sweep could not end.
    @Test func survivorsAreNamedOnceTheBoundHasPassed() {
        let table = ScriptedTable()
        table.killable = false
        table.processes[13] = (startTime: 7, endsAt: nil)
        let left = table.exit.awaitEnd(ofSupervisor: 12, reaped: false, within: .seconds(15), records: { table.records([13: 7]) },
                                       sweep: { [13, 14] })
        #expect(left == ["the supervisor (pid 12)", "app web-v1-0 (pid 13)", "pid 14"])
        let bound = 15 * Self.second + 2 * HTTPProbe.nanoseconds(SupervisorExit.killGrace) + 2 * SupervisorExit.pollInterval
        #expect(table.clock.now() <= bound)
        #expect(SupervisorExit.note(left) == "; still running after the teardown: the supervisor (pid 12), app web-v1-0 (pid 13), pid 14")
    }

    /// A recorded pid that another process has taken since (another start time) is not ours:
    /// it counts as gone, and the wait does not last for it.
    @Test func aReusedPidCountsAsGone() {
        let table = ScriptedTable()
        table.processes[13] = (startTime: 99, endsAt: nil)
        let left = table.exit.awaitEnd(ofSupervisor: 12, reaped: true, within: .seconds(15), records: { table.records([13: 7]) },
                                       sweep: { [] })
        #expect(left.isEmpty)
        #expect(table.clock.now() == 0)
    }
}
