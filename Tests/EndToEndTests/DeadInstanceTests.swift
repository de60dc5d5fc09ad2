import Foundation
import Glibc
import MeshTestSupport
import Testing

/// A dead instance stops costing callers requests: with one of ten instances dead (its
/// removal held back) callers see no reset and no failure the mesh could have avoided, and
/// everything succeeds once the control plane dropped it; instances killed under constant
/// load cost at most the requests that were in flight.
@Suite(.serialized) struct DeadInstanceTests {
    typealias Workspace = MeshUpTests.Workspace

    static func tenInstances(_ workspace: Workspace, name: String) throws -> String {
        try workspace.write("\(name).yaml", """
            kind: Topology
            name: \(name)
            mesh: {mtls: disabled}
            services:
              svc: {replicas: 10}

            """)
    }

    /// `meshbed load --to svc ... --json` with the workspace's state directory, parsed.
    static func load(_ workspace: Workspace, _ arguments: [String]) throws -> [String: Any] {
        try load(stateDirectory: workspace.stateDirectory, arguments)
    }

    static func load(stateDirectory: String, _ arguments: [String]) throws -> [String: Any] {
        let result = try Harness.run(Harness.meshbed, ["load", "--to", "svc", "--json"] + arguments + ["--state-dir", stateDirectory], timeout: 120)
        return try MeshUpTests.object(result.stdout)
    }

    /// Status code → count, and errors by kind, of a load result.
    static func counts(_ result: [String: Any]) -> (status: [String: Int], errors: [String: Int]) {
        (result["status"] as? [String: Int] ?? [:], result["errorsByKind"] as? [String: Int] ?? [:])
    }

    /// The instance ids in an admin `/config` or the control plane's current snapshot.
    static func routedIDs(_ url: String) -> Set<String>? {
        guard let text = try? Harness.run("curl", ["-s", "-m", "2", url], timeout: 5).stdout,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        let snapshot = object["snapshot"] as? [String: Any] ?? object
        var ids: Set<String> = []
        for case let service as [String: Any] in (snapshot["services"] as? [String: Any] ?? [:]).values {
            for case let endpoints as [[String: Any]] in (service["versions"] as? [String: Any] ?? [:]).values {
                for endpoint in endpoints { if let id = endpoint["id"] as? String { ids.insert(id) } }
            }
        }
        return ids
    }

    /// How many established TCP connections go to local `port` (from /proc/net/tcp).
    static func established(toPort port: Int) -> Int {
        let hex = String(port, radix: 16, uppercase: true)
        let local = ":" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        var count = 0
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            for line in (Harness.readProc(table) ?? "").split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 3, fields[1].hasSuffix(local), fields[3] == "01" { count += 1 }
            }
        }
        return count
    }

    /// Every instance's pids and the addresses to ask what is routed: control plane and ingress.
    struct Mesh {
        var instances: [String: (app: Int32, sidecar: Int32)] = [:]
        var supervisor: Int32 = 0
        var control = ""
        var ingressAdmin = ""
        var ingressPort = 0

        init(_ workspace: Workspace, _ name: String) throws {
            let state = try workspace.state(name)
            supervisor = Int32(try #require(state["supervisorPID"] as? Int))
            control = try #require(state["control"] as? String)
            ingressAdmin = try #require(state["ingressAdmin"] as? String)
            ingressPort = try #require((state["ingress"] as? String)?.split(separator: ":").last.flatMap { Int($0) })
            for instance in state["instances"] as? [[String: Any]] ?? [] {
                let id = try #require(instance["id"] as? String)
                instances[id] = (Int32(try #require(instance["pid"] as? Int)), Int32(try #require(instance["sidecarPID"] as? Int)))
            }
        }

        /// Whether neither the control plane nor the ingress routes to `id` any more.
        func removed(_ id: String) -> Bool {
            guard let control = routedIDs("http://\(control)/v1/snapshot/current"), !control.contains(id),
                  let ingress = routedIDs("http://\(ingressAdmin)/config"), !ingress.contains(id) else { return false }
            return !control.isEmpty && !ingress.isEmpty
        }
    }

    @Test
    func oneDeadOfTenCostsNoResetAndAllSucceedOnceRemoved() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.tenInstances(workspace, name: "ten")
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let mesh = try Mesh(workspace, "ten")
        let dead = "svc-v1-3"
        let pids = try #require(mesh.instances[dead])

        // Hold the supervisor so that the control plane does not hear of the death: the
        // instance stays in every snapshot (until its heartbeats time out), as a removal that
        // has not arrived yet.
        kill(mesh.supervisor, SIGSTOP)
        defer { kill(mesh.supervisor, SIGCONT) }
        kill(pids.sidecar, SIGKILL)
        kill(pids.app, SIGKILL)
        let during = try Self.load(workspace, ["--requests", "1000", "--concurrency", "10"])
        let (status, errors) = Self.counts(during)
        print("DeadInstanceTests: one of ten dead, not removed: status \(status), errors \(errors)")
        #expect(errors.isEmpty, "resets or connect errors: \(errors)")
        #expect(Set(status.keys).isSubset(of: ["200", "503"]), "\(status)")
        #expect(status.values.reduce(0, +) == 1000)

        kill(mesh.supervisor, SIGCONT)
        #expect(eventually(within: 15) { mesh.removed(dead) }, "\(dead) was never removed")
        let after = try Self.load(workspace, ["--requests", "1000", "--concurrency", "10"])
        #expect(Self.counts(after).status == ["200": 1000], "\(Self.counts(after))")
        #expect(Self.counts(after).errors.isEmpty)
        #expect(try workspace.meshbed(["down", "ten"]).status == 0)
    }

    @Test
    func killsUnderConstantLoadCostAtMostTheRequestsInFlight() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.tenInstances(workspace, name: "tenload")
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let mesh = try Mesh(workspace, "tenload")
        let concurrency = 8

        // Constant load through the ingress for 8 s (a bounded run), in the background.
        let result = Shared<String?>(nil)
        let finished = Shared(false)
        let stateDirectory = workspace.stateDirectory
        let thread = Thread {
            let value = try? Harness.run(Harness.meshbed, ["load", "--to", "svc", "--json", "--duration", "8s",
                                                           "--concurrency", String(concurrency), "--state-dir", stateDirectory], timeout: 120)
            result.update { $0 = value?.stdout }
            finished.update { $0 = true }
        }
        thread.start()
        // The load is under way once its connections to the ingress are established.
        #expect(eventually(within: 20) { Self.established(toPort: mesh.ingressPort) >= concurrency }, "the load never connected")

        // An app first (its sidecar stays: it answers that the app refused), then a sidecar
        // (its app stays, unreachable). Each time: the kill, then until neither the control
        // plane nor the ingress routes to the instance.
        var removal: [String] = []
        for (id, which) in [("svc-v1-2", "app"), ("svc-v1-5", "sidecar")] {
            #expect(!finished.value, "the load ended before the \(which) was killed")
            let pids = try #require(mesh.instances[id])
            let killed = Date()
            kill(which == "app" ? pids.app : pids.sidecar, SIGKILL)
            #expect(eventually(within: 10) { mesh.removed(id) }, "\(id) was never removed")
            removal.append("\(which) \(Int(Date().timeIntervalSince(killed) * 1000)) ms")
        }
        #expect(eventually(within: 60) { finished.value }, "the load did not end")
        let run = try MeshUpTests.object(try #require(result.value, "the load run printed no result"))
        let (status, errors) = Self.counts(run)
        let failures = status.filter { $0.key != "200" }.values.reduce(0, +) + errors.values.reduce(0, +)
        print("DeadInstanceTests: under load (concurrency \(concurrency)): \(run["requests"] ?? 0) requests, status \(status), errors \(errors); removal seen (curl polling) after \(removal.joined(separator: ", "))")
        #expect(failures <= 2 * concurrency, "more failures than requests in flight at the two kills: \(status) \(errors)")

        let after = try Self.load(workspace, ["--requests", "500", "--concurrency", "10"])
        #expect(Self.counts(after).status == ["200": 500], "\(Self.counts(after))")
        #expect(try workspace.meshbed(["down", "tenload"]).status == 0)
    }
}
