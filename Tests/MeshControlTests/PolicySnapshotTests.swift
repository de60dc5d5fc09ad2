import Foundation
import MeshConfig
@testable import MeshControl
import MeshTestSupport
import MeshTopology
import Testing

/// Policies and mirrors from the topology reach sidecars in snapshots; `PUT /v1/routes`
/// takes mirrors too; `PolicyConfig.resolved()` fills in the same defaults as the model.
@Suite struct PolicySnapshotTests {
    /// web → api → db (v1 ×2, v2); db has a policy with every key and two routes with
    /// mirrors; web has an empty policy; api none.
    static func shop() throws -> Topology {
        let document: YNode = [
            "kind": "Topology",
            "name": "shop",
            "services": [
                "web": ["calls": ["api"]],
                "api": ["calls": ["db"]],
                "db": ["versions": ["v1": ["replicas": 2], "v2": [:]]],
            ],
            "routes": [
                "db": [
                    ["match": ["pathPrefix": "/beta"], "split": ["v2": 100], "mirror": ["version": "v1"]],
                    ["split": ["v1": 90, "v2": 10], "mirror": ["version": "v2", "percent": 12.5]],
                ],
            ],
            "policies": [
                "db": [
                    "timeout": "2s", "connectTimeout": "250ms", "idleTimeout": "90s",
                    "retries": [
                        "attempts": 3, "perTryTimeout": "500ms", "retryOn": ["5xx", "retriable-status-codes"],
                        "retriableStatusCodes": [503, 429], "retryNonIdempotent": true,
                    ],
                    "circuitBreaker": ["consecutiveGatewayErrors": 3, "interval": "1.5s", "maxEjectionPercent": 50, "maxRequests": 20],
                    "loadBalancer": "ewma",
                ],
                "web": [:],
            ],
        ]
        switch Topology.validate(document: document.node, file: "shop.yaml") {
        case .success(let topology): return topology
        case .failure(let errors):
            Issue.record("unexpected diagnostics:\n\(errors)")
            throw errors
        }
    }

    static let dbPolicy = PolicyConfig(
        timeout: "2s", connectTimeout: "250ms", idleTimeout: "90s",
        retries: PolicyConfig.Retries(
            attempts: 3, perTryTimeout: "500ms", retryOn: [.serverError, .retriableStatusCodes],
            retriableStatusCodes: [503, 429], retryNonIdempotent: true),
        circuitBreaker: PolicyConfig.CircuitBreaker(
            consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: "1.5s", baseEjectionTime: "30s",
            maxEjectionPercent: 50, minHealthPercent: 50, maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 20),
        loadBalancer: .ewma)

    @Test func policiesAndMirrorsReachTheSnapshot() throws {
        try withControlPlane(try Self.shop()) { control in
            let snapshot = try currentSnapshot(control)
            #expect(snapshot.services["db"]?.policy == Self.dbPolicy)
            // An empty policy is every default, written out; no policy stays nil.
            #expect(snapshot.services["web"]?.policy == PolicyConfig(connectTimeout: "10s", idleTimeout: "5m", loadBalancer: .roundRobin))
            #expect(snapshot.services["api"]?.policy == nil)
            #expect(snapshot.services["db"]?.routes == [
                RouteConfig(pathPrefix: "/beta", split: ["v2": 100], mirror: MirrorConfig(version: "v1", percent: 100)),
                RouteConfig(split: ["v1": 90, "v2": 10], mirror: MirrorConfig(version: "v2", percent: 12.5)),
            ])
        }
    }

    @Test func jsonCarriesDurationsAsText() throws {
        try withControlPlane(try Self.shop()) { control in
            let text = try TestHTTPClient.request(control, "GET", "/v1/snapshot/current").text
            #expect(text.contains(#""connectTimeout":"250ms""#))
            #expect(text.contains(#""interval":"1.5s""#))
            #expect(text.contains(#""mirror":{"percent":12.5,"version":"v2"}"#))
            #expect(text.contains(#""api":{"routes":[],"versions":{"v1":[]}}"#))
        }
    }

    @Test func snapshotPolicyResolvesToNanoseconds() throws {
        try withControlPlane(try Self.shop()) { control in
            let policy = try #require(try currentSnapshot(control).services["db"]?.policy)
            #expect(try policy.resolved() == ResolvedPolicy(
                timeoutNanoseconds: 2_000_000_000, connectTimeoutNanoseconds: 250_000_000, idleTimeoutNanoseconds: 90_000_000_000,
                retries: ResolvedPolicy.Retries(
                    attempts: 3, perTryTimeoutNanoseconds: 500_000_000, retryOn: [.serverError, .retriableStatusCodes],
                    retriableStatusCodes: [503, 429], retryNonIdempotent: true),
                circuitBreaker: ResolvedPolicy.CircuitBreaker(
                    consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, intervalNanoseconds: 1_500_000_000,
                    baseEjectionTimeNanoseconds: 30_000_000_000, maxEjectionPercent: 50, minHealthPercent: 50,
                    maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 20),
                loadBalancer: .ewma))
        }
    }

    /// The model's defaults (what the control plane writes out) and `ResolvedPolicy`'s (what a
    /// sidecar assumes for a field or a policy left out) are the same numbers.
    @Test func modelAndResolvedDefaultsAgree() throws {
        #expect(try SnapshotStore.policyConfig(Policy()).resolved() == ResolvedPolicy.defaults)
        #expect(try PolicyConfig().resolved() == ResolvedPolicy.defaults)
        let written = try SnapshotStore.policyConfig(Policy(retries: RetryPolicy(attempts: 1), circuitBreaker: CircuitBreaker())).resolved()
        let sparse = try PolicyConfig(retries: PolicyConfig.Retries(attempts: 1), circuitBreaker: PolicyConfig.CircuitBreaker()).resolved()
        #expect(written == sparse)
        #expect(sparse.circuitBreaker == ResolvedPolicy.CircuitBreaker.defaults)
        #expect(sparse.retries == ResolvedPolicy.Retries(attempts: 1))
        #expect(Set(RetryPolicy.defaultRetryOn.map(SnapshotStore.retryCondition)) == ResolvedPolicy.Retries.defaultRetryOn)
    }

    @Test func everyChoiceKeepsItsName() {
        for balancer in LoadBalancer.allCases {
            #expect(SnapshotStore.loadBalancer(balancer).rawValue == balancer.rawValue)
        }
        for condition in RetryPolicy.Condition.allCases {
            #expect(SnapshotStore.retryCondition(condition).rawValue == condition.rawValue)
        }
        #expect(LoadBalancer.allCases.count == PolicyConfig.LoadBalancer.allCases.count)
        #expect(RetryPolicy.Condition.allCases.count == PolicyConfig.RetryCondition.allCases.count)
    }

    /// A snapshot the validator would not have produced is refused with the field named.
    @Test(arguments: [
        (PolicyConfig(timeout: "soon"), "policy: timeout: expected a duration greater than 0s like 250ms, got 'soon'"),
        (PolicyConfig(connectTimeout: "0s"), "policy: connectTimeout: expected a duration greater than 0s like 250ms, got '0s'"),
        (PolicyConfig(retries: PolicyConfig.Retries(attempts: -1)), "policy: retries: attempts: expected an integer ≥ 0, got -1"),
        (PolicyConfig(retries: PolicyConfig.Retries(attempts: 1, perTryTimeout: "1 s")),
         "policy: retries: perTryTimeout: expected a duration greater than 0s like 250ms, got '1 s'"),
        (PolicyConfig(retries: PolicyConfig.Retries(attempts: 1, retryOn: [.retriableStatusCodes])),
         "policy: retries: 'retriable-status-codes' needs a non-empty retriableStatusCodes"),
        (PolicyConfig(retries: PolicyConfig.Retries(attempts: 1, retriableStatusCodes: [503])),
         "policy: retries: retriableStatusCodes is used only with 'retriable-status-codes' in retryOn"),
        (PolicyConfig(retries: PolicyConfig.Retries(attempts: 1, retryOn: [.retriableStatusCodes], retriableStatusCodes: [200])),
         "policy: retries: retriableStatusCodes: expected HTTP statuses 400–599, got 200"),
        (PolicyConfig(circuitBreaker: PolicyConfig.CircuitBreaker(maxRequests: 0)),
         "policy: circuitBreaker: maxRequests: expected an integer ≥ 1, got 0"),
        (PolicyConfig(circuitBreaker: PolicyConfig.CircuitBreaker(consecutive5xxErrors: -1)),
         "policy: circuitBreaker: consecutive5xxErrors: expected an integer ≥ 0, got -1"),
        (PolicyConfig(circuitBreaker: PolicyConfig.CircuitBreaker(minHealthPercent: 101)),
         "policy: circuitBreaker: minHealthPercent: expected a percentage 0–100, got 101.0"),
        (PolicyConfig(circuitBreaker: PolicyConfig.CircuitBreaker(baseEjectionTime: "forever")),
         "policy: circuitBreaker: baseEjectionTime: expected a duration greater than 0s like 250ms, got 'forever'"),
    ])
    func resolvingRefusesWhatTheValidatorWould(config: PolicyConfig, message: String) {
        #expect(throws: ConfigError(message)) { try config.resolved() }
    }

    /// Snapshots from before policies and mirrors decode; a mirror's percent defaults to 100.
    @Test func olderJSONDecodes() throws {
        let destination = #"{"versions":{"v1":[]},"routes":[{"headers":{},"split":{"v1":100}}]}"#
        let decoded = try JSONDecoder().decode(DestinationConfig.self, from: Data(destination.utf8))
        #expect(decoded == DestinationConfig(versions: ["v1": []], routes: [RouteConfig(split: ["v1": 100])]))
        #expect(decoded.policy == nil && decoded.routes[0].mirror == nil)
        let mirror = try JSONDecoder().decode(MirrorConfig.self, from: Data(#"{"version":"v2"}"#.utf8))
        #expect(mirror == MirrorConfig(version: "v2", percent: 100))
        let sparse = try JSONDecoder().decode(PolicyConfig.self, from: Data(#"{"retries":{"attempts":2}}"#.utf8))
        #expect(try sparse.resolved().retries == ResolvedPolicy.Retries(attempts: 2))
    }

    @Test func mirrorsReplacedLiveOverHTTP() throws {
        try withControlPlane { control in
            let body = #"[{"headers":{},"split":{"v1":100},"mirror":{"version":"v2","percent":5}},{"split":{"v1":100},"headers":{},"mirror":{"version":"v2"}}]"#
            let response = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews", body: Array(body.utf8))
            #expect(response.status == 200)
            #expect(try currentSnapshot(control).services["reviews"]?.routes == [
                RouteConfig(split: ["v1": 100], mirror: MirrorConfig(version: "v2", percent: 5)),
                RouteConfig(split: ["v1": 100], mirror: MirrorConfig(version: "v2", percent: 100)),
            ])

            let unknown = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews",
                                                     body: encodeJSON([RouteConfig(split: ["v1": 100], mirror: MirrorConfig(version: "v9"))]))
            #expect(unknown.status == 400)
            #expect(unknown.errorMessage == "route 1 for 'reviews': mirror: unknown version 'v9' of service 'reviews' (versions: v1, v2)")
            let tooMuch = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews",
                                                     body: encodeJSON([RouteConfig(split: ["v1": 100], mirror: MirrorConfig(version: "v2", percent: 150))]))
            #expect(tooMuch.status == 400)
            #expect(tooMuch.errorMessage == "route 1 for 'reviews': mirror: percent must be 0–100, got 150.0")
            let noVersion = try TestHTTPClient.request(control, "PUT", "/v1/routes/reviews",
                                                       body: Array(#"[{"headers":{},"split":{"v1":100},"mirror":{"percent":5}}]"#.utf8))
            #expect(noVersion.status == 400)
            #expect(noVersion.errorMessage?.contains("\n") == false)
            #expect(try currentSnapshot(control).version == 2)
        }
    }

    /// A scenario's `route` step passes topology routes: their mirrors go along.
    @Test func topologyRoutesReplacedLiveKeepTheirMirror() throws {
        try withControlPlane { control in
            try control.replaceRoutes(destination: "reviews", routes: [Route(split: ["v1": 100], mirror: Mirror(version: "v2", percent: 30))])
            #expect(try currentSnapshot(control).services["reviews"]?.routes
                == [RouteConfig(split: ["v1": 100], mirror: MirrorConfig(version: "v2", percent: 30))])
        }
    }
}
