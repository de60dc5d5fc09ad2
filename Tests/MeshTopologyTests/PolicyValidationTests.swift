import MeshCore
import MeshTopology
import Testing

/// `policies:` and `authorization:`, after `shopWithVersions`' 14 lines.
@Suite struct PolicyValidationTests {
    @Test func policyIsRead() throws {
        let doc = shopWithVersions([("policies", ["db": [
            "timeout": "2s",
            "retries": ["attempts": 3, "perTryTimeout": "500ms", "retryOn": ["5xx", "gateway-error", "connect-failure", "reset", "retriable-4xx"]],
            "circuitBreaker": ["consecutiveErrors": 5, "baseEjectionTime": "30s", "maxEjectionPercent": 50, "maxConnections": 1024, "maxPendingRequests": 10],
            "loadBalancer": "ewma",
        ]])])
        let policy = try #require(try topology(doc).policies["db"])
        #expect(policy == Policy(
            timeout: .seconds(2),
            retries: RetryPolicy(attempts: 3, perTryTimeout: .milliseconds(500), retryOn: [.serverError, .gatewayError, .connectFailure, .reset, .retriable4xx]),
            circuitBreaker: CircuitBreaker(consecutiveErrors: 5, baseEjectionTime: .seconds(30), maxEjectionPercent: 50, maxConnections: 1024, maxPendingRequests: 10),
            loadBalancer: .ewma))
    }

    @Test func policyMistakes() {
        // 15 policies:
        // 16   db:
        // 17     timeout: 2 s
        // 18     retries:
        // 19       attempts: -1
        // 20       perTryTimeout: 0s
        // 21       retryOn:
        // 22         - 5XX
        // 23         - reset
        // 24         - reset
        // 25     circuitBreaker:
        // 26       maxEjectionPercent: 150
        // 27       consecutiveErrors: 0
        // 28     loadBalancer: leastRequests
        let doc = shopWithVersions([("policies", ["db": [
            "timeout": "2 s",
            "retries": ["attempts": -1, "perTryTimeout": "0s", "retryOn": ["5XX", "reset", "reset"]],
            "circuitBreaker": ["maxEjectionPercent": 150, "consecutiveErrors": 0],
            "loadBalancer": "leastRequests",
        ]])])
        #expect(diagnostics(doc) == [
            "17:14: timeout: expected a duration like 250ms, 2s or 1m, got '2 s'",
            "19:17: attempts: expected an integer ≥ 0, got '-1'",
            "20:22: perTryTimeout: expected a duration greater than 0s, got '0s'",
            "22:11: retryOn: expected one of 5xx, gateway-error, connect-failure, reset, retriable-4xx, got '5XX' (did you mean '5xx'?)",
            "24:11: retryOn: 'reset' is listed twice",
            "26:27: maxEjectionPercent: expected a percentage 0–100, got '150'",
            "27:26: consecutiveErrors: expected an integer ≥ 1, got '0'",
            "28:19: loadBalancer: expected one of roundRobin, leastRequest, random, ewma, got 'leastRequests' (did you mean 'leastRequest'?)",
        ])
    }

    @Test func policyKeysAndDestinations() {
        // 16: dbx:, 17: retrys: {}, 18: db:, 19: retries:, 20: perTryTimeout: 1s, 21: circuitBreaker:, 22: maxConnection: 5
        let doc = shopWithVersions([("policies", [
            "dbx": ["retrys": [:]],
            "db": ["retries": ["perTryTimeout": "1s"], "circuitBreaker": ["maxConnection": 5]],
        ])])
        #expect(diagnostics(doc) == [
            "16:3: policies: unknown service 'dbx' (did you mean 'db'?)",
            "17:5: unknown key 'retrys' in policy for 'dbx' (did you mean 'retries'?)",
            "20:7: missing key 'attempts' in retries of policy for 'db'",
            "22:7: unknown key 'maxConnection' in circuitBreaker of policy for 'db' (did you mean 'maxConnections'?)",
        ])
    }

    @Test func authorizationIsRead() throws {
        let doc = shopWithVersions([("authorization", ["db": ["allow": ["api"]], "web": ["allow": ["ingress"]], "api": ["allow": []]])])
        let rules = try topology(doc).authorization
        #expect(rules["db"] == AuthorizationRule(allow: ["api"]))
        #expect(rules["db"]?.allows("api") == true && rules["db"]?.allows("web") == false)
        #expect(rules["web"]?.allows(Topology.ingressCaller) == true)
        #expect(rules["api"]?.allow == [])
    }

    @Test func authorizationMistakes() {
        // 15 authorization:
        // 16   db:
        // 17     allow:
        // 18       - ap
        // 19       - web
        // 20       - web
        // 21   dbx:
        // 22     allow:
        // 23       - api
        // 24   api: {}
        // 25   web:
        // 26     allow: api
        let doc = shopWithVersions([("authorization", [
            "db": ["allow": ["ap", "web", "web"]],
            "dbx": ["allow": ["api"]],
            "api": [:],
            "web": ["allow": "api"],
        ])])
        #expect(diagnostics(doc) == [
            "18:9: allow: unknown service 'ap' (did you mean 'api'?)",
            "20:9: allow: 'web' is listed twice",
            "21:3: authorization: unknown service 'dbx' (did you mean 'db'?)",
            "24:8: missing key 'allow' in authorization for 'api'",
            "26:12: allow: expected a list of service names, got 'api'",
        ])
    }

    @Test func authorizationNeedsMTLS() {
        // 15: mesh:, 16: mtls: disabled, 17: authorization:
        let doc = shopWithVersions([("mesh", ["mtls": "disabled"]), ("authorization", ["db": ["allow": ["api"]]])])
        #expect(diagnostic(doc) == "17:1: authorization: needs mTLS to identify callers, but mesh.mtls is 'disabled'")
    }
}
