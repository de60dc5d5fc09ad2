import MeshTopology
import MeshTestSupport
import Testing

/// `kind`, `name`, top-level keys, `mesh`, `ingress`, and collecting every mistake.
@Suite struct TopLevelValidationTests {
    @Test func otherKindIsOneError() {
        let doc: YNode = ["kind": "Scenario", "name": "canary", "steps": []]
        #expect(diagnostics(doc) == ["1:7: kind: expected 'Topology', got 'Scenario'"])
    }

    @Test func missingKindAndName() {
        let doc: YNode = ["services": ["web": [:]]]
        #expect(diagnostics(doc) == ["1:1: missing key 'kind' at top level", "1:1: missing key 'name' at top level"])
    }

    @Test func missingServices() {
        let doc: YNode = ["kind": "Topology", "name": "shop"]
        #expect(diagnostic(doc) == "1:1: missing key 'services' at top level")
    }

    @Test func notAMapping() {
        let doc: YNode = ["kind", "Topology"]
        #expect(diagnostic(doc) == "1:1: topology: expected a mapping that starts with 'kind: Topology', got a list")
    }

    @Test(arguments: [
        ("Book_Info", "'Book_Info'"),
        ("", "'' (a quoted string)"), ("web.front", "'web.front'"),
        (String(repeating: "a", count: 64), "'\(String(repeating: "a", count: 40))…'"),
    ])
    func badTopologyName(name: String, shown: String) {
        let doc = shop(services: ["web": [:]]).setting("name", YNode(stringLiteral: name))
        #expect(diagnostic(doc) == "2:7: name: expected a name of lowercase letters, digits and '-' (at most 63 characters), got \(shown)")
    }

    @Test func longestNameIsAccepted() throws {
        let name = String(repeating: "a", count: 63)
        #expect(try topology(shop(services: ["web": [:]]).setting("name", YNode(stringLiteral: name))).name == name)
    }

    @Test func unknownTopLevelKeyWithSuggestion() {
        // 4: web: {}, 5: polices:
        let doc = shop(services: ["web": [:]], [("polices", ["web": [:]])])
        #expect(diagnostic(doc) == "5:1: unknown key 'polices' at top level (did you mean 'policies'?)")
    }

    @Test func unknownKeyWithoutSuggestion() {
        let doc = shop(services: ["web": [:]], [("colour", "blue")])
        #expect(diagnostic(doc) == "5:1: unknown key 'colour' at top level")
    }

    @Test func servicesMustBeAMappingWithAtLeastOneService() {
        #expect(diagnostic(shop(services: ["web", "api"])) == "4:3: services: expected a mapping of service names, got a list")
        #expect(diagnostic(shop(services: [:])) == "3:11: services: expected at least one service")
    }

    @Test func meshMistakes() {
        // 5: mesh:, 6: mtls, 7: trustDomain, 8: certTTL, 9: tls
        let doc = shop(services: ["web": [:]], [
            ("mesh", ["mtls": "strikt", "trustDomain": "Meshbed.Local", "certTTL": "24 hours", "tls": "x"]),
        ])
        #expect(diagnostics(doc) == [
            "6:9: mtls: expected one of strict, permissive, disabled, got 'strikt' (did you mean 'strict'?)",
            "7:16: trustDomain: expected a trust domain of lowercase letters, digits, '.', '-' and '_', got 'Meshbed.Local'",
            "8:12: certTTL: expected a duration like 250ms, 2s or 1m, got '24 hours'",
            "9:3: unknown key 'tls' in mesh (did you mean 'mtls'?)",
        ])
    }

    @Test func accessLogIsTrueOrFalse() {
        let doc = shop(services: ["web": [:]], [("mesh", ["accessLog": "off"])])
        #expect(diagnostic(doc) == "6:14: accessLog: expected true or false, got 'off'")
    }

    @Test func tracingSamplingIsAPercentage() {
        #expect(diagnostic(shop(services: ["web": [:]], [("mesh", ["tracing": ["sampling": 101]])]))
            == "7:15: sampling: expected a percentage 0–100, got '101'")
        #expect(diagnostic(shop(services: ["web": [:]], [("mesh", ["tracing": ["rate": 5]])]))
            == "7:5: unknown key 'rate' in mesh.tracing")
        #expect(diagnostic(shop(services: ["web": [:]], [("mesh", ["tracing": ["maxTracesPerSecond": 0]])]))
            == "7:25: maxTracesPerSecond: expected a whole number from 1 to 1000000, got '0'")
    }

    @Test func certTTLOfAtLeastOneSecond() {
        let doc = shop(services: ["web": [:]], [("mesh", ["certTTL": "500ms"])])
        #expect(diagnostic(doc) == "6:12: certTTL: expected a duration of at least 1s, got '500ms'")
    }

    @Test func meshMustBeAMapping() {
        let doc = shop(services: ["web": [:]], [("mesh", "strict")])
        #expect(diagnostic(doc) == "5:7: mesh: expected a mapping, got 'strict'")
    }

    @Test(arguments: [(YNode(integerLiteral: 70000), "'70000'"), (-1, "'-1'"), ("any", "'any'")])
    func ingressPort(port: YNode, shown: String) {
        let doc = shop(services: ["web": [:]], [("ingress", ["port": port])])
        #expect(diagnostic(doc) == "6:9: port: expected an integer 0–65535, got \(shown)")
    }

    @Test func fiveMistakesFiveDiagnosticsInLineOrder() {
        //  1 kind: Topology
        //  2 name: Shop
        //  3 mesh:
        //  4   mtls: strict
        //  5   certTTL: 1 day
        //  6 services:
        //  7   web:
        //  8     calls:
        //  9       - api
        // 10       - cart
        // 11   api:
        // 12     replica: 2
        // 13 routes:
        // 14   api:
        // 15     - split:
        // 16         v1: 90
        let doc: YNode = [
            "kind": "Topology",
            "name": "Shop",
            "mesh": ["mtls": "strict", "certTTL": "1 day"],
            "services": ["web": ["calls": ["api", "cart"]], "api": ["replica": 2]],
            "routes": ["api": [["split": ["v1": 90]]]],
        ]
        #expect(diagnostics(doc) == [
            "2:7: name: expected a name of lowercase letters, digits and '-' (at most 63 characters), got 'Shop'",
            "5:12: certTTL: expected a duration like 250ms, 2s or 1m, got '1 day'",
            "10:9: calls: unknown service 'cart'",
            "12:5: unknown key 'replica' in service 'api' (did you mean 'replicas'?)",
            "15:7: split: weights sum to 90, expected 100",
        ])
    }

    @Test func diagnosticsCarryTheFile() throws {
        let result = Topology.validate(document: shop(services: [:]).node, file: "topologies/shop.yaml")
        guard case .failure(let errors) = result else { Issue.record("expected a failure"); return }
        #expect(errors.diagnostics == [Diagnostic(file: "topologies/shop.yaml", line: 3, column: 11, message: "services: expected at least one service")])
        #expect(errors.description == "topologies/shop.yaml:3:11: services: expected at least one service")
    }

    @Test func diagnosticsSortByLineThenColumnKeepingTies() {
        let d = { (line: Int, column: Int, message: String) in Diagnostic(file: "f", line: line, column: column, message: message) }
        let errors = TopologyErrors([d(3, 1, "c"), d(1, 9, "b"), d(1, 2, "a"), d(3, 1, "d")])
        #expect(errors.diagnostics.map(\.message) == ["a", "b", "c", "d"])
    }
}
