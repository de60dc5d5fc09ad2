import MeshIO
import MeshOrchestrator
import MeshTestSupport
import Testing

/// A run's processes are found by their `MESHBED_RUN_ID`, wherever they went.
@Suite struct ProcessSweeperTests {
    @Test func sweepKillsEveryProcessOfTheRunAndNothingElse() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = "sweep-\(Posix.processID())-\(Posix.monotonicNanoseconds())"
        let log = directory.file("run.log")
        // A child, a grandchild in its group, and one that escaped into its own session.
        let script = "sleep 300 & echo $!; setsid sleep 301 & echo $!; wait"
        let pid = try Posix.spawn(SpawnRequest(executable: "/bin/sh", arguments: ["-c", script],
                                               environment: inheritedEnvironment + ["MESHBED_RUN_ID=\(run)"], outputPath: log))
        let bystander = try Posix.spawn(SpawnRequest(executable: "/bin/sh", arguments: ["-c", "exec sleep 300"],
                                                     environment: inheritedEnvironment + ["MESHBED_RUN_ID=other-\(run)"],
                                                     outputPath: directory.file("other.log")))
        defer {
            Posix.sendSignal(ProcessSignal.kill, to: bystander)
            _ = waitForExit(bystander)
        }
        #expect(eventually { contents(log).split(separator: "\n").count == 2 })
        let grandchildren = contents(log).split(separator: "\n").compactMap { Int32($0) }
        #expect(eventually { Set(ProcessSweeper.members(ofRun: run)).isSuperset(of: [pid] + grandchildren) })
        #expect(ProcessSweeper.belongs(pid, toRun: run))
        #expect(!ProcessSweeper.belongs(bystander, toRun: run))

        #expect(ProcessSweeper.sweep(run: run).isEmpty)
        #expect(waitForExit(pid) == .signaled(ProcessSignal.kill))
        for grandchild in grandchildren { #expect(ended(grandchild)) }
        #expect(ProcessSweeper.members(ofRun: run).isEmpty)
        #expect(Posix.liveness(of: bystander) == .running)
    }

    @Test func waitUntilGoneCountsZombiesAsGone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pid = try Posix.spawn(SpawnRequest(executable: "/bin/sh", arguments: ["-c", "exit 0"], outputPath: directory.file("z.log")))
        // Not reaped yet: a zombie, which is as good as gone.
        #expect(ProcessSweeper.waitUntilGone([pid], within: .seconds(5)).isEmpty)
        #expect(Posix.liveness(of: pid) == .zombie)
        #expect(waitForExit(pid) == .exited(0))
        let sleeper = try Posix.spawn(SpawnRequest(executable: "/bin/sh", arguments: ["-c", "exec sleep 300"], outputPath: directory.file("s.log")))
        #expect(ProcessSweeper.waitUntilGone([sleeper], within: .milliseconds(100)) == [sleeper])
        Posix.sendSignal(ProcessSignal.kill, to: sleeper)
        #expect(waitForExit(sleeper) != nil)
    }
}
