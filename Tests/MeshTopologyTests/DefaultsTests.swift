import MeshCore
import MeshTopology
import Testing

/// What a topology gets for everything it leaves out.
@Suite struct DefaultsTests {
    @Test func meshDefaults() throws {
        let topology = try topology(shop(services: ["web": [:]]))
        #expect(topology.mesh.mtls == .strict)
        #expect(topology.mesh.trustDomain == "meshbed.local")
        #expect(topology.mesh.certTTL == .seconds(86_400))
        #expect(topology.mesh.accessLog && topology.mesh.tracingSampling == 100 && topology.mesh.maxTracesPerSecond == 100)
        #expect(topology.mesh == .default)
        #expect(topology.ingress.port == 0)
        #expect(topology.routes.isEmpty && topology.policies.isEmpty && topology.authorization.isEmpty && topology.faults.isEmpty)
    }

    @Test func emptySectionsAreDefaults() throws {
        let topology = try topology(shop(services: ["web": .null], [("mesh", [:]), ("ingress", .null), ("faults", [])]))
        #expect(topology.mesh == .default)
        #expect(topology.ingress == .default)
    }

    @Test func serviceWithoutVersionsIsV1WithOneReplica() throws {
        let topology = try topology(shop(services: ["web": [:], "api": ["replicas": 3]]))
        let web = try #require(topology.services["web"])
        #expect(web.versions.keys == ["v1"])
        #expect(web.versions["v1"] == ServiceVersion(name: "v1", replicas: 1, behavior: .none, calls: []))
        #expect(!web.hasDeclaredVersions)
        #expect(web.usesEchoApp)
        #expect(topology.services["api"]?.versions["v1"]?.replicas == 3)
        #expect(topology.services.keys == ["web", "api"])
    }

    @Test func versionDefaults() throws {
        let topology = try topology(shopWithVersions())
        let db = try #require(topology.services["db"])
        #expect(db.hasDeclaredVersions)
        #expect(db.versions.keys == ["v1", "v2"])
        #expect(db.versions["v1"]?.replicas == 2)
        #expect(db.versions["v2"] == ServiceVersion(name: "v2"))
        #expect(db.instanceCount == 3)
    }

    @Test func policyDefaults() throws {
        let topology = try topology(shopWithVersions([
            ("policies", ["db": ["retries": ["attempts": 2], "circuitBreaker": [:]]]),
        ]))
        let policy = try #require(topology.policies["db"])
        #expect(policy.timeout == nil)
        #expect(policy.connectTimeout == .seconds(10))
        #expect(policy.idleTimeout == .seconds(300))
        #expect(policy.loadBalancer == .roundRobin)
        #expect(policy.retries == RetryPolicy(
            attempts: 2, perTryTimeout: nil, retryOn: [.serverError, .gatewayError, .connectFailure, .reset],
            retriableStatusCodes: [], retryNonIdempotent: false))
        #expect(policy.circuitBreaker == CircuitBreaker(
            consecutive5xxErrors: 5, consecutiveGatewayErrors: 0, interval: .seconds(10), baseEjectionTime: .seconds(30),
            maxEjectionPercent: 10, minHealthPercent: 50, maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024))
    }

    @Test func emptyPolicyHasEveryDefault() throws {
        let topology = try topology(shopWithVersions([("policies", ["db": [:]])]))
        #expect(topology.policies["db"] == Policy(
            timeout: nil, connectTimeout: .seconds(10), idleTimeout: .seconds(300), retries: nil, circuitBreaker: nil, loadBalancer: .roundRobin))
    }

    @Test func explicitSettings() throws {
        let topology = try topology(shop(services: ["web": [:]], [
            ("mesh", ["mtls": "permissive", "trustDomain": "example.org", "certTTL": "90s", "accessLog": false, "tracing": ["sampling": 12.5, "maxTracesPerSecond": 7]]),
            ("ingress", ["port": 8080]),
        ]))
        #expect(topology.mesh == MeshSettings(mtls: .permissive, trustDomain: "example.org", certTTL: .seconds(90), accessLog: false,
                                              tracingSampling: 12.5, maxTracesPerSecond: 7))
        #expect(topology.ingress.port == 8080)
    }

    @Test func pinnedRoot() throws {
        let topology = try topology(shop(services: ["web": [:]], [("mesh", ["ca": ["cert": "ca/root.pem", "key": "ca/root.key"]])]))
        #expect(topology.mesh.ca == MeshSettings.CAFiles(cert: "ca/root.pem", key: "ca/root.key"))
    }

    @Test func pinnedRootNeedsBothFilesAndMTLS() {
        #expect(diagnostics(shop(services: ["web": [:]], [("mesh", ["ca": ["cert": "root.pem"]])])).contains { $0.hasSuffix("missing key 'key' in mesh.ca") })
        #expect(diagnostics(shop(services: ["web": [:]], [("mesh", ["ca": ["cert": "", "key": "k"]])])).contains { $0.contains("cert: expected a file path (PEM)") })
        #expect(diagnostics(shop(services: ["web": [:]], [("mesh", ["ca": ["cert": "c", "key": "k", "chain": "x"]])])).contains { $0.contains("unknown key 'chain' in mesh.ca") })
        #expect(diagnostics(shop(services: ["web": [:]], [("mesh", ["mtls": "disabled", "ca": ["cert": "c", "key": "k"]])]))
            .contains { $0.hasSuffix("ca: a mesh root is only used with mTLS, but mesh.mtls is 'disabled'") })
    }
}
