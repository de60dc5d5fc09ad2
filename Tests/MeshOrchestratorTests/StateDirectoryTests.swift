import Foundation
import MeshOrchestrator
import Testing

/// The state file survives a write and a read unchanged; names and defaults resolve.
@Suite struct StateDirectoryTests {
    static func sampleState(name: String = "shop", supervisor: Int32 = 4242) -> MeshState {
        MeshState(
            name: name, file: "/topologies/shop.yaml", runID: "00ff", supervisorPID: supervisor, phase: .ready, mesh: true,
            control: "127.0.0.1:1000", controlPID: 11, ingress: "127.0.0.1:1001", ingressAdmin: "127.0.0.1:1002", ingressPID: 12,
            instances: [
                InstanceState(id: "web-v1-0", service: "web", version: "v1", index: 0, identity: "spiffe://meshbed.local/ns/shop/sa/web",
                              pid: 13, sidecarPID: 14, app: "127.0.0.1:1003", inbound: "127.0.0.1:1004", outbound: "127.0.0.1:1005",
                              admin: "127.0.0.1:1006"),
                InstanceState(id: "legacy-v1-0", service: "legacy", version: "v1", index: 0,
                              identity: "spiffe://meshbed.local/ns/shop/sa/legacy", app: "127.0.0.1:1007", custom: true, readyPath: nil),
            ],
            processes: [
                ProcessRecord(name: "control", role: .control, pid: 11, log: "/s/shop/logs/control.log", ready: true),
                ProcessRecord(name: "web-v1-0.app", role: .app, instance: "web-v1-0", pid: 13, log: "/s/shop/logs/web-v1-0.app.log",
                              ready: false, exit: "exited with status 1"),
            ],
            failure: nil)
    }

    @Test func roundTrip() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        try store.prepare("shop", clearLogs: false)
        let state = Self.sampleState()
        try store.write(state)
        #expect(try store.read("shop") == state)
        #expect(try store.read("other") == nil)
        // Written atomically: nothing but the state file, the Prometheus targets (a mesh) and the logs directory.
        let entries = try FileManager.default.contentsOfDirectory(atPath: store.directory(of: "shop")).sorted()
        #expect(entries == ["logs", "prometheus-targets.json", "state.json"])
        #expect(contents(store.targetsFile(of: "shop")).hasPrefix(#"[{"targets":["#))
        let text = contents(store.stateFile(of: "shop"))
        #expect(text.contains("\"phase\" : \"ready\""))
        #expect(text.contains("\"file\" : \"/topologies/shop.yaml\""))
    }

    @Test func layoutAndAbsolutePaths() {
        let store = StateDirectory("/tmp/x/../state")
        #expect(store.root == "/tmp/state")
        #expect(store.stateFile(of: "shop") == "/tmp/state/shop/state.json")
        #expect(store.logPath(of: "shop", process: "web-v1-0.app") == "/tmp/state/shop/logs/web-v1-0.app.log")
        #expect(StateDirectory().root == FileManager.default.currentDirectoryPath + "/.meshbed")
    }

    /// A state directory reached through a symbolic link has the same root (and its
    /// topologies the same marker) as through its real path, also before it exists.
    @Test func symbolicLinksAreResolved() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.file("link"), withDestinationPath: "real")
        let real = StateDirectory(directory.file("real") + "/state")
        let linked = StateDirectory(directory.file("link") + "/state")
        #expect(linked.root == real.root)
        #expect(linked.root == directory.path + "/real/state")
        #expect(linked.marker(of: "shop") == real.marker(of: "shop"))
        try real.prepare("shop", clearLogs: false)
        #expect(StateDirectory(directory.file("link") + "/state/../state").root == real.root)
        #expect(StateDirectory.absolute(directory.file("link") + "/state/shop/logs/x.log") == directory.path + "/real/state/shop/logs/x.log")
    }

    @Test func prepareClearsOldLogsOnRequest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        try store.prepare("shop", clearLogs: false)
        let log = store.logPath(of: "shop", process: "control")
        try Data("old run\n".utf8).write(to: URL(fileURLWithPath: log))
        try store.prepare("shop", clearLogs: false)
        #expect(FileManager.default.fileExists(atPath: log))
        try store.prepare("shop", clearLogs: true)
        #expect(!FileManager.default.fileExists(atPath: log))
    }

    @Test func resolvesTheOnlyTopologyOrTheOnlyRunningOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        #expect(throws: OrchestratorError.self) { try store.resolve(nil, isRunning: { _ in true }) }
        try store.prepare("shop", clearLogs: false)
        try store.write(Self.sampleState())
        #expect(try store.resolve(nil, isRunning: { _ in false }) == "shop")
        try store.prepare("lab", clearLogs: false)
        try store.write(Self.sampleState(name: "lab", supervisor: 7))
        #expect(store.names() == ["lab", "shop"])
        #expect(try store.resolve(nil, isRunning: { $0.supervisorPID == 7 }) == "lab")
        do {
            _ = try store.resolve(nil, isRunning: { _ in false })
            Issue.record("expected an error for two stopped topologies")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.message.contains("lab, shop"))
        }
        #expect(try store.resolve("shop", isRunning: { _ in false }) == "shop")
        #expect(throws: OrchestratorError.self) { try store.resolve("nope", isRunning: { _ in true }) }
    }

    @Test func corruptStateIsBadInput() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = StateDirectory(directory.path)
        try store.prepare("shop", clearLogs: false)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: store.stateFile(of: "shop")))
        do {
            _ = try store.read("shop")
            Issue.record("expected an error for a corrupt state file")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.message.contains("state.json"))
        }
    }

    @Test func childPIDsAreEveryRecordedPidOnce() {
        #expect(Self.sampleState().childPIDs.sorted() == [11, 12, 13, 14])
    }
}
