import MeshConfig
import MeshScenario
import MeshTopology
import Testing

/// The scenario `route` step: its shorthand and full forms become the routes the control
/// plane publishes, and its routes are checked as the topology file's `routes:` are, with
/// the same messages.
@Suite struct RouteStepTests {
    static func load(_ steps: String) -> Result<Scenario, TopologyErrors> {
        let text = "kind: Scenario\nname: live\ntopology: shop.yaml\nsteps:\n" + steps
        return Scenario.load(text: text, file: "dir/s.yaml") { Topology.load(text: ScenarioParsingTests.topologyText, file: $0) }
    }

    static func errors(_ steps: String) -> [String] {
        guard case .failure(let errors) = load(steps) else { return [] }
        return errors.diagnostics.map(\.description)
    }

    @Test func shorthandIsOneRouteForEveryRequest() throws {
        let scenario = try Self.load("  - route: {to: reviews, split: {v2: 10, v1: 90}}\n").get()
        let expected = RouteChange(to: "reviews", routes: [RouteConfig(split: ["v1": 90, "v2": 10])], description: "split v2 10, v1 90")
        #expect(scenario.steps[0].action == .route(expected))
        #expect(scenario.steps[0].action.summary == "route reviews: split v2 10, v1 90")
        #expect(scenario.steps[0].action.keyword == "route")
    }

    @Test func fullFormReadsRoutesAsTheTopologyDoes() throws {
        let scenario = try Self.load("""
              - name: shift
                route:
                  to: reviews
                  routes:
                    - match: {headers: {End-User: jason}, pathPrefix: /api}
                      split: [{version: v2, weight: 100}]
                    - {}
            """ + "\n").get()
        // A route without a split spreads over every version by replicas (v1 has 1, v2 has 2).
        let expected = RouteChange(to: "reviews", routes: [
            RouteConfig(headers: ["end-user": "jason"], pathPrefix: "/api", split: ["v2": 100]),
            RouteConfig(split: ["v1": 33, "v2": 67]),
        ], description: "2 routes")
        #expect(scenario.steps[0].action == .route(expected))
        #expect(scenario.steps[0].name == "shift")
        let cleared = try Self.load("  - route: {to: reviews, routes: []}\n").get()
        #expect(cleared.steps[0].action.summary == "route reviews: no routes (every instance)")
    }

    @Test func mistakesGetTheTopologyFilesMessages() {
        #expect(Self.errors("  - route: {to: reviews, split: {v1: 50, v3: 50}}\n") == [
            "dir/s.yaml:5:42: split: unknown version 'v3' of service 'reviews' (versions: v1, v2)",
        ])
        #expect(Self.errors("  - route: {to: reviews, split: {v1: 50, v2: 40}}\n") == [
            "dir/s.yaml:5:26: split: weights sum to 90, expected 100",
        ])
        #expect(Self.errors("  - route: {to: reviews, routes: [{split: {v1: 101}}, {match: {pathPrefix: api}, split: {v1: 100}}]}\n") == [
            "dir/s.yaml:5:48: v1: expected a weight 0–100, got '101'",
            "dir/s.yaml:5:76: pathPrefix: expected a path starting with '/', got 'api'",
        ])
        #expect(Self.errors("  - route: {to: review, split: {v1: 100}}\n") == [
            "dir/s.yaml:5:17: to: unknown service 'review' in topology 'shop' (did you mean 'reviews'?)",
        ])
        #expect(Self.errors("  - route: {to: reviews}\n") == [
            "dir/s.yaml:5:12: route: expected 'split' (one route for every request) or 'routes' (a list of routes)",
        ])
        #expect(Self.errors("  - route: {to: reviews, split: {v1: 100}, routes: []}\n") == [
            "dir/s.yaml:5:44: route: 'split' and 'routes' exclude each other ('split' is short for one route for every request)",
        ])
        #expect(Self.errors("  - route: {split: {v1: 100}}\n") == ["dir/s.yaml:5:12: missing key 'to' in route"])
        #expect(Self.errors("  - route: {to: reviews, spilt: {v1: 100}}\n") == [
            "dir/s.yaml:5:12: route: expected 'split' (one route for every request) or 'routes' (a list of routes)",
            "dir/s.yaml:5:26: unknown key 'spilt' in route (did you mean 'split'?)",
        ])
    }

    /// The same wrong split in a topology file's `routes:` reads the same.
    @Test func topologyFileSaysTheSame() {
        let topology = ScenarioParsingTests.topologyText + "\nroutes:\n  reviews:\n    - split: {v1: 50, v3: 50}\n"
        guard case .failure(let errors) = Topology.load(text: topology, file: "t.yaml") else {
            Issue.record("the topology loaded")
            return
        }
        #expect(errors.diagnostics.map(\.message) == ["split: unknown version 'v3' of service 'reviews' (versions: v1, v2)"])
    }
}
