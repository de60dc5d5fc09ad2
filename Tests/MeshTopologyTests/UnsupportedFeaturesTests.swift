import MeshTopology
import MeshYAML
import Testing

/// What a file may ask for but meshbed does not enforce yet is refused by `Topology.load`
/// ("not supported yet", at its place), never silently ignored.
@Suite struct UnsupportedFeaturesTests {
    static func load(_ text: String) -> [String] {
        switch Topology.load(text: text, file: "t.yaml") {
        case .success: return []
        case .failure(let errors): return errors.diagnostics.map(\.locatedMessage)
        }
    }

    static let services = "services:\n  web: {calls: [api]}\n  api:\n    versions: {v1: {}, v2: {}}\n"

    @Test func mtlsDisabledIsAccepted() {
        #expect(Self.load("kind: Topology\nname: shop\nmesh: {mtls: disabled}\n" + Self.services) == [])
    }

    /// Mutual TLS is enforced: the default (strict), strict and permissive are accepted.
    @Test(arguments: ["", "mesh: {trustDomain: example.org}\n", "mesh:\n  mtls: strict\n", "mesh:\n  mtls: permissive\n  certTTL: 20s\n"])
    func mtlsModesAreAccepted(mesh: String) {
        #expect(Self.load("kind: Topology\nname: shop\n" + mesh + Self.services) == [])
    }

    @Test func eachUnenforcedKeyIsRefusedAtItsKey() {
        let text = """
            kind: Topology
            name: shop
            mesh: {mtls: disabled, trustDomain: example.org, certTTL: 1h}
            services:
              web: {calls: [api]}
              api:
                versions: {v1: {}, v2: {}}
            routes:
              api:
                - split: {v1: 50, v2: 50}
                  mirror: {version: v2, percent: 10}
            policies:
              api: {idleTimeout: 2s}
            faults:
              - {kind: abort, to: api, status: 503, percent: 10}
              - {kind: pause, service: api}

            """
        #expect(Self.load(text) == [
            "3:50: certTTL: has no effect with mtls 'disabled' (no certificates are issued); remove it",
            "16:12: kind: pause faults from the start are not supported yet (use a scenario step or `meshbed fault add`); remove it",
        ])
    }

    static let withoutMTLS = "kind: Topology\nname: shop\nmesh: {mtls: disabled}\n" + services

    /// An empty policy asks for nothing.
    @Test func roundRobinAndAnEmptyPolicyAreKept() {
        #expect(Self.load(Self.withoutMTLS + "policies:\n  api: {loadBalancer: roundRobin}\n  web: {}\n") == [])
    }

    /// What sidecars enforce is accepted: every policy key, a route's mirror.
    @Test func enforcedKeysAreAccepted() {
        let text = Self.withoutMTLS + """
            routes:
              api:
                - split: {v1: 100}
                  mirror: {version: v2, percent: 5}
            policies:
              api:
                timeout: 2s
                connectTimeout: 1s
                idleTimeout: 1m
                retries: {attempts: 2, perTryTimeout: 500ms, retryOn: [5xx, reset], retryNonIdempotent: true}
                circuitBreaker: {consecutive5xxErrors: 3, maxRequests: 100}
                loadBalancer: ewma

            """
        #expect(Self.load(text) == [])
    }

    /// Authorization is enforced with mTLS, and needs it.
    @Test func authorizationNeedsMTLS() {
        let rule = "authorization:\n  api: {allow: [web, {from: ingress, methods: [GET], paths: [/public*]}]}\n"
        #expect(Self.load("kind: Topology\nname: shop\n" + Self.services + rule) == [])
        #expect(Self.load(Self.withoutMTLS + rule) == ["8:1: authorization: needs mTLS to identify callers, but mesh.mtls is 'disabled'"])
    }

    /// Another kind of file is one error, as before: nothing about mTLS.
    @Test func otherKindIsStillOneError() {
        #expect(Self.load("kind: Scenario\nname: x\nsteps: []\n") == ["1:7: kind: expected 'Topology', got 'Scenario'"])
    }

    @Test func emptySectionsPromiseNothing() {
        let text = Self.withoutMTLS + "policies: {}\nauthorization: {}\nfaults: []\n"
        #expect(Self.load(text) == [])
    }

    /// The model still reads every section: only loading a file refuses them.
    @Test func theModelStillReadsEverySection() throws {
        let text = "kind: Topology\nname: shop\n" + Self.services + "policies:\n  api: {timeout: 2s}\n"
        let document = try #require(try MeshYAML.YAMLParser.parse(text).first)
        let topology = try Topology.validate(document: document, file: "t.yaml").get()
        #expect(topology.policies["api"]?.timeout == .seconds(2))
        #expect(topology.mesh.mtls == .strict)
    }
}
