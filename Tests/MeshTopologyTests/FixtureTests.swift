import Foundation
import MeshCore
import MeshTopology
import MeshTestSupport
import MeshYAML
import Testing

/// The files in `fixtures/topologies/`, read through the YAML reader. Each `invalid-*.yaml`
/// lists the diagnostics the model gives (`Topology.validate(document:file:)`) in comments at
/// its top, `# expect: LINE:COLUMN: message`, and those `Topology.load` adds because a
/// feature is not enforced yet (`UnsupportedFeatures`), `# refused: LINE:COLUMN: message`.
enum Fixtures {
    /// `fixtures/topologies/`, found from this file's path.
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            let candidate = url.appendingPathComponent("fixtures/topologies")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "fixtures/topologies")
    }()

    static let invalidNames: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("invalid-") && $0.hasSuffix(".yaml") }.sorted()
    }()

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// The `# expect: ` lines of a fixture, without the prefix.
    static func expectations(_ text: String, prefix: String = "# expect: ") -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// The `# refused: ` lines of a fixture, without the prefix.
    static func refusals(_ text: String) -> [String] { expectations(text, prefix: "# refused: ") }

    /// The fixture read as a file is read (`Topology.load`: the model, then the refusals).
    static func load(_ name: String) throws -> Result<Topology, TopologyErrors> {
        Topology.load(text: try text(name), file: name)
    }

    /// The fixture read as a model only (`Topology.validate(document:file:)`).
    static func model(_ name: String) throws -> Result<Topology, TopologyErrors> {
        let document = try #require(try YAMLParser.parse(try text(name)).first)
        return Topology.validate(document: document, file: name)
    }

    /// `LINE:COLUMN: message` lines in the order `TopologyErrors` sorts diagnostics.
    static func sorted(_ lines: [String]) -> [String] {
        let diagnostics = lines.map { line -> Diagnostic in
            let parts = line.split(separator: ":", maxSplits: 2)
            return Diagnostic(file: "", line: Int(parts[0]) ?? 0, column: Int(parts[1]) ?? 0, message: String(parts[2].dropFirst()))
        }
        return TopologyErrors(diagnostics).diagnostics.map(\.locatedMessage)
    }
}

/// The fixtures are there and say what they expect.
@Suite struct FixtureFilesTests {
    @Test func fixturesArePresent() throws {
        #expect(Fixtures.invalidNames.count >= 4)
        for name in ["bookinfo.yaml", "full.yaml"] {
            #expect(Fixtures.expectations(try Fixtures.text(name)).isEmpty, "\(name) is valid")
        }
        for name in Fixtures.invalidNames {
            #expect(!Fixtures.expectations(try Fixtures.text(name)).isEmpty, "\(name) lists what it expects")
        }
    }
}

@Suite struct FixtureLoadTests {
    @Test(arguments: Fixtures.invalidNames)
    func invalidFixtureGivesExactlyItsExpectedDiagnostics(name: String) throws {
        let text = try Fixtures.text(name)
        let expected = Fixtures.expectations(text)
        guard case .failure(let errors) = try Fixtures.model(name) else {
            Issue.record("\(name) validated without errors")
            return
        }
        #expect(errors.diagnostics.map(\.locatedMessage) == expected)
        #expect(errors.diagnostics.allSatisfy { $0.file == name })
        guard case .failure(let loaded) = try Fixtures.load(name) else {
            Issue.record("\(name) loaded without errors")
            return
        }
        #expect(loaded.diagnostics.map(\.locatedMessage) == Fixtures.sorted(expected + Fixtures.refusals(text)))
    }

    /// full.yaml is a valid model that uses every key; loading it refuses exactly what is not
    /// enforced yet, each at its place.
    @Test func fullIsRefusedForWhatIsNotEnforced() throws {
        let text = try Fixtures.text("full.yaml")
        #expect(Fixtures.refusals(text).count == 2)
        guard case .failure(let errors) = try Fixtures.load("full.yaml") else {
            Issue.record("full.yaml loaded although it asks for faults")
            return
        }
        #expect(errors.diagnostics.map(\.locatedMessage) == Fixtures.refusals(text))
        #expect(errors.diagnostics.allSatisfy { $0.message.contains("not supported yet") })
    }

    @Test func bookinfo() throws {
        let topology = try Fixtures.load("bookinfo.yaml").get()
        #expect(topology.name == "bookinfo")
        #expect(topology.services.keys == ["productpage", "details", "reviews", "ratings"])
        #expect(topology.services["productpage"]?.callees == ["details", "reviews"])
        let reviews = try #require(topology.services["reviews"])
        #expect(reviews.versions.keys == ["v1", "v2", "v3"])
        #expect(reviews.versions["v1"]?.calls == [])
        #expect(reviews.versions["v2"]?.calls == ["ratings"])
        #expect(reviews.versions["v3"]?.calls == ["ratings"])
        #expect(reviews.versions["v3"]?.behavior == Behavior(latency: .milliseconds(20)))
        #expect(topology.routes["reviews"] == [
            Route(match: RouteMatch(headers: ["end-user": "jason"]), split: ["v2": 100]),
            Route(split: ["v1": 50, "v2": 25, "v3": 25]),
        ])
        #expect(topology.instances.map(\.id) == [
            "productpage-v1-0", "details-v1-0", "reviews-v1-0", "reviews-v2-0", "reviews-v3-0", "ratings-v1-0",
        ])
        #expect(topology.instances[2].identity == "spiffe://meshbed.local/ns/bookinfo/sa/reviews")
        #expect(topology.mesh == MeshSettings(mtls: .disabled))
    }

    @Test func fullUsesEveryKey() throws {
        let topology = try Fixtures.model("full.yaml").get()
        #expect(topology.name == "full")
        #expect(topology.mesh == MeshSettings(mtls: .permissive, trustDomain: "example.org", certTTL: .seconds(3600)))
        #expect(topology.ingress.port == 18080)

        let services = topology.services
        #expect(services.keys == ["productpage", "details", "reviews", "ratings", "legacy"])
        #expect(services["details"] == Service(name: "details", replicas: 2, behavior: Behavior(errorRate: 1.5, latency: .milliseconds(5))))
        #expect(services["reviews"] == Service(name: "reviews", calls: ["ratings"], versions: [
            "v1": ServiceVersion(name: "v1", replicas: 2, calls: []),
            "v2": ServiceVersion(name: "v2", replicas: 1, behavior: Behavior(errorRate: 20, latency: .milliseconds(50)), calls: ["ratings"]),
            "v3": ServiceVersion(name: "v3", replicas: 1, calls: ["ratings"]),
        ]))
        #expect(services["ratings"]?.instanceCount == 2)
        #expect(services["legacy"]?.app == AppSpec(
            command: ["python3", "app.py", "--port", "{port}"], ready: "/healthz", env: ["LOG_LEVEL": "debug", "PORT": "{port}"]))

        #expect(topology.routes["reviews"] == [
            Route(match: RouteMatch(headers: ["end-user": "jason"], pathPrefix: "/"), split: ["v2": 100]),
            Route(split: ["v1": 90, "v2": 10], mirror: Mirror(version: "v3", percent: 10)),
        ])
        #expect(topology.routes["ratings"] == [Route(match: RouteMatch(pathPrefix: "/ratings"), split: ["v1": 100]), Route()])

        #expect(topology.policies["reviews"] == Policy(
            timeout: .seconds(2),
            retries: RetryPolicy(attempts: 3, perTryTimeout: .milliseconds(500), retryOn: [.serverError, .gatewayError, .connectFailure, .reset]),
            circuitBreaker: CircuitBreaker(
                consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: .seconds(10), baseEjectionTime: .seconds(30),
                maxEjectionPercent: 50, minHealthPercent: 40, maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 512),
            loadBalancer: .roundRobin))
        #expect(topology.policies["ratings"] == Policy(
            connectTimeout: .milliseconds(250), idleTimeout: .seconds(30),
            retries: RetryPolicy(attempts: 1, retryOn: [.retriable4xx, .retriableStatusCodes], retriableStatusCodes: [503, 429], retryNonIdempotent: true),
            loadBalancer: .leastRequest))

        #expect(topology.authorization == ["ratings": AuthorizationRule(allow: ["reviews"]), "productpage": AuthorizationRule(allow: ["ingress"])])

        #expect(topology.faults == [
            FaultSpec(action: .delay(.fixed(.milliseconds(100))), target: .link(from: "reviews", to: "ratings"), headers: ["x-chaos": "on"], trigger: .percent(10)),
            FaultSpec(action: .abort(status: 503), target: .link(from: nil, to: "details"), trigger: .requests(3...5), duration: .seconds(30)),
            FaultSpec(action: .abort(status: 500), target: .link(from: "productpage", to: "details"), trigger: .first(2)),
            FaultSpec(action: .latency(.milliseconds(40), jitter: .milliseconds(10)), target: .link(from: nil, to: "ratings")),
            FaultSpec(action: .bandwidth(BandwidthRate(bytesPerSecond: 64_000)), target: .link(from: nil, to: "legacy")),
            FaultSpec(action: .reset(afterBytes: 1024), target: .link(from: nil, to: "details")),
            FaultSpec(action: .blackhole(), target: .link(from: "productpage", to: "legacy")),
            FaultSpec(action: .partition(), target: .between("details", "ratings")),
            FaultSpec(action: .partition(), target: .link(from: "ingress", to: "legacy")),
            FaultSpec(action: .pause, target: .instances(service: "reviews", version: "v1", instance: 1), duration: .seconds(10)),
            FaultSpec(action: .kill, target: .instances(service: "ratings", version: nil, instance: 0)),
        ])
        #expect(topology.instances.count == 1 + 2 + 4 + 2 + 1)
        #expect(topology.identity(of: "legacy") == "spiffe://example.org/ns/full/sa/legacy")
    }

    @Test func faultDescriptionsParseBack() throws {
        let topology = try Fixtures.model("full.yaml").get()
        for fault in topology.faults {
            let node = try #require(try MeshYAML.YAMLParser.parse(fault.description).first)
            #expect(FaultSpec.parse(node: node, file: "-", services: topology.services) == .success(fault))
        }
    }

    @Test func readerErrorsAndDocumentCount() {
        let empty = Topology.load(text: "", file: "e.yaml")
        #expect(empty == .failure(TopologyErrors([Diagnostic(file: "e.yaml", line: 1, column: 1, message: "expected a topology, but the file is empty")])))
        guard case .failure(let two) = Topology.load(text: "kind: Topology\n---\nkind: Topology\n", file: "t.yaml") else {
            Issue.record("two documents accepted")
            return
        }
        #expect(two.diagnostics.map(\.message) == ["expected one YAML document, found 2"])
        guard case .failure(let broken) = Topology.load(text: "kind: Topology\nname: [unclosed\n", file: "b.yaml") else {
            Issue.record("broken YAML accepted")
            return
        }
        #expect(broken.diagnostics.count == 1)
        #expect(broken.description.hasPrefix("b.yaml:"))
    }
}

/// The test builder puts nodes where the YAML reader does, so builder-based positions hold
/// for real files.
@Suite struct BuilderAgreementTests {
    static let documents: [YNode] = [
        shopWithVersions([("routes", ["db": [["match": ["headers": ["x": "1"]], "split": ["v1": 90, "v2": 20]]]])]),
        shop(services: ["web": ["calls": ["api", "web"], "replicas": "two"], "api": .null], [("faults", [["kind": "abort", "to": "x"], "z"])]),
        ["kind": "Topology", "name": "x", "mesh": [:], "ingress": ["port": .quoted("1")], "services": [["a": 1], []]],
        shop(services: ["legacy": ["app": ["command": ["{port}", "a: b", "-x"], "env": ["A": .null]]]]),
    ]

    @Test(arguments: documents.indices)
    func builderAndReaderGiveTheSameDiagnostics(index: Int) throws {
        let document = Self.documents[index]
        let parsed = try #require(try MeshYAML.YAMLParser.parse(document.text).first)
        let viaBuilder = Topology.validate(document: document.node, file: "t.yaml")
        let viaReader = Topology.validate(document: parsed, file: "t.yaml")
        #expect(viaBuilder == viaReader, "document \(index)")
    }
}
