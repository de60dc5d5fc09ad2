import Foundation
import MeshIO
import MeshOrchestrator
import Testing

/// `status --json` is SPEC §5's object exactly; the table and the ready banner read well.
@Suite struct StatusReportTests {
    @Test func jsonHasExactlyTheContractKeysInOrder() throws {
        let state = StateDirectoryTests.sampleState()
        var report = StatusReport(state: state, running: true, entries: [
            StatusReport.Entry(instance: state.instances[0], ready: true),
            StatusReport.Entry(instance: state.instances[1], ready: false, paused: true),
        ])
        report.faults = [StatusReport.ActiveFault(id: "f1", spec: "{kind: abort, to: web, status: 503}")]
        let json = report.json
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["name", "state", "supervisorPID", "runtime", "stateDir", "control", "ingress", "instances", "faults", "problems"])
        #expect(object["faults"] as? [[String: String]] == [["id": "f1", "spec": "{kind: abort, to: web, status: 503}"]])
        #expect(object["state"] as? String == "degraded")
        #expect(object["supervisorPID"] as? Int == 4242)
        #expect(object["runtime"] as? String == "process")
        #expect(object["stateDir"] is NSNull)
        #expect((object["problems"] as? [Any])?.isEmpty == true)
        #expect(object["name"] as? String == "shop")
        #expect(object["control"] as? String == "127.0.0.1:1000")
        #expect(object["ingress"] as? String == "127.0.0.1:1001")
        let instances = try #require(object["instances"] as? [[String: Any]])
        #expect(instances.count == 2)
        let keys: Set<String> = ["id", "service", "version", "pid", "app", "inbound", "outbound", "admin", "ready", "identity", "certExpiry", "paused"]
        for instance in instances { #expect(Set(instance.keys) == keys) }
        #expect(instances[0]["pid"] as? Int == 13)
        #expect(instances[0]["ready"] as? Bool == true)
        #expect(instances[0]["identity"] as? String == "spiffe://meshbed.local/ns/shop/sa/web")
        #expect(instances[0]["certExpiry"] is NSNull)
        #expect(instances[1]["pid"] is NSNull && instances[1]["inbound"] is NSNull && instances[1]["ready"] as? Bool == false)
        #expect(instances[0]["paused"] as? Bool == false && instances[1]["paused"] as? Bool == true)
        #expect(json.hasPrefix("{\"name\":\"shop\",\"state\":\"degraded\",\"supervisorPID\":4242,\"runtime\":\"process\",\"stateDir\":null,\"control\":\"127.0.0.1:1000\",\"ingress\":\"127.0.0.1:1001\",\"instances\":[{\"id\":\"web-v1-0\",\"service\":\"web\",\"version\":\"v1\",\"pid\":13,\"app\":"))
    }

    @Test func tableShowsEveryInstance() {
        let state = StateDirectoryTests.sampleState()
        var report = StatusReport(state: state, running: false, entries: [
            StatusReport.Entry(instance: state.instances[0], ready: false, exit: "exited with status 1"),
            StatusReport.Entry(instance: state.instances[1], ready: true),
        ])
        report.faults = [StatusReport.ActiveFault(id: "f2", spec: "{kind: delay, to: web, delay: 1s}")]
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines.contains("  fault    f2 {kind: delay, to: web, delay: 1s}"))
        #expect(lines[0] == "shop: stopped (supervisor gone), supervisor pid 4242, runtime process")
        #expect(lines.contains { $0.hasPrefix("INSTANCE") && $0.contains("READY") })
        #expect(lines.contains { $0.hasPrefix("web-v1-0") && $0.contains("no (exited with status 1)") })
        #expect(lines.contains { $0.hasPrefix("legacy-v1-0") && $0.contains(" yes ") })
    }

    /// A state whose every process was started (pids 11...14) and none has ended.
    static func runningState() -> MeshState {
        var state = StateDirectoryTests.sampleState()
        state.processes = [
            ProcessRecord(name: "control", role: .control, pid: 11, log: "/l/control.log", ready: true),
            ProcessRecord(name: "ingress", role: .ingress, pid: 12, log: "/l/ingress.log", ready: true),
            ProcessRecord(name: "web-v1-0.app", role: .app, instance: "web-v1-0", pid: 13, log: "/l/web.app.log", ready: true),
            ProcessRecord(name: "web-v1-0.sidecar", role: .sidecar, instance: "web-v1-0", pid: 14, log: "/l/web.sidecar.log", ready: true),
        ]
        state.instances = [state.instances[0]]
        return state
    }

    static func report(_ state: MeshState, running: Bool = true, ready: Bool = true, alive: Set<Int32> = [11, 12, 13, 14]) -> StatusReport {
        let entries = state.instances.map { StatusReport.Entry(instance: $0, ready: ready) }
        let problems = running ? StatusReport.assess(state, entries: entries, isRunning: { $0.pid.map(alive.contains) ?? false }) : []
        return StatusReport(state: state, running: running, entries: entries, problems: problems)
    }

    @Test func everythingRunningAndReadyIsReady() {
        let report = Self.report(Self.runningState())
        #expect(report.problems.isEmpty)
        #expect(report.overall == .ready)
        #expect(report.table.hasPrefix("shop: ready, supervisor pid 4242"))
    }

    /// Any dead process makes the topology degraded, with how it ended: not only apps.
    @Test(arguments: [
        ("control", "exited with status 1", "control plane (pid 11) exited with status 1"),
        ("ingress", "killed by SIGILL", "ingress gateway (pid 12) killed by SIGILL"),
        ("web-v1-0.sidecar", "killed by SIGILL", "sidecar web-v1-0 (pid 14) killed by SIGILL"),
        ("web-v1-0.app", "killed by SIGKILL", "app web-v1-0 (pid 13) killed by SIGKILL"),
    ])
    func aDeadProcessDegradesTheTopology(process: String, exit: String, text: String) throws {
        var state = Self.runningState()
        let index = try #require(state.processes.firstIndex { $0.name == process })
        state.processes[index].exit = exit
        let pid = try #require(state.processes[index].pid)
        let report = Self.report(state, ready: process.hasPrefix("web") ? false : true, alive: Set([11, 12, 13, 14]).subtracting([pid]))
        #expect(report.overall == .degraded)
        #expect(report.problems.map(\.description) == [text])
        #expect(report.problems.first?.subject == process)
        #expect(report.table.contains("shop: degraded"))
        #expect(report.table.contains("  problem: \(text)"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(object["state"] as? String == "degraded")
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["reason"] as? String == exit)
        #expect(problems.first?["pid"] as? Int == Int(pid))
        #expect(problems.first?["text"] as? String == text)
    }

    /// A process that is gone before its supervisor noticed, and an instance whose processes
    /// run but whose probe fails, are problems too.
    @Test func goneProcessesAndUnreadyInstancesAreProblems() {
        let gone = Self.report(Self.runningState(), alive: [11, 13, 14])
        #expect(gone.overall == .degraded)
        #expect(gone.problems.map(\.description) == ["ingress gateway (pid 12) is not running"])
        let unready = Self.report(Self.runningState(), ready: false)
        #expect(unready.overall == .degraded)
        #expect(unready.problems.count == 1)
        #expect(unready.problems.first?.description.hasPrefix("instance web-v1-0 is not ready (GET http://127.0.0.1:1006/ready answers 200: no)") == true)
    }

    @Test func phasesAndAGoneSupervisor() {
        var state = Self.runningState()
        state.phase = .starting
        state.processes[2].pid = nil  // not started yet: not a problem
        state.processes[3].pid = nil
        let starting = Self.report(state, ready: false, alive: [11, 12])
        #expect(starting.overall == .starting)
        #expect(starting.problems.isEmpty)
        let stopped = Self.report(Self.runningState(), running: false, ready: false, alive: [])
        #expect(stopped.overall == .stopped)
        #expect(stopped.problems.isEmpty)
        #expect(stopped.table.hasPrefix("shop: stopped (supervisor gone)"))
        var failed = Self.runningState()
        failed.phase = .failed
        #expect(Self.report(failed, running: false).overall == .failed)
    }

    @Test func listJSONAndTable() throws {
        let empty = StatusList(rows: [])
        #expect(empty.json == "{\"topologies\":[]}")
        #expect(empty.table.hasPrefix("no topology is running"))
        let list = StatusList(rows: [
            StatusList.Row(name: "bookinfo", stateDirectory: "/w/.meshbed", supervisorPID: 77, state: "degraded", ready: 5, instances: 6),
            StatusList.Row(name: "lab", stateDirectory: "/tmp/s", supervisorPID: 78, state: "ready", ready: 1, instances: 1),
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(list.json.utf8)) as? [String: Any])
        let rows = try #require(object["topologies"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(Set(rows[0].keys) == ["name", "stateDir", "supervisorPID", "runtime", "state", "ready", "instances"])
        #expect(rows[0]["name"] as? String == "bookinfo" && rows[0]["ready"] as? Int == 5 && rows[0]["instances"] as? Int == 6)
        #expect(rows[0]["runtime"] as? String == "process" && rows[0]["stateDir"] as? String == "/w/.meshbed")
        let lines = list.table.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("NAME      STATE     READY  SUPERVISOR  RUNTIME  STATE DIR"), "\(lines[0])")
        #expect(lines[1].hasPrefix("bookinfo  degraded  5/6    77          process  /w/.meshbed"), "\(lines[1])")
    }

    /// The per-user index: an entry lives while its supervisor holds the topology's lock.
    @Test func indexKeepsRunningEntriesAndPrunesStaleOnes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let index = TopologyIndex(directory: directory.path + "/index")
        let store = StateDirectory(directory.path + "/state")
        #expect(index.entries().isEmpty)
        let lock = try StateLock.acquire("shop", in: store, stop: "meshbed down shop")
        defer { lock.release() }
        let me = TopologyIndex.Entry(name: "shop", stateDirectory: store.root, supervisorPID: Posix.processID(),
                                     supervisorStartTime: Posix.startTime(of: Posix.processID()))
        index.add(me)
        // Same name elsewhere, its supervisor long gone (no lock held): pruned on read.
        index.add(TopologyIndex.Entry(name: "shop", stateDirectory: directory.path + "/old", supervisorPID: Posix.processID(),
                                      supervisorStartTime: nil))
        // A reused pid: this process, but not with that start time.
        index.add(TopologyIndex.Entry(name: "lab", stateDirectory: store.root, supervisorPID: Posix.processID(),
                                      supervisorStartTime: (me.supervisorStartTime ?? 0) + 1))
        #expect(index.entries() == [me])
        #expect(try FileManager.default.contentsOfDirectory(atPath: index.directory).count == 1)
        let (found, name) = try StateDirectory.locate("shop", stateDirectory: nil, index: index)
        #expect(found == store && name == "shop")
        index.remove(name: "shop", stateDirectory: store.root)
        #expect(index.entries().isEmpty)
        #expect(TopologyIndex.standard(environment: ["MESHBED_INDEX_DIR": "/x/i", "XDG_RUNTIME_DIR": "/run/user/1"]).directory == "/x/i")
        // Not the login session's runtime directory: a detached topology outlives the session.
        #expect(TopologyIndex.standard(environment: ["XDG_RUNTIME_DIR": "/run/user/1", "HOME": "/home/u"]).directory == "/home/u/.local/state/meshbed/running")
        #expect(TopologyIndex.standard(environment: ["HOME": "/home/u"]).directory == "/home/u/.local/state/meshbed/running")
    }

    @Test func readyBannerNamesTheIngressAndACurl() {
        let state = StateDirectoryTests.sampleState()
        let text = UpReport.ready(state, stop: "Ctrl-C")
        #expect(text.contains("'shop' is ready (2 instances)"))
        #expect(text.contains("ingress  127.0.0.1:1001"))
        #expect(text.contains("curl -H 'Host: web' http://127.0.0.1:1001/"))
        var appsOnly = state
        appsOnly.mesh = false
        appsOnly.control = nil
        appsOnly.ingress = nil
        let apps = UpReport.ready(appsOnly, stop: "Ctrl-C")
        #expect(apps.contains("web-v1-0     127.0.0.1:1003"))
        #expect(apps.contains("curl http://127.0.0.1:1003/"))
    }
}
