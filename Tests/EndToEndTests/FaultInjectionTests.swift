import Foundation
import MeshTestSupport
import Testing

/// Faults on a running topology with strict mTLS (so they act on decrypted traffic): the
/// topology's own faults from the first request, `meshbed fault add/list/clear`, delays the
/// client measures, server-side aborts behind the caller's retries, seeded replay, and a
/// process fault from a second process while load runs.
@Suite(.serialized) struct FaultInjectionTests {
    typealias Workspace = MeshUpTests.Workspace

    static func topology(_ workspace: Workspace, name: String, replicas: Int = 1, faults: String) throws -> String {
        try workspace.write("\(name).yaml", """
            kind: Topology
            name: \(name)
            mesh: {mtls: strict}
            services:
              svc: {replicas: \(replicas)}
            policies:
              svc:
                retries: {attempts: 3, retryOn: [5xx]}
            faults:
            \(faults)

            """)
    }

    /// The statuses of `count` requests sent one after the other through the ingress.
    static func statuses(_ ingress: String, count: Int, headers: [String] = []) throws -> [Int] {
        var arguments = ["-s", "-m", "10", "-H", "Host: svc"]
        for header in headers { arguments += ["-H", header] }
        // `-o` goes with one URL: each response's body to /dev/null, only the codes printed.
        for _ in 0..<count { arguments += ["-o", "/dev/null", "-w", "%{http_code}\\n", "http://\(ingress)/"] }
        let output = try Harness.run("curl", arguments, timeout: 60).stdout
        return output.split(separator: "\n").compactMap { Int($0) }
    }

    @Test func faultsFromTheTopologyAndLive() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.topology(workspace, name: "faulty", faults: #"  - {kind: abort, to: svc, status: 503, requests: "3-5"}"#)
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let ingress = try #require(try workspace.state("faulty")["ingress"] as? String)

        // In force before the first request: exactly the 3rd to 5th fail.
        #expect(try Self.statuses(ingress, count: 7) == [200, 200, 503, 503, 503, 200, 200])

        // Live: every request answered 418 until cleared; fault list counts them.
        let add = try workspace.meshbed(["fault", "add", "abort", "--to", "svc", "--status", "418", "--body", "teapot"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.hasPrefix("fault f2 added: {kind: abort, to: svc, status: 418, body: \"teapot\"}; version "), "\(add.stdout)")
        let teapots = try Self.statuses(ingress, count: 5)
        #expect(teapots == [418, 418, 418, 418, 418], "\(teapots)")
        let body = try MeshUpTests.curl(["-H", "Host: svc", "http://\(ingress)/"])
        #expect(body.hasSuffix("\r\n\r\nteapot"), "\(body)")
        let list = try workspace.meshbed(["fault", "list", "--json"])
        let faults = try MeshUpTests.object(list.stdout)["faults"] as? [[String: Any]] ?? []
        #expect(faults.map { $0["id"] as? String } == ["f1", "f2"])
        #expect(faults.last?["injected"] as? Int == 6, "\(list.stdout)")
        #expect(faults.first?["matched"] as? Int == 13, "\(list.stdout)")  // f1 goes on counting: 7 + 6
        let inForce = try MeshUpTests.status(workspace, "faulty")["faults"] as? [[String: String]]
        #expect(inForce?.map { $0["id"] } == ["f1", "f2"], "\(String(describing: inForce))")
        let clear = try workspace.meshbed(["fault", "clear", "f2"])
        #expect(clear.status == 0, "\(clear.stderr)")
        #expect(try Self.statuses(ingress, count: 3) == [200, 200, 200])

        // A delay the client measures (no retry, no timeout in between).
        #expect(try workspace.meshbed(["fault", "add", "delay", "--to", "svc", "--delay", "400ms"]).status == 0)
        let timed = try Harness.run("curl", ["-s", "-o", "/dev/null", "-m", "10", "-H", "Host: svc", "-w", "%{http_code} %{time_total}", "http://\(ingress)/"], timeout: 20).stdout
        let parts = timed.split(separator: " ")
        #expect(parts.first == "200", "\(timed)")
        #expect((Double(parts.last ?? "") ?? 0) >= 0.4, "\(timed)")
        #expect(try workspace.meshbed(["fault", "clear", "--all"]).status == 0)

        // Server side: the instance's own sidecar answers the first two attempts 503; the
        // ingress retries (5xx) and the third attempt gets through.
        #expect(try workspace.meshbed(["fault", "add", "abort", "--to", "svc", "--status", "503", "--side", "server", "--first", "2"]).status == 0)
        let explained = try MeshUpTests.curl(["-H", "Host: svc", "-H", "x-meshbed-explain: 1", "http://\(ingress)/"])
        #expect(explained.hasPrefix("HTTP/1.1 200"), "\(explained)")
        let ingressRecord = explained.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-meshbed-explain:") && $0.contains(#""mode":"gateway""#) }
        #expect(ingressRecord.map { $0.components(separatedBy: #""endpoint":"#).count - 1 } == 3, "\(explained)")

        // Mistakes: one line, exit 2.
        let unknown = try workspace.meshbed(["fault", "add", "abort", "--to", "svx", "--status", "503"])
        #expect(unknown.status == 2 && unknown.stderr.contains("to: unknown service 'svx'"), "\(unknown.stderr)")
        let refused = try workspace.meshbed(["fault", "add", "--spec", "{kind: pause, service: svc, duration: 5s}"])
        #expect(refused.status == 2 && refused.stderr.contains("not supported yet"), "\(refused.stderr)")
        let noID = try workspace.meshbed(["fault", "clear", "f99"])
        #expect(noID.status == 2 && noID.stderr.contains("no fault 'f99'"), "\(noID.stderr)")
        #expect(try workspace.meshbed(["down", "faulty"]).status == 0)
    }

    /// Link faults act on the bytes between the sidecars, under TLS: a latency the client
    /// measures (on a connection pooled before the fault: retired, a new one carries it),
    /// a reset that fails the request, and back to normal when cleared.
    @Test func linkFaultsUnderTLS() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.topology(workspace, name: "links", faults: "  []")
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let ingress = try #require(try workspace.state("links")["ingress"] as? String)
        #expect(try Self.statuses(ingress, count: 3) == [200, 200, 200])  // pools a connection to svc

        func timed() throws -> (status: String, seconds: Double) {
            let text = try Harness.run("curl", ["-s", "-o", "/dev/null", "-m", "10", "-H", "Host: svc", "-w", "%{http_code} %{time_total}", "http://\(ingress)/"], timeout: 20).stdout
            let parts = text.split(separator: " ")
            return (String(parts.first ?? ""), Double(parts.last ?? "") ?? 0)
        }
        let add = try workspace.meshbed(["fault", "add", "latency", "--to", "svc", "--latency", "300ms"])
        #expect(add.status == 0, "\(add.stderr)")
        for _ in 0..<2 {
            let (status, seconds) = try timed()
            #expect(status == "200" && seconds >= 0.3, "\(status) \(seconds)")
        }
        let ingressAdmin = try #require(try workspace.state("links")["ingressAdmin"] as? String)
        func stat(_ name: String) throws -> Int {
            let text = try Harness.run("curl", ["-s", "-m", "2", "http://\(ingressAdmin)/stats"], timeout: 5).stdout
            return try MeshUpTests.object(text)[name] as? Int ?? -1
        }
        #expect(try stat("toxicBytesDelayed") > 0)
        #expect(try workspace.meshbed(["fault", "clear", "--all"]).status == 0)
        #expect(try Self.statuses(ingress, count: 2) == [200, 200])

        // A reset at the first byte of each request: every attempt fails; the caller answers 5xx.
        #expect(try workspace.meshbed(["fault", "add", "reset", "--to", "svc", "--direction", "upstream"]).status == 0)
        let reset = try Self.statuses(ingress, count: 2)
        #expect(reset.allSatisfy { $0 >= 500 }, "\(reset)")
        #expect(try stat("toxicResets") > 0)
        #expect(try workspace.meshbed(["fault", "clear", "--all"]).status == 0)
        #expect(try Self.statuses(ingress, count: 2) == [200, 200])
        #expect(try workspace.meshbed(["down", "links"]).status == 0)
    }

    /// A partition: the caller's sidecar opens no connection (its requests fail at once as
    /// connect failures, 503) and the open ones carry nothing; heal brings traffic back
    /// without restarting anything.
    @Test func partitionAndHeal() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.topology(workspace, name: "cut", faults: "  []")
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let ingress = try #require(try workspace.state("cut")["ingress"] as? String)
        #expect(try Self.statuses(ingress, count: 2) == [200, 200])
        let add = try workspace.meshbed(["fault", "add", "partition", "--between", "ingress,svc"])
        #expect(add.status == 0, "\(add.stderr)")
        let cut = try Self.statuses(ingress, count: 3)
        #expect(cut == [503, 503, 503], "\(cut)")
        let body = try MeshUpTests.curl(["-H", "Host: svc", "http://\(ingress)/"])
        #expect(body.contains("partitioned") || body.contains("UF"), "\(body)")
        #expect(try workspace.meshbed(["fault", "clear", "--all"]).status == 0)
        #expect(try Self.statuses(ingress, count: 2) == [200, 200])
        #expect(try workspace.meshbed(["down", "cut"]).status == 0)
    }

    /// The same seed faults the same requests; the process is started anew each time.
    @Test func theSameSeedFaultsTheSameRequests() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.topology(workspace, name: "seeded", faults: "  - {kind: abort, to: svc, status: 500, percent: 30}")
        var runs: [[Int]] = []
        for seed in ["7", "7", "8"] {
            let up = try workspace.meshbed(["up", file, "--detach", "--seed", seed])
            try #require(up.status == 0, "\(up.stderr)")
            let ingress = try #require(try workspace.state("seeded")["ingress"] as? String)
            runs.append(try Self.statuses(ingress, count: 40))
            #expect(try workspace.meshbed(["down", "seeded"]).status == 0)
        }
        #expect(runs[0].count == 40 && runs[0].contains(500) && runs[0].contains(200), "\(runs[0])")
        #expect(runs[0] == runs[1])
        #expect(runs[0] != runs[2])
    }

    /// `fault add kill` from a second process while `meshbed load` runs: the killed instance
    /// is gone, the load finishes, its requests went to the other instance.
    @Test func killFromASecondProcessWhileLoadRuns() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let file = try Self.topology(workspace, name: "victim", replicas: 2, faults: "  []")
        let up = try workspace.meshbed(["up", file, "--detach"])
        try #require(up.status == 0, "\(up.stderr)")
        let load = Process()
        load.executableURL = URL(fileURLWithPath: Harness.meshbed)
        load.arguments = ["load", "--to", "svc", "--duration", "3s", "--concurrency", "2", "--json", "--state-dir", workspace.stateDirectory]
        let output = Pipe()
        load.standardOutput = output
        load.standardError = FileHandle.nullDevice
        try load.run()
        let kill = try workspace.meshbed(["fault", "add", "kill", "svc/v1/1"])
        #expect(kill.status == 0 && kill.stdout == "killed svc-v1-1\n", "\(kill.stdout) \(kill.stderr)")
        let result = try MeshUpTests.object(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        load.waitUntilExit()
        #expect(((result["status"] as? [String: Int])?["200"] ?? 0) > 0, "\(result)")
        let instances = try MeshUpTests.status(workspace, "victim")["instances"] as? [[String: Any]] ?? []
        let killed = instances.first { $0["id"] as? String == "svc-v1-1" }
        #expect(killed?["ready"] as? Bool == false, "\(instances)")
        let pause = try workspace.meshbed(["fault", "add", "pause", "svc/v1/0"])
        #expect(pause.status == 0 && pause.stdout == "paused svc-v1-0\n", "\(pause.stdout) \(pause.stderr)")
        let paused = (try MeshUpTests.status(workspace, "victim")["instances"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "svc-v1-0" }
        #expect(paused?["paused"] as? Bool == true && paused?["ready"] as? Bool == false, "\(String(describing: paused))")
        let resume = try workspace.meshbed(["fault", "clear", "--all"])
        #expect(resume.status == 0 && resume.stdout.contains("every instance resumed"), "\(resume.stdout) \(resume.stderr)")
        let bad = try workspace.meshbed(["fault", "add", "kill", "svc/v3"])
        #expect(bad.status == 2 && bad.stderr.contains("no instance 'svc/v3'"), "\(bad.stderr)")
        #expect(try workspace.meshbed(["down", "victim"]).status == 0)
    }
}
