import Foundation
import MeshIO
import MeshTestSupport
import Testing

/// `Posix.spawn` and friends: what a child inherits (and does not), process groups, and
/// the parent-death signal that ties every meshbed child to its supervisor.
@Suite struct SpawnerTests {
    func spawnShell(_ script: String, log: String, environment: [String] = inheritedEnvironment,
                    newProcessGroup: Bool = true, newSession: Bool = false) throws -> Int32 {
        try Posix.spawn(SpawnRequest(executable: "/bin/sh", arguments: ["-c", script], environment: environment,
                                     outputPath: log, newProcessGroup: newProcessGroup, newSession: newSession))
    }

    @Test func childrenStartWithAnEmptySignalMaskAndDefaultDispositions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.file("mask.log")
        // Like a supervisor: SIGTERM and SIGINT blocked on the spawning thread.
        Posix.blockSignals([ProcessSignal.terminate, ProcessSignal.interrupt])
        defer { Posix.unblockSignals([ProcessSignal.terminate, ProcessSignal.interrupt]) }
        let parentMask = contents("/proc/thread-self/status").split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
        #expect(parentMask != nil && parentMask != "SigBlk:\t0000000000000000", "the parent must block something for this test to mean anything")

        // Like every meshbed process: SIGPIPE ignored (dispositions other than "ignore" reset on exec anyway).
        Posix.ignoreSIGPIPE()

        let pid = try spawnShell("grep -E '^Sig(Blk|Ign):' /proc/self/status", log: log)
        #expect(waitForExit(pid) == .exited(0))
        let lines = contents(log).split(separator: "\n").map(String.init)
        #expect(lines.contains("SigBlk:\t0000000000000000"), "\(lines)")
        let ignored = lines.first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.dropFirst(8), radix: 16) }
        let ignoredMask = try #require(ignored, "\(lines)")
        for signal in [ProcessSignal.interrupt, ProcessSignal.terminate, ProcessSignal.hangup, Int32(13) /* SIGPIPE */] {
            #expect(ignoredMask & (1 << UInt64(signal - 1)) == 0, "\(ProcessSignal.name(of: signal)) must have its default action")
        }
    }

    @Test func standardStreamsGoToTheLogAndInputIsEmpty() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.file("out.log")
        try Data("earlier\n".utf8).write(to: URL(fileURLWithPath: log))
        let pid = try spawnShell("echo out; echo err >&2; cat; echo \"FOO=$FOO\"", log: log, environment: ["FOO=bar", "PATH=/usr/bin:/bin"])
        #expect(waitForExit(pid) == .exited(0))
        #expect(contents(log) == "earlier\nout\nerr\nFOO=bar\n")  // appended, stdin at EOF at once
    }

    @Test func descriptorsAreNotInherited() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.file("fds.log")
        let pid = try spawnShell("ls /proc/self/fd", log: log)
        #expect(waitForExit(pid) == .exited(0))
        // 0, 1, 2 and the directory ls itself reads.
        let fds = contents(log).split(separator: "\n").compactMap { Int($0) }
        #expect(fds.filter { $0 > 3 }.isEmpty, "\(fds)")
    }

    @Test func exitStatusesAndSignals() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let exited = try spawnShell("exit 3", log: directory.file("a.log"))
        #expect(waitForExit(exited) == .exited(3))
        let killed = try spawnShell("exec sleep 300", log: directory.file("b.log"))
        #expect(Posix.reap(killed) == nil)
        #expect(Posix.sendSignal(ProcessSignal.kill, to: killed))
        let status = waitForExit(killed)
        #expect(status == .signaled(ProcessSignal.kill))
        #expect(status?.description == "killed by SIGKILL")
        #expect(ChildStatus.exited(1).description == "exited with status 1")
        #expect(Posix.liveness(of: killed) == .gone)
    }

    @Test func aMissingProgramIsAnError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: IOError.self) {
            try Posix.spawn(SpawnRequest(executable: "/nonexistent/program", outputPath: directory.file("x.log")))
        }
        #expect(throws: IOError.self) {
            try Posix.spawn(SpawnRequest(executable: "no-such-program-anywhere", environment: ["PATH=/usr/bin:/bin"],
                                         outputPath: directory.file("y.log")))
        }
    }

    @Test func childLeadsItsOwnGroupOrSession() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let grouped = try spawnShell("exec sleep 300", log: directory.file("g.log"))
        let session = try spawnShell("exec sleep 300", log: directory.file("s.log"), newSession: true)
        let plain = try spawnShell("exec sleep 300", log: directory.file("p.log"), newProcessGroup: false)
        defer {
            for pid in [grouped, session, plain] {
                Posix.sendSignal(ProcessSignal.kill, to: pid)
                _ = waitForExit(pid)
            }
        }
        #expect(eventually { statField(grouped, 5) == grouped })
        #expect(statField(grouped, 6) != grouped)
        #expect(eventually { statField(session, 5) == session && statField(session, 6) == session })
        #expect(eventually { statField(plain, 5) == statField(Posix.processID(), 5) })
    }

    @Test func signallingTheGroupReachesGrandchildren() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.file("tree.log")
        let pid = try spawnShell("sleep 300 & echo $!; wait", log: log)
        let grandchild = try #require(pidLine(in: log))
        #expect(Posix.liveness(of: grandchild) == .running)
        #expect(Posix.sendSignal(ProcessSignal.terminate, toGroup: pid))
        #expect(waitForExit(pid) != nil)
        #expect(ended(grandchild), "the grandchild in the group must die too")
    }

    /// The real thing: a `meshbed` child with `MESHBED_SUPERVISOR_PID` dies when its
    /// supervisor is SIGKILLed (it cannot clean up), even after it exec'd another program.
    /// The supervisor here is a shell that starts `meshbed exec-app -- sleep 300`; the
    /// same without the variable shows the sleep would otherwise survive.
    @Test func childrenDieWithTheirKilledSupervisor() throws {
        let meshbed = try #require(meshbedExecutable, "the meshbed binary is built next to the tests")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for follows in [true, false] {
            let log = directory.file("supervisor-\(follows).log")
            let variable = follows ? "MESHBED_SUPERVISOR_PID=$$ " : ""
            let script = "\(variable)'\(meshbed)' exec-app -- sleep 300 & echo $!; wait"
            let supervisor = try spawnShell(script, log: log)
            let child = try #require(pidLine(in: log))
            // exec-app replaced itself with sleep (same pid) once its command line says so.
            #expect(eventually { Posix.commandLine(of: child)?.first == "sleep" }, "\(contents(log))")
            #expect(Posix.sendSignal(ProcessSignal.kill, to: supervisor))  // the supervisor only, not its group
            #expect(waitForExit(supervisor) == .signaled(ProcessSignal.kill))
            if follows {
                #expect(ended(child), "the child of a killed supervisor must die")
            } else {
                #expect(!ended(child, within: 0.5), "without the variable the child outlives its parent")
                Posix.sendSignal(ProcessSignal.kill, to: child)
                #expect(ended(child))
            }
        }
    }

    @Test func procReads() throws {
        let me = Posix.processID()
        #expect(Posix.liveness(of: me) == .running)
        #expect(Posix.processIDs().contains(me))
        #expect(Posix.environment(of: me)?.isEmpty == false)
        #expect(Posix.commandLine(of: me)?.isEmpty == false)
        #expect(Posix.executablePath()?.hasPrefix("/") == true)
        #expect(Posix.liveness(of: 0) == .gone)
        #expect(Posix.environment(of: Int32.max) == nil)
    }
}
