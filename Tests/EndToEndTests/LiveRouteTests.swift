import Foundation
import MeshTestSupport
import Testing

/// `meshbed route set` on a running topology: the routing every sidecar applies changes
/// (seen in the responses' versions and in the ingress's admin `/config`), bad input is one
/// line and exit 2, and routes shifted again and again under constant load cost no request.
@Suite(.serialized) struct LiveRouteTests {
    typealias Workspace = MeshUpTests.Workspace

    /// Service `svc` with versions v1 and v2 (`replicas` each), every request to v1 at first.
    static func twoVersions(_ workspace: Workspace, name: String, replicas: Int) throws -> String {
        try workspace.write("\(name).yaml", """
            kind: Topology
            name: \(name)
            mesh: {mtls: disabled}
            services:
              svc:
                versions:
                  v1: {replicas: \(replicas)}
                  v2: {replicas: \(replicas)}
            routes:
              svc:
                - split: {v1: 100, v2: 0}

            """)
    }

    /// `meshbed load --to svc --json ARGUMENTS`: responses by version, and every failure
    /// (status other than 200, or an error) counted.
    static func load(_ workspace: Workspace, _ arguments: [String]) throws -> (versions: [String: Int], failures: Int, total: Int) {
        let run = try DeadInstanceTests.load(workspace, arguments)
        let (status, errors) = DeadInstanceTests.counts(run)
        let failures = status.filter { $0.key != "200" }.values.reduce(0, +) + errors.values.reduce(0, +)
        return (run["versions"] as? [String: Int] ?? [:], failures, run["requests"] as? Int ?? 0)
    }

    /// The routes of `service` in the snapshot a sidecar's admin `/config` shows.
    static func routes(admin: String, service: String) throws -> [[String: Any]] {
        let text = try Harness.run("curl", ["-s", "-m", "2", "http://\(admin)/config"], timeout: 5).stdout
        let object = try MeshUpTests.object(text)
        let services = (object["snapshot"] as? [String: Any])?["services"] as? [String: Any]
        return (services?[service] as? [String: Any])?["routes"] as? [[String: Any]] ?? []
    }

    /// `svc: routes version N applied by S sidecars in M ms` → (N, S), or nil.
    static func applied(_ line: String) -> (version: Int, sidecars: Int)? {
        let words = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard words.count == 11, words[0] == "svc:", words[1] == "routes", words[4] == "applied", words[10] == "ms",
              let version = Int(words[3]), let sidecars = Int(words[6]), Int(words[9]) != nil else { return nil }
        return (version, sidecars)
    }

    @Test func routeSetChangesWhatEverySidecarRoutesAndRefusesBadInput() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.twoVersions(workspace, name: "live", replicas: 1)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let ingressAdmin = try #require(try workspace.state("live")["ingressAdmin"] as? String)

        let before = try Self.load(workspace, ["--requests", "100", "--concurrency", "4"])
        #expect(before.versions == ["v1": 100] && before.failures == 0, "\(before)")

        let set = try workspace.meshbed(["route", "set", "svc", "--split", "v1=0,v2=100"])
        #expect(set.status == 0, "\(set.stderr)")
        let applied = try #require(Self.applied(set.stdout), "\(set.stdout)")
        #expect(applied.sidecars == 3)  // svc-v1-0, svc-v2-0 and the ingress
        let routes = try Self.routes(admin: ingressAdmin, service: "svc")
        #expect(routes.count == 1 && routes.first?["split"] as? [String: Int] == ["v1": 0, "v2": 100], "\(routes)")
        let after = try Self.load(workspace, ["--requests", "100", "--concurrency", "4"])
        #expect(after.versions == ["v2": 100] && after.failures == 0, "\(after)")

        // A header route: only matching requests go to v1; the others to every version.
        let header = try workspace.meshbed(["route", "set", "svc", "--header", "x-canary:1", "--split", "v1=100"])
        #expect(header.status == 0, "\(header.stderr)")
        #expect((Self.applied(header.stdout)?.version ?? 0) > applied.version, "\(header.stdout)")
        let canary = try Self.load(workspace, ["--requests", "50", "--header", "x-canary: 1"])
        #expect(canary.versions == ["v1": 50], "\(canary)")
        let routesNow = try Self.routes(admin: ingressAdmin, service: "svc")
        #expect(routesNow.first?["headers"] as? [String: String] == ["x-canary": "1"], "\(routesNow)")

        // Bad input: one line naming what is wrong, exit 2, and the routes stay as they were.
        for (arguments, mentions) in [
            (["--split", "v1=50,v3=50"], "--split: unknown version 'v3' of service 'svc' (versions: v1, v2)"),
            (["--split", "v1=50,v2=40"], "--split: weights sum to 90, expected 100"),
            (["--split", "v1=100", "--topology", "nothing"], "no topology 'nothing'"),
        ] {
            let bad = try workspace.meshbed(["route", "set", "svc"] + arguments)
            #expect(bad.status == 2, "\(arguments): \(bad.stderr)")
            #expect(bad.stderr.hasPrefix("meshbed: ") && bad.stderr.contains(mentions), "\(arguments): \(bad.stderr)")
            #expect(bad.stderr.split(separator: "\n").count == 1, "\(arguments): \(bad.stderr)")
        }
        let unknown = try workspace.meshbed(["route", "set", "web", "--split", "v1=100"])
        #expect(unknown.status == 2 && unknown.stderr == "meshbed: route set: no service 'web' in topology 'live' (services: svc)\n", "\(unknown.stderr)")
        #expect(try Self.routes(admin: ingressAdmin, service: "svc").first?["headers"] as? [String: String] == ["x-canary": "1"])

        #expect(try workspace.meshbed(["down", "live"]).status == 0)
        // Nothing runs any more: bad input, not a hang.
        let stopped = try workspace.meshbed(["route", "set", "svc", "--split", "v1=100"])
        #expect(stopped.status == 2 && stopped.stderr.contains("is not running"), "\(stopped.stderr)")
    }

    @Test func routesShiftedUnderConstantLoadCostNoRequest() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.twoVersions(workspace, name: "shift", replicas: 2)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let ingressPort = try #require((try workspace.state("shift")["ingress"] as? String)?.split(separator: ":").last.flatMap { Int($0) })
        let concurrency = 8

        // Constant load through the ingress for 8 s (a bounded run), in the background.
        let result = Shared<String?>(nil)
        let finished = Shared(false)
        let stateDirectory = workspace.stateDirectory
        let environment = workspace.environment
        let thread = Thread {
            let value = try? Harness.run(Harness.meshbed, ["load", "--to", "svc", "--json", "--duration", "8s", "--concurrency", String(concurrency),
                                                           "--state-dir", stateDirectory], timeout: 120, environment: environment)
            result.update { $0 = value?.stdout }
            finished.update { $0 = true }
        }
        thread.start()
        #expect(eventually(within: 20) { DeadInstanceTests.established(toPort: ingressPort) >= concurrency }, "the load never connected")

        // Shift back and forth; each shift returns once every sidecar applied it.
        var times: [String] = []
        for split in ["v1=0,v2=100", "v1=50,v2=50", "v1=100,v2=0", "v1=10,v2=90", "v1=90,v2=10", "v1=0,v2=100"] {
            #expect(!finished.value, "the load ended before the shift to \(split)")
            let set = try workspace.meshbed(["route", "set", "svc", "--split", split])
            #expect(set.status == 0 && Self.applied(set.stdout)?.sidecars == 5, "\(split): \(set.stdout)\(set.stderr)")
            times.append(set.stdout.split(separator: " ").dropLast().last.map(String.init) ?? "?")
            Thread.sleep(forTimeInterval: 0.3)  // pacing: traffic flows on these routes a moment, not a wait for a condition
        }
        #expect(!finished.value, "the load ended before the last shift was applied")
        #expect(eventually(within: 60) { finished.value }, "the load did not end")
        let run = try MeshUpTests.object(try #require(result.value, "the load run printed no result"))
        let (status, errors) = DeadInstanceTests.counts(run)
        let versions = run["versions"] as? [String: Int] ?? [:]
        print("LiveRouteTests: 6 shifts under load applied by every sidecar in \(times.joined(separator: ", ")) ms; \(run["requests"] ?? 0) requests, status \(status), versions \(versions), errors \(errors)")
        #expect(Set(status.keys) == ["200"] && errors.isEmpty, "failed requests during the shifts: \(status) \(errors)")
        #expect((versions["v1"] ?? 0) > 0 && (versions["v2"] ?? 0) > 0, "\(versions)")
        #expect(try workspace.meshbed(["down", "shift"]).status == 0)
    }
}

/// `meshbed mtls set` on a running topology: permissive lets a plaintext client in, strict
/// (applied by every sidecar) refuses it, on the connection it was let in on and on new
/// ones; bad input and a topology without mTLS are exit 2.
@Suite(.serialized) struct LiveMTLSTests {
    typealias Workspace = MeshUpTests.Workspace

    @Test func permissiveThenStrict() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("moving.yaml", "kind: Topology\nname: moving\nmesh: {mtls: permissive}\nservices:\n  api: {}\n")
        #expect(try workspace.meshbed(["up", file, "--detach"]).status == 0)
        defer { _ = try? workspace.meshbed(["down", "moving"]) }
        let status = try MeshUpTests.status(workspace, "moving")
        let inbound = try #require((status["instances"] as? [[String: Any]])?.first?["inbound"] as? String)
        // Permissive: plaintext straight to the inbound port reaches the app. A keep-alive
        // client (Python's http.client) sends one request, has the mesh go strict, and
        // tries its second on the same connection: refused, nothing answered.
        let (host, port) = (inbound.split(separator: ":")[0], inbound.split(separator: ":")[1])
        let script = """
            import http.client, subprocess, sys
            c = http.client.HTTPConnection("\(host)", \(port), timeout=10)
            c.request("GET", "/", headers={"Host": "api"}); r = c.getresponse(); r.read(); print(r.status)
            s = subprocess.run([sys.argv[1], "mtls", "set", "strict", "--topology", "moving", "--state-dir", sys.argv[2]], capture_output=True, text=True)
            print(s.returncode); print(s.stdout.strip())
            try:
                c.request("GET", "/", headers={"Host": "api"}); r = c.getresponse(); r.read(); print(r.status)
            except Exception as e:
                print("refused:", type(e).__name__)
            """
        let run = try Harness.run("python3", ["-c", script, Harness.meshbed, workspace.stateDirectory], timeout: 60)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(run.stdout)\(run.stderr)")
        #expect(lines.first == "200")
        #expect(lines.dropFirst().first == "0", "mtls set exits 0")
        #expect(lines.dropFirst(2).first?.hasPrefix("mtls strict: version ") == true)
        #expect(lines.dropFirst(2).first?.contains("applied by 2 sidecars") == true)
        #expect(lines.last?.hasPrefix("refused:") == true, "\(run.stdout)")
        // Strict: refused at the handshake (no HTTP answer at all).
        #expect(try MeshUpTests.curl(["-H", "Host: api", "http://\(inbound)/"]).isEmpty)

        let bad = try workspace.meshbed(["mtls", "set", "disabled", "--topology", "moving"])
        #expect(bad.status == 2)
        #expect(bad.stderr == "meshbed: mtls set: expected one MODE, strict or permissive, got 'disabled'\n")
    }

    @Test func aTopologyWithoutMTLSCannotTurnItOn() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("plain.yaml", "kind: Topology\nname: plain\nmesh: {mtls: disabled}\nservices:\n  api: {}\n")
        #expect(try workspace.meshbed(["up", file, "--detach"]).status == 0)
        defer { _ = try? workspace.meshbed(["down", "plain"]) }
        let result = try workspace.meshbed(["mtls", "set", "strict", "--topology", "plain"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot change while it runs"), "\(result.stderr)")
    }
}
