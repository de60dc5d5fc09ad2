import Foundation
import MeshTestSupport
import Testing

/// Podman, if installed and answering (the engine the container runtime's tests use).
private let podmanExecutable: String? = {
    guard geteuid() == 0, let path = ["/usr/bin/podman", "/usr/local/bin/podman"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
          let version = try? Harness.run(path, ["version"], timeout: 60), version.status == 0
    else { return nil }
    return path
}()

/// `--runtime container`: a pod per instance (its app and sidecar containers sharing the
/// pod's network), the control plane and the ingress gateway in containers of their own, on
/// a bridge network of the run; the mesh on top unchanged; everything the run made removed
/// by `down`, and by the next `up` or `down` after its supervisor was killed (whose
/// containers die with it). Needs root, Podman and iproute2; skipped with that reason elsewhere.
@Suite(.serialized, .enabled(if: podmanExecutable != nil && NetnsRuntimeTests.ip != nil,
                             "--runtime container needs root, a Podman that answers and iproute2's ip"))
struct ContainerRuntimeTests {
    typealias Workspace = MeshUpTests.Workspace

    /// `podman ARGUMENTS`' standard output.
    static func podman(_ arguments: [String]) throws -> String {
        let result = try Harness.run(try #require(podmanExecutable), arguments, timeout: 120)
        try #require(result.status == 0, "podman \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    /// Everything carrying `tag`: containers, pods and networks (by label and name), namespaces and links.
    static func owned(_ tag: String) throws -> [String] {
        let filter = ["--filter", "label=io.meshbed.run=\(tag)"]
        var names: Set<String> = []
        for list in [["ps", "-a", "--format", "{{.Names}}"], ["pod", "ls", "--format", "{{.Name}}"], ["network", "ls", "--format", "{{.Name}}"]] {
            names.formUnion(try podman(list + filter).split(separator: "\n").map(String.init))
            names.formUnion(try podman(list).split(separator: "\n").map(String.init).filter { $0.contains(tag) })
        }
        return names.sorted() + (try NetnsRuntimeTests.owned(tag)) + (try hostRules(tag))
    }

    /// The host's packet filter and NAT rules that name the run's network (the engine's
    /// network plugins add them for its bridge and the ingress's published port).
    static func hostRules(_ tag: String) throws -> [String] {
        let save = ["/usr/sbin/iptables-save", "/sbin/iptables-save"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let save else { return [] }
        return try Harness.run(save, [], timeout: 30).stdout.split(separator: "\n").map(String.init).filter { $0.contains("mb\(tag)") }
    }

    @Test func bookinfoRunsInPodsAndLeavesNothingBehind() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let up = try workspace.meshbed(["up", MeshUpTests.bookinfo, "--detach", "--runtime", "container"])
        try #require(up.status == 0, "\(up.stdout)\(up.stderr)")
        let tag = try NetnsRuntimeTests.tag(workspace, "bookinfo")
        let status = try MeshUpTests.status(workspace, "bookinfo")
        #expect(status["runtime"] as? String == "container")
        let control = try #require(status["control"] as? String)
        #expect(control.hasPrefix("10.2") && control.hasSuffix(".254:15010") && (status["ingress"] as? String)?.hasPrefix("127.0.0.1:") == true)
        let instances = try #require(status["instances"] as? [[String: Any]])
        try #require(instances.count == 6)
        var addresses: Set<String> = []
        for instance in instances {
            let id = try #require(instance["id"] as? String)
            #expect(instance["namespace"] as? String == "mb-\(tag)-\(id)" && instance["pod"] as? String == "mb-\(tag)-\(id)")
            #expect(instance["containers"] as? [String] == ["mb-\(tag)-\(id)-app", "mb-\(tag)-\(id)-sidecar"], "\(instance)")
            let address = try #require((instance["admin"] as? String)?.split(separator: ":").first.map(String.init))
            addresses.insert(address)
            #expect(instance["app"] as? String == "\(address):8080" && instance["inbound"] as? String == "\(address):15006", "\(instance)")
            // The app's and the sidecar's processes run in the pod's namespace, which `up` named.
            for container in ["mb-\(tag)-\(id)-app", "mb-\(tag)-\(id)-sidecar"] {
                let pid = try Self.podman(["inspect", "--format", "{{.State.Pid}}", container]).trimmingCharacters(in: .whitespacesAndNewlines)
                let inodes = try Harness.run("stat", ["-L", "-c", "%i", "/proc/\(pid)/ns/net", "/run/netns/mb-\(tag)-\(id)"], timeout: 10).stdout
                    .split(separator: "\n")
                #expect(inodes.count == 2 && inodes[0] == inodes[1], "\(container): \(inodes)")
            }
        }
        #expect(addresses.count == 6 && addresses.allSatisfy { $0.hasPrefix("10.2") }, "\(addresses)")
        let running = try Self.podman(["ps", "--format", "{{.Names}}", "--filter", "label=io.meshbed.run=\(tag)"]).split(separator: "\n")
        #expect(running.count == 6 * 3 + 2, "\(running)")  // each pod's infra, app and sidecar; the control plane; the ingress
        #expect(try !Self.hostRules(tag).isEmpty, "the engine's rules for the run's network are listed")
        #expect(try Self.podman(["pod", "ls", "--format", "{{.Name}}", "--filter", "label=io.meshbed.run=\(tag)"]).split(separator: "\n").count == 6)

        try NetnsRuntimeTests.checkBookinfoAnswers(workspace, status)
        let table = try workspace.meshbed(["status", "bookinfo"]).stdout
        #expect(table.contains(", runtime container\n") && table.contains("  network  mb\(tag) (podman network), ")
                    && table.contains(" POD\n") && table.contains("mb-\(tag)-ratings-v1-0"), "\(table)")

        #expect(try workspace.meshbed(["down"]).status == 0)
        #expect(workspace.marked("bookinfo").isEmpty)
        let left = try Self.owned(tag)
        #expect(left.isEmpty, "left: \(left)")
    }

    @Test func aKilledSupervisorsContainersDieAndTheRestGoesWithTheNextUpOrDown() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("small.yaml", "kind: Topology\nname: small\nservices:\n  web: {calls: [api]}\n  api: {}\n")
        func upAndKill() throws -> String {
            let up = try workspace.meshbed(["up", file, "--detach", "--runtime", "container"])
            try #require(up.status == 0, "\(up.stdout)\(up.stderr)")
            #expect(workspace.marked("small").count >= 2 * 2 + 2)  // the processes in the containers carry the topology's marker
            let supervisor = try #require(try workspace.state("small")["supervisorPID"] as? Int)
            kill(pid_t(supervisor), SIGKILL)
            // Every process dies with it, those in the containers too (they watch it).
            #expect(eventually(within: 15) { workspace.marked("small").isEmpty }, "left: \(workspace.marked("small"))")
            return try NetnsRuntimeTests.tag(workspace, "small")
        }
        let first = try upAndKill()
        #expect(try !Self.owned(first).isEmpty)  // the pods, the network and the namespaces' names the supervisor could not remove
        let second = try upAndKill()
        let firstLeft = try Self.owned(first)
        #expect(firstLeft.isEmpty, "the second up leaves the first run's: \(firstLeft)")
        #expect(try workspace.meshbed(["down"]).status == 0)
        let secondLeft = try Self.owned(second)
        #expect(secondLeft.isEmpty, "left: \(secondLeft)")
    }

    @Test func partitionsAndLossArePacketFiltersInThePods() throws {
        try NetnsRuntimeTests.checkPartitionsAndLoss(runtime: "container")
    }

    @Test func appsOfYourOwnAreRefused() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try workspace.write("own.yaml", "kind: Topology\nname: own\nservices:\n  web:\n    app: {command: [python3, app.py, \"{port}\"]}\n")
        let up = try workspace.meshbed(["up", file, "--detach", "--runtime", "container"])
        #expect(up.status == 2 && up.stderr.contains("services.web.app: an app command runs a program of this machine")
                    && up.stderr.contains("not supported yet"), "\(up.stderr)")
    }

    @Test func everyExampleScenarioPassesInContainers() async throws {
        let work = try ScenarioTests.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        // Every topology's containers start and go: minutes, not seconds (each container costs the engine ~0.3 s of CPU).
        let result = try await ScenarioTests.run(["test", ScenarioTests.root + "/topologies", "--runtime", "container", "--state-dir", work + "/state"],
                                                 timeout: 900)
        #expect(result.status == 0, "\(result.stdout.suffix(2000))\(result.stderr)")
        #expect(result.stdout.contains("19 of 19 scenarios passed"), "\(result.stdout.suffix(300))")  // faults-loss.yaml too
    }
}
