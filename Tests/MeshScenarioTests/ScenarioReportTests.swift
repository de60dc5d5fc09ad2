import Foundation
import MeshScenario
import Testing

/// Report rendering against golden files in `fixtures/scenarios/golden/` (set
/// `MESHBED_UPDATE_GOLDEN=1` to rewrite them after a deliberate change).
@Suite struct ScenarioReportTests {
    static var golden: URL {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = url.appendingPathComponent("fixtures/scenarios/golden")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "fixtures/scenarios/golden")
    }

    /// Two scenarios: one passed, one with a failed expectation and a step after a failure;
    /// a third whose topology could not start.
    static let report = ScenarioReport([
        ScenarioResult(name: "canary-split", file: "topologies/scenarios/canary.yaml", outcome: .passed, steps: [
            StepResult(name: "ninety-ten", action: "traffic: 2000 requests to reviews from the ingress", outcome: .passed, expectations: [
                ExpectationResult(name: "successRate", expected: ">= 99%", measured: "100% of 2000", passed: true),
                ExpectationResult(name: "split", expected: "v1 90% v2 10% (±3)", measured: "v1 89.6% v2 10.4%", passed: true),
            ], milliseconds: 1234),
            StepResult(name: "step 2", action: "kill ratings instance 0", outcome: .passed, milliseconds: 3),
        ], milliseconds: 2500),
        ScenarioResult(name: "slow <ratings>", file: "s.yaml", outcome: .failed, steps: [
            StepResult(name: "load & measure", action: "traffic: 5s at 100 req/s to ratings from reviews", outcome: .failed, expectations: [
                ExpectationResult(name: "latency p99", expected: "< 300ms", measured: "412.5ms", passed: false),
                ExpectationResult(name: "status 503", expected: "== 0", measured: "0", passed: true),
            ], milliseconds: 5001),
            StepResult(name: "all ready", action: "check mesh state", outcome: .passed, expectations: [
                ExpectationResult(name: "instancesReady", expected: "== 6", measured: "6 of 6", passed: true),
            ], milliseconds: 12),
        ], logs: "/tmp/meshbed-run-1/2-slow/bookinfo", milliseconds: 6100),
        ScenarioResult(name: "broken", file: "b.yaml", outcome: .infrastructure("app crasher-v1-0 exited with status 3 before it was ready"), steps: [
            StepResult(name: "step 1", action: "traffic: 5 requests to crasher from the ingress", outcome: .error("the topology did not start")),
            StepResult(name: "step 2", action: "wait 1s", outcome: .skipped("not run: the topology did not start")),
        ], logs: "/tmp/meshbed-run-1/3-broken/broken", milliseconds: 250),
    ])

    static func check(_ rendered: String, _ name: String) throws {
        let url = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["MESHBED_UPDATE_GOLDEN"] == "1" {
            try rendered.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(rendered == expected, "\(name) differs from its golden file")
    }

    @Test func plainTable() throws { try Self.check(Self.report.table(colour: false), "report.txt") }
    @Test func colourTable() throws { try Self.check(Self.report.table(colour: true), "report-colour.txt") }
    @Test func json() throws { try Self.check(Self.report.json, "report.json") }
    @Test func junit() throws { try Self.check(Self.report.junit, "report.junit.xml") }

    /// A step name and an error message from outside cannot split a row or colour the table.
    @Test func tableEscapesControlCharacters() {
        let report = ScenarioReport([
            ScenarioResult(name: "s", file: "x\ny.yaml", outcome: .failed, steps: [
                StepResult(name: "\u{1B}[31mred\nrow", action: "wait 1s", outcome: .error("app said \u{1B}[2J\r\nbye")),
            ], milliseconds: 1),
        ])
        let table = report.table(colour: false)
        #expect(!table.unicodeScalars.contains("\u{1B}"))
        #expect(table.contains("(x\\ny.yaml)"))
        #expect(table.contains("\\u{1B}[31mred\\nrow: wait 1s"))
        #expect(table.contains("app said \\u{1B}[2J\\r\\nbye"))
        #expect(table.split(separator: "\n").count == 4)  // title, header, the step, summary
    }

    @Test func exitCodes() {
        #expect(Self.report.exitCode == 3)
        #expect(ScenarioReport(Array(Self.report.scenarios.prefix(2))).exitCode == 1)
        #expect(ScenarioReport(Array(Self.report.scenarios.prefix(1))).exitCode == 0)
    }

    @Test func jsonParses() throws {
        let object = try JSONSerialization.jsonObject(with: Data(Self.report.json.utf8)) as? [String: Any]
        #expect(object?["exitCode"] as? Int == 3)
        #expect((object?["scenarios"] as? [Any])?.count == 3)
    }

    /// A run cut short by a signal: exit 128 + N whatever else happened, the step under way
    /// an error in every format, the summary names the signal and the step.
    @Test func interruptedRunExitsWithTheSignalAndMarksTheStep() throws {
        let interrupted = ScenarioResult(name: "long", file: "l.yaml", outcome: .interrupted(signal: 2), steps: [
            StepResult(name: "spread", action: "traffic: 10m at 20 req/s to reviews from the ingress", outcome: .error("interrupted by SIGINT")),
            StepResult(name: "after", action: "check mesh state", outcome: .skipped("not run: interrupted by SIGINT")),
        ], logs: "/tmp/meshbed-run-1/4-long/bookinfo", milliseconds: 900)
        let report = ScenarioReport(Self.report.scenarios + [interrupted])
        #expect(report.exitCode == 130)
        #expect(report.interruption == 2)
        #expect(ScenarioReport([interrupted]).exitCode == 130)
        #expect(ScenarioResult(name: "t", file: "t", outcome: .interrupted(signal: 15), steps: []).exitCode == 143)
        #expect(ScenarioResult(name: "h", file: "h", outcome: .interrupted(signal: 1), steps: []).exitCode == 129)
        let table = report.table(colour: false)
        #expect(table.contains("INTERRUPTED by SIGINT during step 'spread': the topology was torn down"))
        #expect(table.contains("logs kept in /tmp/meshbed-run-1/4-long/bookinfo"))
        #expect(report.junit.contains("<error message=\"interrupted by SIGINT\" type=\"infrastructure\">"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(object["result"] as? String == "interrupted")
        #expect(object["exitCode"] as? Int == 130)
        let last = try #require((object["scenarios"] as? [[String: Any]])?.last)
        #expect(last["result"] as? String == "interrupted")
        #expect(last["error"] as? String == "interrupted by SIGINT")
    }

    @Test func junitEscapesMarkup() {
        let junit = Self.report.junit
        #expect(junit.contains("name=\"slow &lt;ratings&gt;\""))
        #expect(junit.contains("name=\"1. load &amp; measure\""))
        #expect(junit.components(separatedBy: "<testcase ").count - 1 == 6)
    }
}
