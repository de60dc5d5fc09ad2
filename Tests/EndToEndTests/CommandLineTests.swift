import Foundation
import Testing

/// The `meshbed` binary's command line: bad input is one line and exit 2; load runs end to end.
@Suite struct CommandLineTests {
    func meshbed(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Harness.run(Harness.meshbed, arguments, timeout: 30)
    }

    func expectUsageError(_ arguments: [String], mentions: String) throws {
        let result = try meshbed(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr.hasPrefix("meshbed: "))
        #expect(result.stderr.contains(mentions), "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func badInputIsOneLineAndExit2() throws {
        try expectUsageError([], mentions: "usage")
        try expectUsageError(["ehco"], mentions: "did you mean 'echo'")
        try expectUsageError(["echo", "--prot", "1"], mentions: "did you mean '--port'")
        try expectUsageError(["echo", "--port", "http"], mentions: "--port")
        try expectUsageError(["echo", "--port", "70000"], mentions: "--port")
        try expectUsageError(["echo", "--latency", "fast"], mentions: "--latency")
        try expectUsageError(["echo", "--latency", "-5ms"], mentions: "--latency")
        try expectUsageError(["echo", "--error-rate", "150"], mentions: "--error-rate")
        try expectUsageError(["echo", "--service", "Bad Name"], mentions: "--service")
        try expectUsageError(["echo", "--bind", "example.com"], mentions: "--bind")
        try expectUsageError(["load"], mentions: "--url")
        try expectUsageError(["load", "--url", "https://127.0.0.1/"], mentions: "--url")
        try expectUsageError(["load", "--url", "http://127.0.0.1:1/", "--requests", "0"], mentions: "--requests")
        try expectUsageError(["load", "--url", "http://127.0.0.1:1/", "--requests", "5", "--duration", "1s"], mentions: "exclude")
        try expectUsageError(["load", "--url", "http://127.0.0.1:1/", "--rate", "fast"], mentions: "--rate")
        try expectUsageError(["load", "--url", "http://127.0.0.1:1/", "--rate", "1e-300"], mentions: "from 0.01")
        try expectUsageError(["load", "--url", "http://127.0.0.1:1/", "--header", "nocolon"], mentions: "--header")
        let gateway = ["proxy", "--gateway", "--port", "0", "--control", "127.0.0.1:1"]
        try expectUsageError(gateway + ["--upstream-timeout", "soon"], mentions: "--upstream-timeout")
        try expectUsageError(gateway + ["--upstream-timeout", "10us"], mentions: "at least 1ms")
    }

    /// `meshbed COMMAND --help` and `meshbed help COMMAND` print the same help and exit 0,
    /// for every command the global help lists (and the internal ones).
    @Test func everyCommandAnswersHelp() throws {
        let global = try meshbed(["help"])
        #expect(global.status == 0 && global.stderr.isEmpty)
        #expect(try meshbed(["--help"]).stdout == global.stdout)
        let listed = global.stdout.split(separator: "\n", omittingEmptySubsequences: false).drop { $0 != "commands:" }.dropFirst().prefix { !$0.isEmpty }
            .map { String($0.dropFirst(2).prefix { $0 != " " }) }
        #expect(listed.count >= 12, "\(global.stdout)")
        for command in listed + ["exec-app"] {
            let flag = try meshbed([command, "--help"])
            #expect(flag.status == 0, "\(command): \(flag.stderr)")
            #expect(flag.stdout.hasPrefix("usage: meshbed \(command)"), "\(command)")
            let topic = try meshbed(["help", command])
            #expect(topic.status == 0 && topic.stdout == flag.stdout, "\(command)")
        }
        try expectUsageError(["help", "uq"], mentions: "did you mean 'up'")
    }

    /// No topology to send to (none in the state directory, or not the one named): one line
    /// on standard error and exit 3, not a report of connect errors.
    @Test func loadWithoutATargetIsOneLineAndExit3() throws {
        for arguments in [["--to", "reviews", "--state-dir", "/nonexistent-meshbed"],
                          ["--to", "reviews", "--topology", "nosuch", "--state-dir", "/nonexistent-meshbed"]] {
            let result = try meshbed(["load"] + arguments)
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("meshbed: --to reviews: no topology"), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    /// `--to` against a topology: a service it lacks, or the topology once it is down (its
    /// state file is still there, its ports are not), is no target: one line and exit 3.
    @Test func loadToAStoppedTopologyOrAMissingServiceIsExit3() throws {
        let workspace = try MeshUpTests.Workspace()
        defer { workspace.cleanUp() }
        #expect(try workspace.meshbed(["up", MeshUpTests.bookinfo, "--detach"]).status == 0)
        let missing = try workspace.meshbed(["load", "--to", "nosuch", "--requests", "5"])
        #expect(missing.status == 3, "\(missing.stderr)")
        #expect(missing.stderr == "meshbed: --to: no service 'nosuch' in topology 'bookinfo' (it has details, productpage, ratings, reviews)\n")
        let served = try workspace.meshbed(["load", "--to", "reviews", "--requests", "5"])
        #expect(served.status == 0, "\(served.stderr)")
        #expect(try workspace.meshbed(["down", "bookinfo"]).status == 0)
        let stopped = try workspace.meshbed(["load", "--to", "reviews", "--requests", "5"])
        #expect(stopped.status == 3, "\(stopped.stdout)\(stopped.stderr)")
        #expect(stopped.stderr == "meshbed: --to reviews: topology 'bookinfo' is not running (start it with 'meshbed up')\n")
        #expect(stopped.stdout.isEmpty)
    }

    /// Every request failed (refused, or answered with a 5xx): the report, then exit 1.
    @Test func loadWhereEveryRequestFailsExits1() throws {
        let harness = Harness()
        let refusing = try Harness.run("python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        let closed = refusing.stdout.trimmingCharacters(in: .whitespacesAndNewlines)  // bound once, closed again: refuses
        let refused = try meshbed(["load", "--url", "http://127.0.0.1:\(closed)/", "--requests", "20", "--concurrency", "2"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stdout.contains("errors   connect: 20"), "\(refused.stdout)")
        #expect(refused.stderr.contains("no request succeeded (20 sent)"), "\(refused.stderr)")

        let echo = try harness.startEcho(["--error-rate", "100"])
        let failing = try meshbed(["load", "--url", "http://\(echo.address)/", "--requests", "20", "--concurrency", "2", "--json"])
        #expect(failing.status == 1, "\(failing.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(failing.stdout.utf8)) as? [String: Any])
        #expect(object["status"] as? [String: Int] == ["500": 20])

        let healthy = try harness.startEcho()
        #expect(try meshbed(["load", "--url", "http://\(healthy.address)/", "--requests", "20"]).status == 0)
    }

    /// `--duration` is a hard stop: far more offered than one slow connection can take ends
    /// on time, with what was due but not sent counted (sent + not sent = planned).
    @Test func loadDurationIsAHardStop() throws {
        let harness = Harness()
        let echo = try harness.startEcho(["--latency", "20ms"])
        let started = Date()
        let result = try meshbed(["load", "--url", "http://\(echo.address)/", "--duration", "500ms", "--rate", "10000",
                                  "--concurrency", "1", "--threads", "1", "--json"])
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let sent = try #require(object["requests"] as? Int)
        let notSent = try #require(object["notSent"] as? Int)
        #expect(sent + notSent == 5000, "sent \(sent), not sent \(notSent)")
        #expect(sent <= 27, "one connection at 20 ms per answer sends at most 26 in 0.5 s: \(sent)")
        // Sending the 4,975 late ones one after another would take 100 s; 25 s is ample for "it ended".
        #expect(seconds < 25, "took \(seconds) s")
    }

    @Test func portInUseIsExit2() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let port = String(echo.address.split(separator: ":").last!)
        try expectUsageError(["echo", "--port", port], mentions: "address already in use")
    }

    @Test func loadCountsStatusesAndVersionsAsJSON() throws {
        let harness = Harness()
        let echo = try harness.startEcho(["--version", "v3", "--error-rate", "50", "--seed", "7"])
        let result = try meshbed(["load", "--url", "http://\(echo.address)/", "--requests", "400", "--concurrency", "4", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["requests"] as? Int == 400)
        #expect(object["errors"] as? Int == 0)
        let status = try #require(object["status"] as? [String: Int])
        #expect((status["200"] ?? 0) + (status["500"] ?? 0) == 400)
        #expect((status["500"] ?? 0) > 100 && (status["500"] ?? 0) < 300)
        #expect(object["versions"] as? [String: Int] == ["v3": 400])
        let latency = try #require(object["latencySeconds"] as? [String: Double])
        #expect((latency["p50"] ?? 0) > 0 && (latency["p50"] ?? 0) <= (latency["p99"] ?? 0))
        #expect((latency["p99"] ?? 0) <= (latency["max"] ?? 0))
    }

    @Test func loadTextReportAndOpenLoop() throws {
        let harness = Harness()
        let echo = try harness.startEcho()
        let result = try meshbed(["load", "--url", "http://\(echo.address)/x", "--duration", "500ms", "--rate", "200", "--threads", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("open loop at 200 req/s"))
        #expect(result.stdout.contains("status   200: "))
        #expect(result.stdout.contains("latency  p50 "))
        // 100 requests are due in 500 ms at 200/s: each one sent, or counted as not sent.
        let total = Int(result.stdout.split(separator: " ").first ?? "") ?? 0
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("  not sent ") }
        let notSent = line.flatMap { Int($0.split(separator: " ")[2].dropLast()) } ?? 0
        #expect(total + notSent == 100, "\(result.stdout)")
    }
}

/// The README's run command: the demo brings bookinfo up, drives it, and stops it.
@Suite struct DemoTests {
    @Test func demoRunsTheMeshAndTheEchoTour() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
        let result = try Harness.run("/bin/sh", ["-c", "cd '\(root)' && exec '\(Harness.meshbed)' demo"], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("meshbed up: 'bookinfo' is ready"))
        #expect(result.stdout.contains("version  v1: "))
        #expect(result.stdout.contains("meshbed down: 'bookinfo' stopped"))
        #expect(result.stdout.contains("open loop at 200 req/s"))
    }
}
