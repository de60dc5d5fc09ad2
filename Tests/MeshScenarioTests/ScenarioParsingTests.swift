import MeshScenario
import MeshTopology
import Testing

/// Scenario files read through `Scenario.load(text:file:)` with an in-memory bookinfo-like
/// topology: the model they become and every mistake as `FILE:LINE:COLUMN: message`.
@Suite struct ScenarioParsingTests {
    static let topologyText = """
        kind: Topology
        name: shop
        mesh: {mtls: disabled}
        services:
          front: {calls: [reviews]}
          reviews:
            versions:
              v1: {}
              v2: {replicas: 2}
        """

    /// Loads `text` as `dir/s.yaml`; the topology loader records the path it was asked for.
    static func load(_ text: String) -> (Result<Scenario, TopologyErrors>, [String]) {
        nonisolated(unsafe) var asked: [String] = []
        let result = Scenario.load(text: text, file: "dir/s.yaml") { path in
            asked.append(path)
            return Topology.load(text: topologyText, file: path)
        }
        return (result, asked)
    }

    static func errors(_ text: String) -> [String] {
        guard case .failure(let errors) = load(text).0 else { return [] }
        return errors.diagnostics.map(\.description)
    }

    static func scenario(_ text: String) throws -> Scenario {
        try Self.load(text).0.get()
    }

    @Test func readsEveryStepKind() throws {
        let (result, asked) = Self.load("""
            kind: Scenario
            name: tour
            topology: ../shop.yaml
            seed: 42
            steps:
              - name: warm
                traffic: {to: reviews, requests: 200, concurrency: 8, path: /x, method: POST, headers: {end-user: jason}, body: hi}
                expect:
                  successRate: ">= 99%"
                  status: {503: "== 0", 200: ">= 90%"}
                  split: {v1: 50, v2: 50}
                  tolerance: 5
                  latency: {p99: "< 300ms"}
              - traffic: {to: reviews, from: front, duration: 2s, rate: 50}
              - kill: {service: reviews, version: v2, instance: 1}
              - pause: reviews
              - resume: {service: reviews}
              - heal: all
              - wait: 250ms
              - expect: {ready: {service: front}, notReady: {service: reviews, version: v1}, instancesReady: "== 3", within: 5s}
              - restart: {service: reviews, version: v2, instance: 1}
                expect: {ready: reviews}
            """)
        #expect(asked == ["dir/../shop.yaml"])
        let scenario = try result.get()
        #expect(scenario.name == "tour")
        #expect(scenario.seed == 42)
        #expect(scenario.topologyFile == "dir/../shop.yaml")
        #expect(scenario.steps.count == 9)
        let warm = scenario.steps[0]
        #expect(warm.name == "warm")
        #expect(warm.action == .traffic(TrafficSpec(to: "reviews", requests: 200, concurrency: 8, path: "/x", method: "POST",
                                                      headers: [("end-user", "jason")], body: "hi")))
        #expect(warm.expectations == [
            .successRate(Comparison(.greaterOrEqual, 99, unit: .percent)),
            .status(code: 503, Comparison(.equal, 0, unit: .count)),
            .status(code: 200, Comparison(.greaterOrEqual, 90, unit: .percent)),
            .split(shares: [("v1", 50), ("v2", 50)], tolerance: 5),
            .latency(percentile: "p99", Comparison(.less, 300_000_000, unit: .duration)),
        ])
        #expect(scenario.steps[1].action == .traffic(TrafficSpec(to: "reviews", from: "front", duration: 2_000_000_000, rate: 50)))
        #expect(scenario.steps[1].name == "step 2")
        #expect(scenario.steps[2].action == .kill(InstanceSelector(service: "reviews", version: "v2", instance: 1)))
        #expect(scenario.steps[3].action == .pause(InstanceSelector(service: "reviews")))
        #expect(scenario.steps[4].action == .resume(InstanceSelector(service: "reviews")))
        #expect(scenario.steps[5].action == .heal)
        #expect(scenario.steps[6].action == .wait(.milliseconds(250)))
        let check = scenario.steps[7]
        #expect(check.action == .check)
        #expect(check.within == .seconds(5))
        #expect(check.expectations == [
            .ready(InstanceSelector(service: "front")), .notReady(InstanceSelector(service: "reviews", version: "v1")),
            .instancesReady(Comparison(.equal, 3, unit: .count)),
        ])
        let restart = scenario.steps[8]
        #expect(restart.action == .restart(InstanceSelector(service: "reviews", version: "v2", instance: 1)))
        #expect(restart.action.summary == "restart reviews v2 instance 1")
        #expect(restart.expectations == [.ready(InstanceSelector(service: "reviews"))])
    }

    @Test func readsRoutedExpectations() throws {
        let scenario = try Self.load("""
            kind: Scenario
            name: routed
            topology: shop.yaml
            steps:
              - kill: {service: reviews, version: v1}
                expect: {notRouted: {service: reviews, version: v1}, within: 2s}
              - expect: {routed: reviews, notReady: front}
            """).0.get()
        #expect(scenario.steps[0].expectations == [.notRouted(InstanceSelector(service: "reviews", version: "v1"))])
        #expect(scenario.steps[0].within == .seconds(2))
        #expect(scenario.steps[1].expectations == [.notReady(InstanceSelector(service: "front")), .routed(InstanceSelector(service: "reviews"))])
        #expect(scenario.steps[1].expectations.allSatisfy { $0.isState })
        #expect(scenario.steps[1].expectations.last?.label == "routed reviews")
        #expect(scenario.steps[1].expectations.last?.expected == "routed by every sidecar")
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - expect: {notRouted: {service: reviewz}}\n") == [
            "dir/s.yaml:5:35: service: unknown service 'reviewz' in topology 'shop' (did you mean 'reviews'?)",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - traffic: {to: front}\n    expect: {successRate: '> 1%', within: 1s}\n") == [
            "dir/s.yaml:6:35: within: goes with ready, notReady, instancesReady, routed, notRouted, counters or metrics (mesh state is polled; traffic is measured once)",
        ])
    }

    @Test func restartTakesTheKillSelector() {
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - restart: {service: reviews, instance: 2}\n") == [
            "dir/s.yaml:5:43: instance: reviews has no instance 2 (indexes start at 0 within each version)",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - restart: reviewz\n") == [
            "dir/s.yaml:5:14: restart: unknown service 'reviewz' in topology 'shop' (did you mean 'reviews'?)",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - restart: {service: reviews}\n    expect: {successRate: '> 1%'}\n") == [
            "dir/s.yaml:6:14: successRate: needs a traffic step to measure (this step is 'restart')",
        ])
    }

    @Test func reportsEveryMistakeWithLineAndColumn() {
        let errors = Self.errors("""
            kind: Scenario
            name: Bad Name
            topology: shop.yaml
            seed: -1
            steps:
              - traffic: {to: reviewz, requests: 0}
                expect: {successRate: "99%", latncy: {p99: "< 1s"}}
              - kill: {service: reviews, instance: 2}
              - wait: 2s
                expect: {successRate: ">= 1%"}
              - heal: some
              - traffic: {to: front, requests: 5, duration: 1s}
            """)
        #expect(errors == [
            "dir/s.yaml:2:7: name: expected a name of lowercase letters, digits and '-' (at most 63 characters), got 'Bad Name'",
            "dir/s.yaml:4:7: seed: expected an unsigned integer, got '-1'",
            "dir/s.yaml:6:19: to: unknown service 'reviewz' in topology 'shop' (did you mean 'reviews'?)",
            "dir/s.yaml:6:38: requests: expected a number of requests from 1, got '0'",
            "dir/s.yaml:7:27: successRate: expected a comparison like '>= 99%', got '99%' (a quoted string)",
            "dir/s.yaml:7:34: unknown key 'latncy' in expect (did you mean 'latency'?)",
            "dir/s.yaml:8:40: instance: reviews has no instance 2 (indexes start at 0 within each version)",
            "dir/s.yaml:10:14: successRate: needs a traffic step to measure (this step is 'wait')",
            "dir/s.yaml:11:11: heal: expected 'all', got 'some'",
            "dir/s.yaml:12:39: traffic: 'requests' and 'duration' exclude each other",
        ])
    }

    @Test func rejectsWhatLaterIssuesBringAsNotSupportedYet() {
        let errors = Self.errors("""
            kind: Scenario
            name: later
            topology: shop.yaml
            steps:
              - fault: {kind: pause, service: reviews, duration: 5s}
              - traffic: {to: reviews}
                expect: {retries: "> 0", circuit: {}}
            """)
        #expect(errors == [
            "dir/s.yaml:5:44: duration: on a pause fault is not supported yet (resume or restart in a later step)",
            "dir/s.yaml:7:30: circuit: circuit expectations are not supported yet (they arrive with circuit breaking)",
        ])
    }

    /// `fault:` takes the topology's form; a process kind is its process step.
    @Test func faultSteps() throws {
        let scenario = try Self.scenario("""
            kind: Scenario
            name: faults
            topology: ../shop.yaml
            steps:
              - fault: {kind: abort, to: reviews, status: 503, percent: 50, side: server}
              - fault: {kind: kill, service: reviews, version: v2, instance: 0}
              - fault: {kind: pause, service: reviews, instance: 2}
              - traffic: {to: reviews}
                expect: {faulted: "> 0"}
            """)
        guard case .fault(let spec) = scenario.steps[0].action else {
            Issue.record("expected a fault step")
            return
        }
        #expect(spec.kind == .abort && spec.side == .server && spec.trigger == .percent(50))
        #expect(scenario.steps[1].action == .kill(InstanceSelector(service: "reviews", version: "v2", instance: 0)))
        // Without a version, `instance` counts over all of the service's instances: the third is v2's second.
        #expect(scenario.steps[2].action == .pause(InstanceSelector(service: "reviews", version: "v2", instance: 1)))
        #expect(scenario.steps[0].action.summary == "fault {kind: abort, to: reviews, status: 503, side: server, percent: 50}")
        #expect(scenario.steps[3].expectations == [.counter(name: "faulted", try #require(Comparison.parse("> 0")), scope: .all)])
        let errors = Self.errors("""
            kind: Scenario
            name: faults
            topology: shop.yaml
            steps:
              - fault: {kind: abort, to: reviewz, status: 503}
              - fault: {kind: pause, service: reviews, duration: 5s}
            """)
        #expect(errors == [
            "dir/s.yaml:5:30: to: unknown service 'reviewz' (did you mean 'reviews'?)",
            "dir/s.yaml:6:44: duration: on a pause fault is not supported yet (resume or restart in a later step)",
        ])
    }

    @Test func stepShapeAndTopLevel() {
        #expect(Self.errors("kind: Topology\nname: x\n") == ["dir/s.yaml:1:7: kind: expected 'Scenario', got 'Topology'"])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps: []\n") == ["dir/s.yaml:4:8: steps: expected at least one step"])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nstep: []\n") == [
            "dir/s.yaml:1:1: missing key 'steps' at top level",
            "dir/s.yaml:4:1: unknown key 'step' at top level (did you mean 'steps'?)",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - {kill: front, wait: 1s}\n") == [
            "dir/s.yaml:5:19: step 1: a step has one action, found 'kill' and 'wait'",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - traffic: {to: front}\n    expect: {tolerance: 2}\n") == [
            "dir/s.yaml:6:14: tolerance: goes with split",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - traffic: {to: reviews}\n    expect: {split: {v1: 60, v2: 30}}\n") == [
            "dir/s.yaml:6:21: split: the shares add up to 90, expected 100",
        ])
        // A vanishing rate would schedule its next request at a time that is not a number.
        let slow = Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - traffic: {to: front, duration: 1s, rate: 1e-300}\n")
        #expect(slow.count == 1 && slow[0].hasPrefix("dir/s.yaml:5:") && slow[0].contains("rate:") && slow[0].contains("from 0.01"), "\(slow)")
    }

    @Test func topologyPathIsResolvedAgainstTheScenarioFile() {
        #expect(Scenario.resolve("../bookinfo.yaml", relativeTo: "topologies/scenarios/a.yaml") == "topologies/scenarios/../bookinfo.yaml")
        #expect(Scenario.resolve("bookinfo.yaml", relativeTo: "a.yaml") == "bookinfo.yaml")
        #expect(Scenario.resolve("/abs/t.yaml", relativeTo: "x/a.yaml") == "/abs/t.yaml")
        #expect(Scenario.resolve("t.yaml", relativeTo: "/a.yaml") == "/t.yaml")
    }

    @Test func missingTopologyFileIsReportedAtTheKey() {
        let result = Scenario.load(text: "kind: Scenario\nname: x\ntopology: nowhere.yaml\nsteps:\n  - wait: 1s\n", file: "/nonexistent-dir/s.yaml")
        guard case .failure(let errors) = result else { Issue.record("expected a failure"); return }
        #expect(errors.description == "/nonexistent-dir/s.yaml:3:11: topology: cannot read 'nowhere.yaml' (/nonexistent-dir/nowhere.yaml): no such file")
    }

    /// A split expectation names versions of the traffic's destination (or `no-version`,
    /// responses without an `x-meshbed-version`).
    @Test func splitNamesVersionsOfTheDestination() {
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - traffic: {to: reviews}\n    expect: {split: {v1: 60, vv2: 40}}\n") == [
            "dir/s.yaml:6:30: split: unknown version 'vv2' of service 'reviews' (versions: v1, v2) (did you mean 'v2'?)",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - traffic: {to: front}\n    expect: {split: {v1: 50, v2: 50}}\n") == [
            "dir/s.yaml:6:30: split: unknown version 'v2' of service 'front' (versions: v1) (did you mean 'v1'?)",
        ])
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - traffic: {to: reviews}\n    expect: {split: {v1: 50, v2: 40, no-version: 10}}\n") == [])
    }

    /// Names from the file quoted in a diagnostic cannot split or colour the output.
    @Test func quotedInputIsEscaped() {
        #expect(Self.errors("kind: Scenario\nname: x\ntopology: t.yaml\nsteps:\n  - kill: \"\\e[2Jfront\\nnext\"\n") == [
            "dir/s.yaml:5:11: kill: unknown service '\\u{1B}[2Jfront\\nnext' in topology 'shop'",
        ])
    }

    /// 5,000 unknown `to:` names against a 5,000-service topology, each one edit from a
    /// service: one error each, "did you mean" for the first 100 (one suggester for the
    /// topology, not a scan of every service per name), and the printed list capped.
    @Test func manyUnknownNamesShareOneSuggester() {
        let count = 5_000
        var topology = "kind: Topology\nname: big\nmesh: {mtls: disabled}\nservices:\n"
        for index in 0..<count { topology += "  svc-\(index): {}\n" }
        var scenario = "kind: Scenario\nname: many\ntopology: big.yaml\nsteps:\n"
        for index in 0..<count { scenario += "  - traffic: {to: svc-\(index)x, requests: 1}\n" }
        let result = Scenario.load(text: scenario, file: "s.yaml") { path in Topology.load(text: topology, file: path) }
        guard case .failure(let errors) = result else {
            Issue.record("5,000 unknown services were accepted")
            return
        }
        let unknown = errors.diagnostics.filter { $0.message.hasPrefix("to: unknown service 'svc-") }.count
        let hinted = errors.diagnostics.filter { $0.message.contains("(did you mean 'svc-") }.count
        #expect(unknown == count, "\(unknown) unknown-service errors")
        #expect(errors.diagnostics.count == count, "\(errors.diagnostics.count) errors")
        #expect(hinted == 100, "\(hinted) with a suggestion")
        let lines = errors.description.split(separator: "\n")
        #expect(lines.count == TopologyErrors.shownLimit + 1)
        #expect(lines.last?.hasPrefix("… and \(count - TopologyErrors.shownLimit) more errors") == true)
    }
}
