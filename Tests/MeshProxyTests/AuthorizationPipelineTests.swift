import MeshConfig
import MeshIO
@testable import MeshProxy
import Testing

/// The inbound side's authorization: the caller's service (from its verified certificate)
/// and the request's method and path against the destination's allow entries; 403 RBAC
/// before the app sees anything; no policy, no check.
@Suite struct AuthorizationPipelineTests {
    static let app = SocketAddress("10.0.0.1:1001")!

    static func harness(allow: [AllowConfig]?, caller: String?) -> PipelineHarness {
        let harness = PipelineHarness(mode: .inbound(app: app), services: ["svc": ["v1": 1]],
                                      allow: allow.map { ["svc": $0] } ?? [:])
        harness.state.service = "svc"
        harness.exchange.callerService = caller
        harness.everyone(.respond(200))
        return harness
    }

    @Test func anAllowedCallerReachesTheApp() {
        let harness = Self.harness(allow: [AllowConfig(from: "web")], caller: "web")
        harness.send(headers: ["x-meshbed-explain: 1"])
        #expect(harness.downstream.status == 200)
        #expect(harness.upstreams.requests.count == 1)
        #expect(harness.downstream.header("x-meshbed-explain")?.contains(#""authorization":"allowed""#) == true)
    }

    @Test func anotherCallerGets403AndTheAppNothing() {
        let harness = Self.harness(allow: [AllowConfig(from: "web")], caller: "reports")
        harness.send(headers: ["x-meshbed-explain: 1"])
        #expect(harness.downstream.status == 403)
        #expect(harness.downstream.bodyText.contains("RBAC: access denied: 'reports' may not GET / on 'svc'"))
        #expect(harness.downstream.bodyText.contains(#""responseFlags":"RBAC""#))
        #expect(harness.upstreams.requests.isEmpty)
        #expect(harness.state.counters.authorizationDenied.load(ordering: .relaxed) == 1)
    }

    @Test func aCallerWithoutIdentityMatchesNothing() {
        let harness = Self.harness(allow: [AllowConfig(from: "web")], caller: nil)
        harness.send()
        #expect(harness.downstream.status == 403)
        #expect(harness.downstream.bodyText.contains("a caller without a mesh identity"))
    }

    @Test func methodsAndPathsNarrowAnEntry() {
        let entry = AllowConfig(from: "reports", methods: ["GET", "HEAD"], paths: ["/orders/*", "/health"])
        for (method, path, status) in [("GET", "/orders/7", 200), ("HEAD", "/health", 200), ("POST", "/orders/7", 403),
                                       ("GET", "/healthz", 403), ("GET", "/order", 403), ("GET", "/orders/7?full=1", 200)] {
            let harness = Self.harness(allow: [entry], caller: "reports")
            harness.send(method, path)
            #expect(harness.downstream.status == status, "\(method) \(path)")
        }
    }

    @Test func noPolicyAllowsEveryone() {
        let harness = Self.harness(allow: nil, caller: nil)
        harness.send()
        #expect(harness.downstream.status == 200)
    }
}
