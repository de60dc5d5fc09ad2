import Foundation
import MeshTestSupport
import Testing

/// iproute2's `ip`, if installed.
private let ipExecutable = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
/// Whether this machine can run `--runtime netns`: root and `ip`.
private let netnsAvailable = geteuid() == 0 && ipExecutable != nil

/// `--runtime netns`: each instance in a network namespace of its own (its app and sidecar
/// together), joined by a bridge; real addresses, the same mesh on top; everything the run
/// made removed by `down`, and by the next `up` or `down` after its supervisor was killed.
/// Needs root and iproute2's `ip`; skipped with that reason elsewhere.
@Suite(.serialized, .enabled(if: netnsAvailable, "--runtime netns needs root and iproute2's ip"))
struct NetnsRuntimeTests {
    typealias Workspace = MeshUpTests.Workspace

    static let ip = ipExecutable

    /// `ip ARGUMENTS`' standard output.
    static func ip(_ arguments: [String]) throws -> String {
        try Harness.run(try #require(ip), arguments, timeout: 10).stdout
    }

    /// The namespaces and links whose names carry `tag` (`ip netns list`, `ip -o link show`).
    static func owned(_ tag: String) throws -> [String] {
        let namespaces = try ip(["netns", "list"]).split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        let links = try ip(["-o", "link", "show"]).split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 1 ? String(fields[1].split(separator: "@")[0].filter { $0 != ":" }) : nil
        }
        return (namespaces + links).filter { $0.contains(tag) }
    }

    /// The run's tag: the first eight hex digits of the state file's run id.
    static func tag(_ workspace: Workspace, _ name: String) throws -> String {
        String(try #require(try workspace.state(name)["runID"] as? String).prefix(8))
    }

    @Test func bookinfoRunsOnNamespacesAndLeavesNothingBehind() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let up = try workspace.meshbed(["up", MeshUpTests.bookinfo, "--detach", "--runtime", "netns"])
        try #require(up.status == 0, "\(up.stdout)\(up.stderr)")
        let tag = try Self.tag(workspace, "bookinfo")
        let status = try MeshUpTests.status(workspace, "bookinfo")
        #expect(status["runtime"] as? String == "netns")
        #expect((status["control"] as? String)?.hasPrefix("10.") == true && (status["ingress"] as? String)?.hasPrefix("127.0.0.1:") == true)
        let instances = try #require(status["instances"] as? [[String: Any]])
        try #require(instances.count == 6)
        var addresses: Set<String> = []
        for instance in instances {
            let id = try #require(instance["id"] as? String)
            let namespace = try #require(instance["namespace"] as? String)
            #expect(namespace == "mb-\(tag)-\(id)")
            let address = try #require((instance["admin"] as? String)?.split(separator: ":").first.map(String.init))
            addresses.insert(address)
            #expect(instance["app"] as? String == "\(address):8080" && instance["inbound"] as? String == "\(address):15006"
                        && instance["outbound"] as? String == "\(address):15001" && instance["admin"] as? String == "\(address):15000", "\(instance)")
            // Its app and its sidecar run in its namespace.
            let state = try workspace.state("bookinfo")
            let recorded = try #require((state["instances"] as? [[String: Any]])?.first { $0["id"] as? String == id })
            for pid in [recorded["pid"], recorded["sidecarPID"]].compactMap({ $0 as? Int }) {
                #expect(try Self.ip(["netns", "identify", String(pid)]).trimmingCharacters(in: .whitespacesAndNewlines) == namespace)
            }
        }
        #expect(addresses.count == 6 && addresses.allSatisfy { $0.hasPrefix("10.2") }, "\(addresses)")
        #expect(try Self.owned(tag).count == 6 + 1 + 6)  // namespaces, the bridge, the veths' host ends

        try Self.checkBookinfoAnswers(workspace, status)
        let table = try workspace.meshbed(["status", "bookinfo"]).stdout
        #expect(table.hasPrefix("bookinfo: ready, supervisor pid ") && table.contains(", runtime netns\n")
                    && table.contains("  network  bridge mb\(tag), ") && table.contains("mb-\(tag)-ratings-v1-0"), "\(table)")

        let pids = try workspace.recordedPIDs("bookinfo")
        #expect(try workspace.meshbed(["down"]).status == 0)
        #expect(pids.filter(MeshUpTests.running).isEmpty)
        let left = try Self.owned(tag)
        #expect(left.isEmpty, "left: \(left)")
    }

    /// The mesh on top of an isolated runtime, unchanged: productpage's JSON through the
    /// ingress (on a host loopback port), and a call from inside an instance.
    static func checkBookinfoAnswers(_ workspace: Workspace, _ status: [String: Any]) throws {
        let ingress = try #require(status["ingress"] as? String)
        let response = try MeshUpTests.curl(["-H", "Host: productpage", "http://\(ingress)/"])
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response.prefix(200))")
        let body = try MeshUpTests.object(String(response[try #require(response.range(of: "\r\n\r\n")).upperBound...]))
        let calls = try #require(body["calls"] as? [[String: Any]])
        #expect(calls.map { $0["service"] as? String } == ["details", "reviews"] && calls.allSatisfy { $0["status"] as? Int == 200 }, "\(calls)")
        let fromReviews = try workspace.meshbed(["load", "--to", "ratings", "--from", "reviews", "--requests", "20", "--json"])
        #expect(try MeshUpTests.object(fromReviews.stdout)["status"] as? [String: Int] == ["200": 20], "\(fromReviews.stderr)")
    }

    @Test func aKilledSupervisorsNetworkGoesWithTheNextUpOrDown() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("small.yaml", "kind: Topology\nname: small\nservices:\n  web: {calls: [api]}\n  api: {}\n")
        func upAndKill() throws -> String {
            let up = try workspace.meshbed(["up", file, "--detach", "--runtime", "netns"])
            try #require(up.status == 0, "\(up.stdout)\(up.stderr)")
            let supervisor = try #require(try workspace.state("small")["supervisorPID"] as? Int)
            kill(pid_t(supervisor), SIGKILL)
            #expect(eventually(within: 10) { !MeshUpTests.running(pid_t(supervisor)) })
            return try Self.tag(workspace, "small")
        }
        let first = try upAndKill()
        #expect(try Self.owned(first).count == 2 + 1 + 2)  // what the supervisor could not remove
        let second = try upAndKill()
        let firstLeft = try Self.owned(first)
        #expect(firstLeft.isEmpty, "the second up leaves the first run's network: \(firstLeft)")
        #expect(try Self.owned(second).count == 5)
        #expect(try workspace.meshbed(["down"]).status == 0)
        let secondLeft = try Self.owned(second)
        #expect(secondLeft.isEmpty, "left: \(secondLeft)")
        #expect(workspace.marked("small").isEmpty)
    }

    /// TCP segments retransmitted in `namespace` so far (`/proc/net/snmp`, `Tcp: RetransSegs`).
    static func retransmits(_ namespace: String) throws -> Int {
        let lines = try ip(["netns", "exec", namespace, "cat", "/proc/net/snmp"]).split(separator: "\n").filter { $0.hasPrefix("Tcp:") }
        guard lines.count == 2 else { return -1 }
        let names = lines[0].split(separator: " "), values = lines[1].split(separator: " ")
        guard let index = names.firstIndex(of: "RetransSegs"), index < values.count else { return -1 }
        return Int(values[index]) ?? -1
    }

    @Test func partitionsAndLossArePacketFiltersInTheNamespaces() throws {
        try Self.checkPartitionsAndLoss(runtime: "netns")
    }

    /// A partition one way, then both ways, then 30% loss, on `runtime` (netns or container):
    /// rules in the namespaces, callers cut off, healed, requests through loss retransmitted.
    static func checkPartitionsAndLoss(runtime: String) throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("cut.yaml", """
            kind: Topology
            name: cut
            services:
              web: {}
              api: {}
            policies:
              api: {timeout: 20s, connectTimeout: 3s, retries: {attempts: 3, perTryTimeout: 4s, retryOn: [connect-failure, reset, gateway-error]}}

            """)
        let up = try workspace.meshbed(["up", file, "--detach", "--runtime", runtime])
        try #require(up.status == 0, "\(up.stdout)\(up.stderr)")
        let tag = try Self.tag(workspace, "cut")
        let status = try MeshUpTests.status(workspace, "cut")
        let outbound = Dictionary(uniqueKeysWithValues: (status["instances"] as? [[String: Any]] ?? []).compactMap { instance in
            (instance["service"] as? String).flatMap { service in (instance["outbound"] as? String).map { (service, $0) } }
        })
        /// One request from `from`'s app to `to` through the mesh: its status, or 0 when none came within 1.5 s.
        func call(from: String, to: String) throws -> Int {
            let result = try Harness.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "1.5", "-H", "Host: \(to)",
                                                  "http://\(try #require(outbound[from]))/"], timeout: 10)
            return Int(result.stdout) ?? 0
        }
        func rules(_ instance: String) throws -> String { try Self.ip(["netns", "exec", "mb-\(tag)-\(instance)", "iptables", "-S"]) }
        #expect(try call(from: "web", to: "api") == 200 && call(from: "api", to: "web") == 200)

        // One way, web to api: a rule in api's namespace; web's calls get nothing, api's to web still work.
        let cut = try workspace.meshbed(["fault", "add", "partition", "--from", "web", "--to", "api"])
        #expect(cut.status == 0, "\(cut.stderr)")
        #expect(try rules("api-v1-0").contains("--dport 15006 -m comment --comment \"meshbed fault f1\" -j DROP"))
        #expect(try !rules("web-v1-0").contains("meshbed fault"))
        #expect(try call(from: "web", to: "api") == 0)
        #expect(try call(from: "api", to: "web") == 200)
        #expect(try workspace.meshbed(["fault", "clear", "--all"]).status == 0)
        #expect(try !rules("api-v1-0").contains("meshbed fault"))
        #expect(try call(from: "web", to: "api") == 200, "healed")

        // Both ways.
        #expect(try workspace.meshbed(["fault", "add", "partition", "--between", "web,api"]).status == 0)
        #expect(try call(from: "web", to: "api") == 0 && call(from: "api", to: "web") == 0)
        #expect(try workspace.meshbed(["fault", "clear", "--all"]).status == 0)
        #expect(try call(from: "api", to: "web") == 200)

        // Loss: every request still succeeds, over TCP segments sent again (a try stuck behind a
        // segment lost again and again, rare but seen under load, is retried after 4s).
        let before = try Self.retransmits("mb-\(tag)-web-v1-0") + Self.retransmits("mb-\(tag)-api-v1-0")
        let loss = try workspace.meshbed(["fault", "add", "loss", "--to", "api", "--percent", "30"])
        #expect(loss.status == 0, "\(loss.stderr)")
        #expect(try rules("api-v1-0").contains("-m statistic --mode random --probability 0.2999"))
        let run = try workspace.meshbed(["load", "--to", "api", "--from", "web", "--requests", "40", "--concurrency", "4", "--json"])
        let statuses = try MeshUpTests.object(run.stdout)["status"] as? [String: Int]
        #expect(statuses == ["200": 40], "\(run.stdout.prefix(600))\(run.stderr)")
        let after = try Self.retransmits("mb-\(tag)-web-v1-0") + Self.retransmits("mb-\(tag)-api-v1-0")
        #expect(after > before, "retransmits \(before) -> \(after)")
        #expect(try workspace.meshbed(["down"]).status == 0)
        #expect(try Self.owned(tag).isEmpty)
    }

    @Test func lossIsRefusedWithoutNamespaces() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("lossy.yaml", "kind: Topology\nname: lossy\nmesh: {mtls: disabled}\nservices:\n  web: {}\nfaults:\n  - {kind: loss, to: web, percent: 5}\n")
        let up = try workspace.meshbed(["up", file, "--detach"])
        #expect(up.status == 2 && up.stderr.contains("kind loss drops packets, which only --runtime netns or container gives each instance"), "\(up.stderr)")
    }

    @Test func everyExampleScenarioPassesOnNamespaces() async throws {
        let work = try ScenarioTests.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await ScenarioTests.run(["test", ScenarioTests.root + "/topologies", "--runtime", "netns", "--state-dir", work + "/state"])
        #expect(result.status == 0, "\(result.stdout.suffix(2000))\(result.stderr)")
        #expect(result.stdout.contains("19 of 19 scenarios passed"), "\(result.stdout.suffix(300))")  // faults-loss.yaml too
    }
}
