import MeshOrchestrator
import MeshScenario
import MeshTopology
import Testing

/// `runtimes:`: the runtimes a scenario is for, read strictly; packet loss refused where
/// the process runtime could run it; a scenario for other runtimes skipped, not failed.
@Suite struct ScenarioRuntimesTests {
    static func text(_ runtimes: String?, fault: String = "{kind: abort, to: reviews, status: 503}") -> String {
        "kind: Scenario\nname: r\ntopology: shop.yaml\n" + (runtimes.map { "runtimes: \($0)\n" } ?? "")
            + "steps:\n  - fault: \(fault)\n  - traffic: {to: reviews, requests: 5}\n"
    }

    @Test func readsTheList() throws {
        #expect(try ScenarioParsingTests.scenario(Self.text(nil)).runtimes == nil)
        #expect(try ScenarioParsingTests.scenario(Self.text("[netns, container]")).runtimes == ["netns", "container"])
    }

    @Test func mistakes() {
        #expect(ScenarioParsingTests.errors(Self.text("[docker]")) == ["dir/s.yaml:4:12: runtimes: expected process, netns or container, got 'docker'"])
        #expect(ScenarioParsingTests.errors(Self.text("[netns, netns]")) == ["dir/s.yaml:4:19: runtimes: 'netns' is listed twice"])
        #expect(ScenarioParsingTests.errors(Self.text("[]")) == ["dir/s.yaml:4:11: runtimes: expected at least one runtime"])
        #expect(ScenarioParsingTests.errors(Self.text("netns")).first?.contains("runtimes: expected a list of runtimes") == true)
    }

    @Test func packetLossNeedsTheIsolatedRuntimes() throws {
        let loss = "{kind: loss, to: reviews, percent: 30}"
        #expect(ScenarioParsingTests.errors(Self.text(nil, fault: loss))
                    == ["dir/s.yaml:1:1: step 1: kind loss drops packets, which only --runtime netns or container gives each instance; add 'runtimes: [netns, container]' to the scenario"])
        #expect(ScenarioParsingTests.errors(Self.text("[process, netns]", fault: loss)).first?.hasPrefix("dir/s.yaml:4:1: step 1: kind loss") == true)
        #expect(try ScenarioParsingTests.scenario(Self.text("[netns, container]", fault: loss)).runtimes == ["netns", "container"])
    }

    @Test func aScenarioForOtherRuntimesIsSkippedWithTheReason() throws {
        let scenario = try ScenarioParsingTests.scenario(Self.text("[netns, container]"))
        let result = ScenarioRunner.run(scenario, stateDirectory: "/nonexistent/state", runtime: .process)
        let why = "not run: it is for --runtime netns or container, this run's is process"
        #expect(result.outcome == .skipped(why) && result.exitCode == 0 && result.verdict == "skipped")
        #expect(result.steps.count == 2 && result.steps.allSatisfy { $0.outcome == .skipped(why) })
        let report = ScenarioReport([result, result])
        #expect(report.exitCode == 0)
        #expect(report.table(colour: false).contains("  skipped: \(why)\n") && report.table(colour: false).hasSuffix("0 of 0 scenarios passed, 2 skipped (not for this runtime)\n"))
        #expect(report.junit.contains("<skipped message=\"\(why)\"/>") && report.json.contains("\"skipped\""))
    }
}
