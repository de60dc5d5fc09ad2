import Foundation
import MeshTestSupport
import Testing

/// A process in a container cannot follow its parent (the engine's monitor is): it watches
/// the supervisor by pid and start time (`MESHBED_SUPERVISOR_WATCH`, `meshbed infra
/// --supervisor`) and dies with it.
@Suite struct SupervisorWatchTests {
    /// `PID:START` of `pid` (`/proc/PID/stat`, field 22).
    static func watch(_ pid: Int32) throws -> String {
        let stat = try #require(Harness.readProc("/proc/\(pid)/stat"))
        let fields = stat[try #require(stat.range(of: ") ", options: .backwards)).upperBound...].split(separator: " ")
        return "\(pid):\(fields[19])"
    }

    /// Whether `pid` has a thread named `name`.
    static func hasThread(_ pid: Int32, _ name: String) -> Bool {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.contains { Harness.readProc("/proc/\(pid)/task/\($0)/comm")?.hasPrefix(name) == true }
    }

    @Test func anInfraProcessDiesWithTheSupervisorItWatches() throws {
        let supervisor = Process()
        supervisor.executableURL = URL(fileURLWithPath: "/bin/sleep")
        supervisor.arguments = ["120"]
        try supervisor.run()
        defer { if supervisor.isRunning { supervisor.terminate() } }
        let infra = Process()
        infra.executableURL = URL(fileURLWithPath: Harness.meshbed)
        infra.arguments = ["infra", "--supervisor", try Self.watch(supervisor.processIdentifier)]
        infra.environment = Harness.childEnvironment([:])
        try infra.run()
        defer { if infra.isRunning { kill(infra.processIdentifier, SIGKILL) } }
        #expect(eventually(within: 10) { Self.hasThread(infra.processIdentifier, "meshbed-watch") }, "it watches")
        #expect(infra.isRunning)
        supervisor.terminate()
        supervisor.waitUntilExit()
        #expect(eventually(within: 10) { !infra.isRunning })
        infra.waitUntilExit()
        #expect(infra.terminationReason == .uncaughtSignal && infra.terminationStatus == SIGKILL)
    }

    @Test func sigtermEndsItCleanly() throws {
        let infra = Process()
        infra.executableURL = URL(fileURLWithPath: Harness.meshbed)
        infra.arguments = ["infra", "--supervisor", try Self.watch(getpid())]
        infra.environment = Harness.childEnvironment([:])
        try infra.run()
        defer { if infra.isRunning { kill(infra.processIdentifier, SIGKILL) } }
        #expect(eventually(within: 10) { Self.hasThread(infra.processIdentifier, "meshbed-watch") })
        infra.terminate()
        #expect(eventually(within: 10) { !infra.isRunning })
        infra.waitUntilExit()
        #expect(infra.terminationReason == .exit && infra.terminationStatus == 0)
    }

    @Test func aSupervisorThatIsGoneEndsEveryCommandAtOnce() throws {
        let ours = try Self.watch(getpid())
        let stale = ours.split(separator: ":")[0] + ":1"  // this pid, another start time: a process that took the pid over
        let infra = try Harness.run(Harness.meshbed, ["infra", "--supervisor", String(stale)], timeout: 30)
        #expect(infra.status == 1 && infra.stderr == "meshbed infra: the supervisor \(stale) does not run\n", "\(infra.stderr)")
        let echo = try Harness.run(Harness.meshbed, ["help"], timeout: 30, environment: ["MESHBED_SUPERVISOR_WATCH": String(stale)])
        #expect(echo.status == 1 && echo.stdout.isEmpty)
        let watched = try Harness.run(Harness.meshbed, ["help"], timeout: 30, environment: ["MESHBED_SUPERVISOR_WATCH": ours])
        #expect(watched.status == 0 && watched.stdout.contains("usage: meshbed"))
        let missing = try Harness.run(Harness.meshbed, ["infra"], timeout: 30)
        #expect(missing.status == 2 && missing.stderr.contains("infra: missing --supervisor PID:START"))
    }
}
