import Foundation
import MeshTestSupport
import Testing

/// Toxiproxy's own Python client (`toxiproxy-python` from PyPI) drives a running topology's
/// control plane unchanged: it lists the proxies, adds a latency toxic whose delay the
/// requests through the mesh (strict mTLS) show, removes it, takes a proxy down and up, and
/// resets. `.ci/run` installs the client into `.build/toxiproxy-python` and names it in
/// `MESHBED_TOXIPROXY_PYTHON`; with the variable set, a missing client fails the test.
@Suite(.serialized, .enabled(if: ToxiproxyClient.directory != nil || ToxiproxyClient.required))
struct ToxiproxyClientTests {
    @Test func theToxiproxyPythonClientDrivesTheMesh() throws {
        let directory = try #require(ToxiproxyClient.directory, "toxiproxy-python is not installed where MESHBED_TOXIPROXY_PYTHON says")
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("toxic.yaml", """
            kind: Topology
            name: toxic
            mesh: {mtls: strict}
            services:
              svc: {}
              other: {}

            """)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let state = try workspace.state("toxic")
        let ingress = try #require(state["ingress"] as? String)
        let control = try #require(state["control"] as? String)

        let latency = 400
        let run = try Harness.run("python3", [ToxiproxyClient.root + "/fixtures/toxiproxy_client.py", control, ingress, "svc", String(latency)],
                                  timeout: 120, environment: ["PYTHONPATH": directory])
        try #require(run.status == 0, "\(run.stderr)")
        let out = try MeshUpTests.object(run.stdout)
        #expect(out["running"] as? Bool == true)
        #expect(out["version"] as? String == #"{"version":"2.6.0+meshbed"}"# + "\n")
        #expect(out["proxies"] as? [String] == ["other", "svc"])
        #expect(out["enabled"] as? Bool == true)
        let toxic = (out["toxics"] as? [String: [String: Any]])?["slow"]
        #expect(toxic?["type"] as? String == "latency" && toxic?["stream"] as? String == "downstream")
        #expect((toxic?["attributes"] as? [String: Int]) == ["latency": latency, "jitter": 0])

        /// The statuses and seconds of timed requests.
        func requests(_ key: String) -> [(status: Int?, seconds: Double)] {
            (out[key] as? [[Any]] ?? []).map { ($0.first as? Int, ($0.last as? Double) ?? -1) }
        }
        let seconds = Double(latency) / 1000
        for key in ["before", "slow", "after", "up"] {
            #expect(requests(key).count >= 2 && requests(key).allSatisfy { $0.status == 200 }, "\(key): \(requests(key))")
        }
        // The toxic holds each response `latency` on the ingress → svc link; without it
        // (before, after removing it) the fastest request is well below.
        #expect(requests("slow").allSatisfy { $0.seconds >= seconds }, "\(requests("slow"))")
        #expect((requests("before").map(\.seconds).min() ?? 9) < seconds, "\(requests("before"))")
        #expect((requests("after").map(\.seconds).min() ?? 9) < seconds, "\(requests("after"))")
        #expect(out["destroyed"] as? Bool == true && (out["toxics_after"] as? [String])?.isEmpty == true)

        // Down: a partition of every caller; the ingress cannot reach svc.
        #expect(out["down_enabled"] as? Bool == false && out["up_enabled"] as? Bool == true)
        #expect(requests("down").allSatisfy { ($0.status ?? 0) >= 500 }, "\(requests("down"))")

        #expect(out["reset"] as? Bool == true && (out["toxics_reset"] as? [String])?.isEmpty == true)
        #expect(out["create"] as? String == "ProxyExists")
        let list = try workspace.meshbed(["fault", "list"])
        #expect(list.stdout == "no faults in force on 'toxic'\n", "\(list.stdout)")

        // A toxic is a fault like any other: listed with its name, cleared by `fault clear`.
        let added = try MeshUpTests.curl(["-X", "POST", "-d", #"{"name": "cut", "type": "limit_data", "attributes": {"bytes": 10}}"#,
                                          "http://\(control)/proxies/other/toxics"])
        #expect(added.contains(#""name":"cut""#), "\(added)")
        let listed = try workspace.meshbed(["fault", "list"]).stdout
        #expect(listed.contains("{kind: limitData, to: other, bytes: 10} (Toxiproxy toxic 'cut')"), "\(listed)")
        #expect(try workspace.meshbed(["fault", "list", "--json"]).stdout.contains(#""toxic":"cut""#))
        #expect(try workspace.meshbed(["fault", "clear", "--all"]).status == 0)
        #expect(try MeshUpTests.curl(["http://\(control)/proxies/other/toxics"]).hasSuffix("[]\n"))
    }
}

/// Where the tests find Toxiproxy's Python client.
enum ToxiproxyClient {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Whether `.ci/run` asked for the client (then it must be there).
    static var required: Bool { !(ProcessInfo.processInfo.environment["MESHBED_TOXIPROXY_PYTHON"] ?? "").isEmpty }

    /// The directory the client is installed in (for `PYTHONPATH`), if it is.
    static var directory: String? {
        let directory = ProcessInfo.processInfo.environment["MESHBED_TOXIPROXY_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? root + "/.build/toxiproxy-python"
        return FileManager.default.fileExists(atPath: directory + "/toxiproxy/proxy.py") ? directory : nil
    }
}
