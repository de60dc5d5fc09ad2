import MeshConfig
import MeshScenario
import MeshTopology
import Testing

/// The scenario's identity features: the `mtls` step (strict or permissive, live) and
/// traffic `from: outside` (a client without a sidecar).
@Suite struct MTLSStepTests {
    static func load(_ steps: String, mesh: String = "mesh: {mtls: permissive}", services: String = "") -> Result<Scenario, TopologyErrors> {
        let topology = "kind: Topology\nname: shop\n\(mesh)\nservices:\n  web: {calls: [api]}\n  api: {}\n" + services
        let text = "kind: Scenario\nname: migrate\ntopology: shop.yaml\nsteps:\n" + steps
        return Scenario.load(text: text, file: "dir/s.yaml") { Topology.load(text: topology, file: $0) }
    }

    static func errors(_ steps: String, mesh: String = "mesh: {mtls: permissive}", services: String = "") -> [String] {
        guard case .failure(let errors) = load(steps, mesh: mesh, services: services) else { return [] }
        return errors.diagnostics.map(\.description)
    }

    @Test func mtlsStepReadsTheMode() throws {
        let scenario = try Self.load("  - mtls: strict\n  - mtls: permissive\n").get()
        #expect(scenario.steps.map(\.action) == [.mtls(.strict), .mtls(.permissive)])
        #expect(scenario.steps[0].action.summary == "mtls strict")
        #expect(scenario.steps[0].action.keyword == "mtls")
    }

    @Test func mtlsStepMistakes() {
        #expect(Self.errors("  - mtls: disabled\n").first?.hasPrefix("dir/s.yaml:5:11: mtls: expected one of strict, permissive") == true)
        #expect(Self.errors("  - mtls: strict\n", mesh: "mesh: {mtls: disabled}") == [
            "dir/s.yaml:5:11: mtls: the topology runs with mtls 'disabled' (no certificates), so the mode cannot change while it runs",
        ])
    }

    @Test func trafficFromOutsideTheMesh() throws {
        let scenario = try Self.load("  - traffic: {to: api, from: outside, requests: 5}\n").get()
        guard case .traffic(let spec) = scenario.steps[0].action else {
            Issue.record("not a traffic step")
            return
        }
        #expect(spec.from == TrafficSpec.outside)
        #expect(scenario.steps[0].action.summary == "traffic: 5 requests to api from outside the mesh (plaintext)")
        #expect(Self.errors("  - traffic: {to: api, from: outside}\n", services: "  outside: {}\n") == [
            "dir/s.yaml:5:30: from: 'outside' means a client outside the mesh, and the topology also has a service named 'outside'; rename the service",
        ])
    }
}
