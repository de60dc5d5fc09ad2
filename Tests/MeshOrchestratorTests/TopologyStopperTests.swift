import Foundation
import MeshIO
import MeshOrchestrator
import MeshTestSupport
import Testing

/// `down` signals only what is provably the topology's: a recorded pid now held by an
/// unrelated process, or by another topology's process, is left alone; a damaged state
/// file still stops everything that carries the topology's marker.
@Suite struct TopologyStopperTests {
    /// Starts `sleep 300` with `environment` added to ours.
    static func sleeper(_ directory: TemporaryDirectory, _ label: String, environment: [String] = []) throws -> Int32 {
        // `sleep` itself, not a shell that execs it: a second exec would be a moment in which
        // /proc/PID/environ cannot be read, after the first one showed the markers.
        try Posix.spawn(SpawnRequest(executable: "/bin/sleep", arguments: ["300"],
                                     environment: inheritedEnvironment.filter { !$0.hasPrefix("MESHBED_") } + environment,
                                     outputPath: directory.file(label + ".log")))
    }

    /// Kills and reaps those of `pids` that are still our unreaped children (never a pid
    /// that was reaped already and may belong to someone else by now).
    static func stop(_ pids: [Int32]) {
        let ours = pids.filter { statField($0, 4) == Posix.processID() }
        for pid in ours { Posix.sendSignal(ProcessSignal.kill, to: pid) }
        for pid in ours { _ = waitForExit(pid) }
    }

    /// A state file for topology `shop` whose supervisor and every child are `pids`.
    static func state(runID: String, supervisor: Int32, children: [Int32]) -> MeshState {
        var state = StateDirectoryTests.sampleState()
        state.runID = runID
        state.supervisorPID = supervisor
        state.controlPID = nil
        state.ingressPID = nil
        state.instances = state.instances.map { instance in
            var copy = instance
            copy.pid = nil
            copy.sidecarPID = nil
            return copy
        }
        state.processes = children.enumerated().map { index, pid in
            ProcessRecord(name: "p\(index)", role: .app, instance: "web-v1-0", pid: pid, log: "/dev/null",
                          startTime: Posix.startTime(of: pid))
        }
        return state
    }

    @Test func isOursNeedsTheMarkersAndTheStartTime() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = "MESHBED_STATE=" + directory.path + "/shop"
        let stranger = try Self.sleeper(directory, "stranger")
        let member = try Self.sleeper(directory, "member", environment: ["MESHBED_RUN_ID=r1", marker])
        defer { Self.stop([stranger, member]) }
        // Until exec, a child shows its parent's environment: wait until it shows its own.
        #expect(eventually { Posix.environment(of: member)?.contains(marker) == true })
        let started = try #require(Posix.startTime(of: member))
        #expect(!ProcessSweeper.isOurs(stranger, carrying: ["MESHBED_RUN_ID=r1", marker]))
        #expect(ProcessSweeper.isOurs(member, carrying: ["MESHBED_RUN_ID=r1", marker]))
        #expect(ProcessSweeper.isOurs(member, carrying: ["MESHBED_RUN_ID=r1", marker], startTime: started))
        #expect(!ProcessSweeper.isOurs(member, carrying: ["MESHBED_RUN_ID=r1", marker], startTime: started + 1), "a reused pid")
        #expect(!ProcessSweeper.isOurs(member, carrying: ["MESHBED_RUN_ID=r2", marker]), "another run")
        #expect(!ProcessSweeper.isOurs(member, carrying: ["MESHBED_RUN_ID=r1", marker + "x"]), "another topology")
    }

    /// The state file names an unrelated `sleep` as supervisor and as app, and another
    /// topology's app under this run's id: none of them is signalled; this topology's own
    /// process (found by its marker) is.
    @Test func recordedPidsOfOtherProcessesAreNotSignalled() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path + "/state")
        let other = StateDirectory(directory.path + "/elsewhere")
        try store.prepare("shop", clearLogs: false)
        let stranger = try Self.sleeper(directory, "stranger")
        let foreign = try Self.sleeper(directory, "foreign", environment: ["MESHBED_RUN_ID=run-1", other.marker(of: "shop")])
        let own = try Self.sleeper(directory, "own", environment: ["MESHBED_RUN_ID=run-1", store.marker(of: "shop")])
        defer { Self.stop([stranger, foreign, own]) }
        #expect(eventually {
            Posix.environment(of: foreign)?.contains(other.marker(of: "shop")) == true
                && Posix.environment(of: own)?.contains(store.marker(of: "shop")) == true
        })
        try store.write(Self.state(runID: "run-1", supervisor: stranger, children: [stranger, foreign]))

        let outcome = try TopologyStopper.stop("shop", in: store)
        #expect(outcome.supervisors.isEmpty, "the stranger holds no lock")
        #expect(outcome.others == [own])
        #expect(outcome.unreadableState == nil)
        #expect(waitForExit(own) == .signaled(ProcessSignal.kill))
        #expect(Posix.liveness(of: stranger) == .running)
        #expect(Posix.liveness(of: foreign) == .running)
    }

    /// Empty, truncated, missing: whatever the state file, the topology's processes go and
    /// the answer says what happened.
    @Test(arguments: ["", "{\"name\": \"shop\", \"runID\": \"ru", nil])
    func damagedStateFileStillStopsEverything(content: String?) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path + "/state")
        try store.prepare("shop", clearLogs: false)
        let lock = try StateLock.acquire("shop", in: store, stop: "meshbed down shop")
        lock.release()  // only the lock file is left, as after a supervisor that was killed
        let own = try Self.sleeper(directory, "own", environment: ["MESHBED_RUN_ID=run-1", store.marker(of: "shop")])
        let stranger = try Self.sleeper(directory, "stranger")
        defer { Self.stop([own, stranger]) }
        #expect(eventually { Posix.environment(of: own)?.contains(store.marker(of: "shop")) == true })
        if let content { try Data(content.utf8).write(to: URL(fileURLWithPath: store.stateFile(of: "shop"))) }

        let outcome = try TopologyStopper.stop("shop", in: store)
        #expect(outcome.others == [own])
        let reason = try #require(outcome.unreadableState)
        #expect(reason.contains(content == nil ? "no state file" : content == "" ? "empty" : "not JSON"), "\(reason)")
        #expect(waitForExit(own) == .signaled(ProcessSignal.kill))
        #expect(Posix.liveness(of: stranger) == .running)
    }

    /// Runs the built `meshbed ARGUMENTS` with an index of its own in `directory` and waits
    /// (bounded) for its exit status; its output goes to `directory/LOG`.
    static func meshbed(_ arguments: [String], _ directory: TemporaryDirectory, log: String) throws -> ChildStatus? {
        let executable = try #require(meshbedExecutable, "the meshbed executable is built with the tests")
        let environment = inheritedEnvironment.filter { !$0.hasPrefix("MESHBED_") } + ["MESHBED_INDEX_DIR=" + directory.file("index")]
        let pid = try Posix.spawn(SpawnRequest(executable: executable, arguments: arguments, environment: environment,
                                               outputPath: directory.file(log)))
        return waitForExit(pid, within: 90)
    }

    /// A one-service topology `shop` (apps only, with `--no-mesh`).
    static func shopTopology(_ directory: TemporaryDirectory) throws -> String {
        let file = directory.file("shop.yaml")
        try Data("kind: Topology\nname: shop\nmesh: {mtls: disabled}\nservices:\n  web:\n    versions:\n      v1: {replicas: 2}\n".utf8)
            .write(to: URL(fileURLWithPath: file))
        return file
    }

    /// `down` stops the old supervisor; before it sweeps, a new `up --detach` starts the
    /// topology again (the lock is free once the old supervisor is gone). That new run is
    /// neither swept nor marked stopped, `down` says so, and a second `down` stops it.
    @Test func downLeavesANewRunAlone() throws {
        let directory = try TemporaryDirectory()
        let store = StateDirectory(directory.path + "/state")
        defer {
            _ = try? TopologyStopper.stop("shop", in: store)
            directory.remove()
        }
        let up = ["up", try Self.shopTopology(directory), "--detach", "--no-mesh", "--state-dir", store.root]
        try #require(try Self.meshbed(up, directory, log: "up1.log") == .exited(0), "\(contents(directory.file("up1.log")))")
        let first = try #require(try store.read("shop"))

        var second: MeshState?
        let outcome = try TopologyStopper.stop("shop", in: store, supervisorsGone: {
            let status = try? Self.meshbed(up, directory, log: "up2.log")
            #expect(status == .exited(0), "\(contents(directory.file("up2.log")))")
            second = try? store.read("shop")
        })
        let started = try #require(second)
        #expect(started.runID != first.runID)
        #expect(outcome.supervisors == [first.supervisorPID])
        #expect(outcome.newRun == started.supervisorPID)
        #expect(first.childPIDs.allSatisfy { !Posix.liveness(of: $0).isAlive }, "the old run is gone")
        let now = try #require(try store.read("shop"))
        #expect(now.runID == started.runID)
        #expect(now.phase == .ready, "the new run's state is untouched")
        let marker = ["MESHBED_RUN_ID=" + started.runID, store.marker(of: "shop")]
        #expect(!started.childPIDs.isEmpty)
        #expect(started.childPIDs.allSatisfy { ProcessSweeper.isOurs($0, carrying: marker) }, "the new run's processes still run")

        let last = try TopologyStopper.stop("shop", in: store)
        #expect(last.supervisors == [started.supervisorPID])
        #expect(last.newRun == nil)
        #expect(ended(started.supervisorPID, within: 20))
        #expect(ProcessSweeper.members(carrying: [store.marker(of: "shop")]).isEmpty)
        #expect(try store.read("shop")?.phase == .stopped)
    }

    /// A topology of an earlier build: no lock file, its processes carry its run id but no
    /// marker, its state has no supervisor start time. The recorded supervisor (a running
    /// `up`) gets SIGTERM and everything of the run goes; another run's process stays.
    @Test func aTopologyOfAnEarlierBuildIsStoppedByItsRunID() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path + "/state")
        try store.prepare("shop", clearLogs: false)
        // `/bin/sh up`: a process whose command is `… up`, like a supervisor; it runs `sleep` as its child.
        try Data("sleep 300\n:\n".utf8).write(to: URL(fileURLWithPath: directory.file("up")))
        let run = "MESHBED_RUN_ID=legacy-1"
        let supervisor = try Posix.spawn(SpawnRequest(
            executable: "/bin/sh", arguments: ["-c", "cd \"$0\" && exec /bin/sh up", directory.path],
            environment: inheritedEnvironment.filter { !$0.hasPrefix("MESHBED_") } + [run],
            outputPath: directory.file("supervisor.log"), newSession: true))
        let app = try Self.sleeper(directory, "app", environment: [run])
        let stranger = try Self.sleeper(directory, "stranger", environment: ["MESHBED_RUN_ID=legacy-2"])
        defer {
            Posix.sendSignal(ProcessSignal.kill, toGroup: supervisor)
            Self.stop([supervisor, app, stranger])
        }
        #expect(eventually { Posix.commandLine(of: supervisor)?.dropFirst().first == "up" && ProcessSweeper.members(carrying: [run]).count == 3 })
        let members = ProcessSweeper.members(carrying: [run])
        var state = Self.state(runID: "legacy-1", supervisor: supervisor, children: [app])
        state.supervisorStartTime = nil
        try store.write(state)
        #expect(!FileManager.default.fileExists(atPath: store.lockFile(of: "shop")))

        let outcome = try TopologyStopper.stop("shop", in: store)
        #expect(outcome.supervisors == [supervisor])
        #expect(waitForExit(supervisor) == .signaled(ProcessSignal.terminate))
        #expect(waitForExit(app) == .signaled(ProcessSignal.kill))
        #expect(members.allSatisfy { ended($0) }, "the supervisor's own child too")
        #expect(ProcessSweeper.members(carrying: [run]).isEmpty)
        #expect(Posix.liveness(of: stranger) == .running)
        #expect(try store.read("shop")?.phase == .stopped)
    }

    /// The lock: a second taker is refused with the holder's pid and command.
    @Test func aHeldLockNamesItsHolder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        let lock = try StateLock.acquire("shop", in: store, stop: "meshbed down shop")
        lock.recordOwner()
        #expect(StateLock.isHeld("shop", in: store, by: Posix.processID()))
        #expect(StateLock.owner(of: "shop", in: store)?.pid == Posix.processID())
        do {
            _ = try StateLock.acquire("shop", in: store, stop: "meshbed down shop")
            Issue.record("a second lock on one topology")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.message.contains("'shop' is already running (supervisor pid \(Posix.processID()), started with '"), "\(error.message)")
            #expect(error.message.contains("stop it with 'meshbed down shop'"))
        }
        lock.release()
        #expect(!StateLock.isHeld("shop", in: store, by: Posix.processID()))
        // Free again. (A child another test forks at that instant holds a copy of the
        // descriptor until it execs, so the lock is retaken with a deadline, not at once.)
        #expect(eventually(within: 30) {
            guard let retaken = try? Posix.lockExclusively(store.lockFile(of: "shop")) else { return false }
            Posix.close(retaken)
            return true
        })
    }
}
