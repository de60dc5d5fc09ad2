import Foundation
import Glibc
import MeshTestSupport
import Testing

/// `meshbed run` and `meshbed test` with the real binary on the scenarios in
/// `fixtures/scenarios/` (small request counts, so the suite stays quick).
@Suite(.serialized) struct ScenarioTests {
    /// The repository's top folder, found from this file's path.
    static var root: String {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("fixtures/scenarios").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }

    static func temporary() throws -> String {
        let path = NSTemporaryDirectory() + "meshbed-scenario-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs meshbed on a thread of its own: a run takes seconds, and blocking a thread of the
    /// cooperative pool that long would starve other suites' async tests.
    static func run(_ arguments: [String], timeout: Double = 120) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try Harness.run(Harness.meshbed, arguments, timeout: timeout) })
            }.start()
        }
    }

    @Test func passingScenarioExitsZeroAndWritesJUnitWithOneTestcasePerStep() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let junit = work + "/junit.xml"
        let result = try await Self.run(["run", Self.root + "/fixtures/scenarios/pass.yaml", "--junit", junit, "--json", work + "/r.json",
                                   "--state-dir", work + "/state"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("passed: 4 steps"))
        // A passing scenario leaves no logs behind.
        #expect(!FileManager.default.fileExists(atPath: work + "/state/1-e2e-pass"))
        let script = """
            import sys, xml.etree.ElementTree as E
            root = E.parse(sys.argv[1]).getroot()
            cases = root.findall('.//testcase')
            print(root.tag, len(cases), sum(1 for c in cases if c.find('failure') is not None))
            """
        let parsed = try Harness.python(script, [junit])
        #expect(parsed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "testsuites 4 0", "\(parsed.stderr)")
    }

    @Test func unmeetableExpectationExitsOneAndShowsTheMeasuredValue() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await Self.run(["run", Self.root + "/fixtures/scenarios/unmeetable.yaml", "--state-dir", work])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let row = result.stdout.split(separator: "\n").first { $0.contains("status 200") }.map(String.init) ?? ""
        #expect(row.contains("== 21") && row.contains(" 20 ") && row.contains("FAIL"), "\(result.stdout)")
        #expect(result.stdout.contains("logs kept in \(work)/1-e2e-unmeetable/bookinfo"))
        #expect(FileManager.default.fileExists(atPath: "\(work)/1-e2e-unmeetable/bookinfo/logs/ingress.log"))
    }

    @Test func invalidScenarioExitsTwoWithLineAndColumn() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let file = work + "/bad.yaml"
        try """
            kind: Scenario
            name: bad
            topology: \(Self.root)/topologies/bookinfo.yaml
            steps:
              - traffic: {to: reviewz, requests: 5}
              - fault: {kind: pause, service: reviews, duration: 5s}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await Self.run(["run", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file):5:19: to: unknown service 'reviewz' in topology 'bookinfo' (did you mean 'reviews'?)"), "\(result.stderr)")
        #expect(result.stderr.contains("\(file):6:44: duration: on a pause fault is not supported yet"), "\(result.stderr)")
        let validate = try await Self.run(["validate", file])
        #expect(validate.status == 2)
    }

    @Test func topologyThatCannotStartExitsThreeAndKeepsTheLogs() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await Self.run(["run", Self.root + "/fixtures/scenarios/broken/cannot-start.yaml", "--state-dir", work,
                                   "--junit", work + "/j.xml"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        let logs = "\(work)/1-e2e-cannot-start/broken"
        #expect(result.stdout.contains("logs kept in \(logs)"))
        let log = try String(contentsOfFile: logs + "/logs/crasher-v1-0.app.log", encoding: .utf8)
        #expect(log.contains("crashing on purpose"))
        let junit = try String(contentsOfFile: work + "/j.xml", encoding: .utf8)
        #expect(junit.contains("<error "))
    }

    @Test func sameSeedGivesTheSamePerVersionCounts() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        var splits: [String] = []
        for run in 0..<2 {
            let json = "\(work)/r\(run).json"
            let result = try await Self.run(["run", Self.root + "/fixtures/scenarios/pass.yaml", "--json", json, "--state-dir", "\(work)/s\(run)"])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            let steps = ((object?["scenarios"] as? [[String: Any]])?.first?["steps"] as? [[String: Any]]) ?? []
            let expectations = (steps.first?["expectations"] as? [[String: Any]]) ?? []
            splits.append(expectations.first { $0["name"] as? String == "split" }?["measured"] as? String ?? "")
        }
        #expect(!splits[0].isEmpty)
        #expect(splits[0] == splits[1])
    }

    @Test func killedInstanceIsRestartedReadyAndServesAgain() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await Self.run(["run", Self.root + "/fixtures/scenarios/restart.yaml", "--json", work + "/r.json",
                                         "--state-dir", work + "/state"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("passed: 4 steps"), "\(result.stdout)")
        let row = result.stdout.split(separator: "\n").first { $0.contains("restart reviews v1") }.map(String.init) ?? ""
        #expect(row.contains("ready within 10s") && row.contains("1 of 1 ready") && row.contains("pass"), "\(result.stdout)")
    }

    /// `metric:` expectations measure the growth of what a selector picks on every sidecar's
    /// `/metrics` over the step: exactly the requests sent, on each side of the call.
    @Test func metricExpectationsReadTheSidecarsMetrics() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let file = work + "/metered.yaml"
        try """
            kind: Scenario
            name: metered
            topology: \(Self.root)/topologies/bookinfo.yaml
            steps:
              - traffic: {to: details, requests: 30}
                expect:
                  metrics:
                    - {metric: 'meshbed_requests_total{reporter="source",source="ingress",destination="details",response_code="200"}', value: "== 30"}
                    - {metric: 'meshbed_requests_total{reporter="destination",destination="details"}', value: "== 30"}
                    - {metric: 'meshbed_request_duration_seconds_count{destination="details"}', value: "== 60"}
                    - {metric: 'meshbed_requests_total{destination="details",response_code!="200"}', value: "> 0"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await Self.run(["run", file, "--state-dir", work + "/state"])
        // The last one cannot hold: every answer was 200, and the report says how many were not.
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("3 of 4 expectations met"), "\(result.stdout)")
        let failing = result.stdout.split(separator: "\n").first { $0.contains("response_code!=") }.map(String.init) ?? ""
        #expect(failing.contains("0 over") && failing.contains("FAIL"), "\(result.stdout)")
    }

    /// `promql:` expectations ask the real Prometheus of `meshbed run --prometheus`, once it
    /// has scraped every sidecar after the step: the exact count, a query that matches
    /// several series (refused: sum them), and a run without --prometheus (exit 2).
    @Test(.enabled(if: Harness.has("prometheus"))) func promqlExpectationsAskARealPrometheus() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let file = work + "/queried.yaml"
        try """
            kind: Scenario
            name: queried
            topology: \(Self.root)/topologies/bookinfo.yaml
            steps:
              - traffic: {to: details, requests: 25}
                expect:
                  metrics:
                    - {promql: 'sum(meshbed_requests_total{reporter="destination",destination="details",response_code="200"})', value: "== 25"}
                    - {promql: 'meshbed_requests_total{destination="details"}', value: "> 0"}
              - name: still there
                expect: {promql: 'sum(meshbed_requests_total{reporter="source",source="ingress",destination="details"})', value: "== 25"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let without = try await Self.run(["run", file, "--state-dir", work + "/none"])
        #expect(without.status == 2 && without.stderr.contains("promql expectations ask a real Prometheus: run with --prometheus"),
                "\(without.stderr)")
        let result = try await Self.run(["run", file, "--prometheus", "--state-dir", work + "/state"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("2 of 3 expectations met"), "\(result.stdout)")
        let several = result.stdout.split(separator: "\n").first { $0.contains("> 0") }.map(String.init) ?? ""
        #expect(several.contains("series: sum them in the query") && several.contains("FAIL"), "\(result.stdout)")
    }

    @Test func restartedAppGetsANewPidAndKeepsItsAddress() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let file = work + "/restart-kept.yaml"
        // The last step cannot pass, so the run keeps its state directory to look at.
        try """
            kind: Scenario
            name: restart-kept
            topology: \(Self.root)/topologies/bookinfo.yaml
            steps:
              - restart: {service: reviews, version: v2}
              - traffic: {to: reviews, requests: 30}
                expect: {successRate: "== 100%"}
              - name: keep the logs
                expect: {instancesReady: "== 99"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await Self.run(["run", file, "--state-dir", work + "/state"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("2 of 3 expectations met"), "\(result.stdout)")
        let directory = "\(work)/state/1-restart-kept/bookinfo"

        // supervisor.log: `restarted app reviews-v2-0 (pid NEW), was pid OLD`.
        let supervisor = try String(contentsOfFile: directory + "/logs/supervisor.log", encoding: .utf8)
        let line = try #require(supervisor.split(separator: "\n").first { $0.contains("restarted app reviews-v2-0") }, "\(supervisor)")
        let numbers = line.split { !$0.isNumber }.compactMap { Int($0) }.suffix(2)
        let (new, old) = (try #require(numbers.first), try #require(numbers.last))
        #expect(new != old, "\(line)")
        #expect(supervisor.contains("restarted sidecar reviews-v2-0"), "\(supervisor)")

        // The state file records the new pid at the old address; the app listened there twice.
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/state.json"))
        let state = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let instances = state["instances"] as? [[String: Any]] ?? []
        let instance = try #require(instances.first { $0["id"] as? String == "reviews-v2-0" })
        #expect(instance["pid"] as? Int == new)
        let address = try #require(instance["app"] as? String)
        let processes = state["processes"] as? [[String: Any]] ?? []
        #expect(processes.first { $0["name"] as? String == "reviews-v2-0.app" }?["pid"] as? Int == new)
        let log = try String(contentsOfFile: directory + "/logs/reviews-v2-0.app.log", encoding: .utf8)
        #expect(log.components(separatedBy: "listening on \(address)").count == 3, "\(log)")
        // No request or answer is left behind.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: directory + "/requests")) == [])
    }

    /// The live processes (other than this one) whose environment carries `marker`.
    static func processes(carrying marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            pid != getpid() && MeshUpTests.running(pid) && (Harness.readProc("/proc/\(pid)/environ")?.contains(marker) ?? false)
        }
    }

    /// Whether some established TCP connection has local `port` (a server holds a client).
    static func hasEstablishedConnection(port: Int) -> Bool {
        let hex = String(port, radix: 16, uppercase: true)
        let suffix = ":" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return ["/proc/net/tcp", "/proc/net/tcp6"].contains { table in
            (Harness.readProc(table) ?? "").split(separator: "\n").dropFirst().contains { line in
                let fields = line.split(separator: " ")
                return fields.count > 3 && fields[1].hasSuffix(suffix) && fields[3] == "01"
            }
        }
    }

    /// A stop signal in the middle of a long traffic step: the topology is torn down (no
    /// process of the run is left), the partial report is printed and written with the
    /// step as an error and the rest skipped, and the exit status is 128 + the signal.
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func stopSignalTearsDownAndWritesThePartialReport(signal: Int32) throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let file = work + "/interrupted.yaml"
        try """
            kind: Scenario
            name: interrupted
            topology: \(Self.root)/topologies/bookinfo.yaml
            steps:
              - name: long traffic
                traffic: {to: reviews, duration: 10m, rate: 20}
              - name: never reached
                expect: {instancesReady: "== 6"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let junit = work + "/junit.xml", json = work + "/report.json", stateDirectory = work + "/state"
        let harness = Harness()
        let (process, lines) = try harness.startBackground(Harness.meshbed, ["run", file, "--junit", junit, "--json", json,
                                                                             "--state-dir", stateDirectory])
        // The topology is up once its state file says so; the traffic step is under way once
        // the ingress holds an established connection.
        let stateFile = stateDirectory + "/1-interrupted/bookinfo/state.json"
        var state: [String: Any] = [:]
        let ready = eventually(within: 60) {
            guard let data = FileManager.default.contents(atPath: stateFile),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
            state = object
            return object["phase"] as? String == "ready"
        }
        try #require(ready, "the topology did not come up")
        let runID = try #require(state["runID"] as? String)
        #expect(Self.processes(carrying: "MESHBED_RUN_ID=" + runID).count >= 8)
        let ingress = try #require((state["ingress"] as? String)?.split(separator: ":").last.flatMap { Int($0) })
        #expect(eventually(within: 30) { Self.hasEstablishedConnection(port: ingress) }, "no traffic reached the ingress")

        kill(process.processIdentifier, signal)
        #expect(eventually(within: 60) { !process.isRunning }, "meshbed run did not end after \(signal)")
        if process.isRunning {  // SIGKILL: its supervisor and everything it started follow it (parent-death signal)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return
        }
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal,
                "status \(process.terminationStatus), reason \(process.terminationReason.rawValue)")
        #expect(Self.processes(carrying: "MESHBED_RUN_ID=" + runID).isEmpty, "a process of the run survived")

        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "SIGHUP"
        #expect(lines.first(within: 5, where: { $0.contains("INTERRUPTED by \(name) during step 'long traffic'") }) != nil)
        #expect(lines.first(within: 1, where: { $0.contains("logs kept in \(stateDirectory)/1-interrupted/bookinfo") }) != nil)
        #expect(FileManager.default.fileExists(atPath: stateDirectory + "/1-interrupted/bookinfo/logs/ingress.log"))

        let script = """
            import sys, xml.etree.ElementTree as E
            cases = E.parse(sys.argv[1]).getroot().findall('.//testcase')
            for case in cases:
                error, skipped = case.find('error'), case.find('skipped')
                print(case.get('name'), '|', 'error: ' + error.get('message') if error is not None else
                      'skipped' if skipped is not None else 'other')
            """
        let parsed = try Harness.python(script, [junit])
        #expect(parsed.status == 0, "the JUnit file does not parse")
        #expect(parsed.stdout == "1. long traffic | error: interrupted by \(name)\n2. never reached | skipped\n", "\(parsed.stdout)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["result"] as? String == "interrupted")
        #expect(report["exitCode"] as? Int == Int(128 + signal))
    }

    /// SIGINT while the topology is still coming up (an app that never gets ready, a long
    /// ready timeout): the start is abandoned at once, nothing of it is left, the first step
    /// is the error and the exit status 130.
    @Test func stopSignalWhileTheTopologyStartsAbandonsIt() throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        try """
            kind: Topology
            name: never-ready
            mesh:
              mtls: disabled
            services:
              mute:
                app:
                  command: [sleep, "300"]
                  ready: /healthz
            """.write(toFile: work + "/topology.yaml", atomically: true, encoding: .utf8)
        let file = work + "/starting.yaml"
        try """
            kind: Scenario
            name: starting
            topology: topology.yaml
            steps:
              - traffic: {to: mute, requests: 5}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let junit = work + "/junit.xml", stateDirectory = work + "/state"
        let harness = Harness()
        let (process, _) = try harness.startBackground(Harness.meshbed, ["run", file, "--junit", junit, "--state-dir", stateDirectory,
                                                                         "--ready-timeout", "5m"])
        // The app has started (its pid is in the state file) and is not ready: the supervisor waits at its gate.
        let stateFile = stateDirectory + "/1-starting/never-ready/state.json"
        var state: [String: Any] = [:]
        let waiting = eventually(within: 60) {
            guard let data = FileManager.default.contents(atPath: stateFile),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
            state = object
            let instances = object["instances"] as? [[String: Any]] ?? []
            return object["phase"] as? String == "starting" && instances.first?["pid"] is Int
        }
        try #require(waiting, "the app was not started")
        let runID = try #require(state["runID"] as? String)

        kill(process.processIdentifier, SIGINT)
        #expect(eventually(within: 60) { !process.isRunning }, "meshbed run did not end after SIGINT")
        if process.isRunning {  // SIGKILL: its supervisor and everything it started follow it (parent-death signal)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return
        }
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "status \(process.terminationStatus)")
        #expect(Self.processes(carrying: "MESHBED_RUN_ID=" + runID).isEmpty, "a process of the run survived")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<error message=\"interrupted by SIGINT while the topology was starting\""), "\(xml)")
    }

    @Test func retriesAreSeenInTheSidecarsCountersAndTheDecisionRecords() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await Self.run(["run", Self.root + "/fixtures/scenarios/retries.yaml", "--json", work + "/r.json",
                                         "--state-dir", work + "/state"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/r.json"))) as? [String: Any]
        let scenario = (report?["scenarios"] as? [[String: Any]])?.first
        let steps = scenario?["steps"] as? [[String: Any]] ?? []
        let rows = (steps.first?["expectations"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { rows, row in
            rows[row["name"] as? String ?? ""] = row["measured"] as? String
        }
        #expect(Set(rows.keys) == ["successRate", "retries", "timeouts", "retries of ingress", "requests of ingress", "attempts max"], "\(rows)")
        // The measured values are numbers the sidecars reported, not just a pass.
        let retries = Int(rows["retries"] ?? "") ?? 0
        #expect(retries > 0 && Int(rows["retries of ingress"] ?? "") == retries, "\(rows)")
        #expect((Int(rows["requests of ingress"] ?? "") ?? 0) >= 100, "\(rows)")
        #expect(rows["attempts max"]?.hasSuffix(" over 100 requests") == true, "\(rows)")
    }

    @Test func testRunsEveryScenarioUnderADirectory() async throws {
        let work = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await Self.run(["test", Self.root + "/topologies", "--junit", work + "/j.xml", "--state-dir", work + "/state"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // faults-loss.yaml is for the isolated runtimes: skipped here, with the reason.
        #expect(result.stdout.contains(" scenarios passed, 1 skipped (not for this runtime)"), "\(result.stdout.suffix(300))")
        let junit = try String(contentsOfFile: work + "/j.xml", encoding: .utf8)
        #expect(junit.contains("<skipped message=\"not run: it is for --runtime netns or container, this run&apos;s is process\"/>")
                    || junit.contains("<skipped message=\"not run: it is for --runtime netns or container, this run's is process\"/>"))
    }
}
